"""Nested mappings merged key by key: one rule for Helm values (obs.render.clusters) and the
collector's `extra` telemetry settings (obs.collector.config)."""
from __future__ import annotations

from typing import Any, Mapping


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra` over `base`, as `helm -f base -f extra` merges values: mappings on both sides are
    merged key by key, anything else in `extra` replaces what `base` has. Neither input changes."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
