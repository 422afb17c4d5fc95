"""The receivers an alert reaches, from the routing tree as written (alertmanager.yaml), asked of the real
amtool (`amtool config routes test`), so `obs diff` shows what Alertmanager itself would do.

An alert is routed with the label sets obs proved it fires with (the routing cases written beside the
config: one per firing promtool case, with the series' labels); an alert without cases is routed with
its static labels. Answers are cached per config content and label set.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from obs.errors import ToolMissingError
from obs.review.semantics import Alert, Scope
from obs.validate.amtool import resolve

LabelSet = tuple[tuple[str, str], ...]


def label_sets(scope: Scope, key: str, alert: Alert) -> list[LabelSet]:
    """The label sets `alert` is routed with: its proven firing cases that agree with its static
    labels (one team's copy of a pack alert is routed with that team's cases only), else its static
    labels."""
    static = {k: v for k, v in alert.labels.items() if "{{" not in v}
    cases = [c for c in scope.routing_cases.get(alert.name) or () if all(c.get(k, v) == v for k, v in static.items())]
    cases = cases or [{"alertname": alert.name, **static}]
    return sorted({tuple(sorted(labels.items())) for labels in cases})


class Router:
    """Receivers per alert for the scopes of one tree; `missing` says why there are none (no amtool)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, LabelSet], tuple[str, ...]] = {}
        self.missing: str | None = None

    def receivers(self, scope: Scope, keys: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """alert key -> receivers reached by any of its label sets, in first-reached order (empty
        when the scope has no Alertmanager config, or amtool is missing)."""
        if scope.routing is None or scope.routing_file is None or self.missing:
            return {}
        digest = hashlib.sha256(scope.routing.encode()).hexdigest()
        wanted = {key: label_sets(scope, key, scope.alerts[key]) for key in keys if key in scope.alerts}
        todo = sorted({s for sets in wanted.values() for s in sets if (digest, s) not in self._cache})
        config = scope.routing_file
        try:
            with ThreadPoolExecutor(max_workers=4) as pool:
                answers = list(pool.map(lambda labels: resolve(config, dict(labels)), todo))
        except ToolMissingError as exc:
            self.missing = str(exc)
            return {}
        self._cache.update({(digest, labels): tuple(got) for labels, got in zip(todo, answers, strict=True)})
        out: dict[str, tuple[str, ...]] = {}
        for key, sets in wanted.items():
            reached: list[str] = []
            for labels in sets:
                reached += [r for r in self._cache[(digest, labels)] if r not in reached]
            out[key] = tuple(reached)
        return out
