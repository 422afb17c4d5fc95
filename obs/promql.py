"""Small PromQL-writing helpers (not a parser): selectors and cluster-aware groupings."""
from __future__ import annotations

from typing import Mapping

from obs.model.environment import Environment


def selector(metric: str, *matchers: str) -> str:
    """`metric{m1, m2}` from matcher strings; empty matchers are skipped."""
    parts = [m for m in matchers if m]
    return f"{metric}{{{', '.join(parts)}}}" if parts else metric


def by(env: Environment, *labels: str) -> str:
    """A `by (...)` clause that always keeps the environment's cluster label first."""
    names = [env.cluster_label] + [label for label in labels if label != env.cluster_label]
    return f"by ({', '.join(names)})"


def on(env: Environment, *labels: str) -> str:
    """An `on (...)` vector-matching clause that keeps the cluster label."""
    names = [env.cluster_label] + [label for label in labels if label != env.cluster_label]
    return f"on ({', '.join(names)})"


def quote(value: str) -> str:
    """A PromQL string literal for a label value (backslash, quote and line breaks escaped)."""
    if "\\" not in value and '"' not in value and "\n" not in value and "\r" not in value:
        return f'"{value}"'  # nothing to escape (nearly always)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def series(metric: str, **labels: str) -> str:
    """A series literal for promtool test input, labels sorted: series('up', job='x')."""
    return metric + label_set(labels)


def label_set(labels: Mapping[str, str]) -> str:
    """The `{k="v", ...}` of a series literal, labels sorted (for several metrics of one label set)."""
    inner = ", ".join(f"{k}={quote(v)}" for k, v in sorted(labels.items()))
    return f"{{{inner}}}"
