"""Field checks shared by the model classes; each raises DefinitionError naming the field."""
from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from obs.errors import DefinitionError

DURATION_RE = re.compile(r"^(?:[0-9]+(?:y|w|d|h|m|s|ms))+$")
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
METRIC_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_UNIT_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_DURATION_PART_RE = re.compile(r"([0-9]+)(ms|y|w|d|h|m|s)")


def duration_seconds(value: str) -> float:
    """Seconds in a Prometheus duration such as '1h30m' (the value must already be valid)."""
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART_RE.findall(value))


def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration for a whole number of seconds (e.g. 3600 -> '1h')."""
    seconds = int(seconds)
    if seconds == 0:
        return "0s"
    out = ""
    for unit in ("w", "d", "h", "m", "s"):
        size = int(_UNIT_SECONDS[unit])
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out


def check_duration(definition: str, field: str, value: Any) -> None:
    """A Prometheus duration: digits and units, e.g. 30s, 5m, 1h30m."""
    if not isinstance(value, str) or not DURATION_RE.match(value):
        raise DefinitionError(
            definition, field, f"{value!r} is not a Prometheus duration",
            "write digits with a unit of ms, s, m, h, d, w or y, e.g. '5m' or '1h30m'")


def check_label_name(definition: str, field: str, name: Any) -> None:
    """A Prometheus label name, not reserved (no leading '__')."""
    if not isinstance(name, str) or not LABEL_NAME_RE.match(name) or name.startswith("__"):
        raise DefinitionError(
            definition, field, f"{name!r} is not a valid label name",
            "use letters, digits and '_' (not starting with a digit or '__')")


def check_labels(definition: str, field: str, labels: Mapping[str, Any]) -> None:
    """Every key is a label name and every value a string."""
    for name, value in labels.items():
        check_label_name(definition, f"{field}[{name!r}]", name)
        if not isinstance(value, str):
            raise DefinitionError(definition, f"{field}[{name!r}]",
                                  f"value {value!r} is a {type(value).__name__}", "label values are strings")


def check_metric_name(definition: str, field: str, name: Any) -> None:
    """A Prometheus metric name (recording rules may use ':')."""
    if not isinstance(name, str) or not METRIC_NAME_RE.match(name):
        raise DefinitionError(
            definition, field, f"{name!r} is not a valid metric name",
            "use letters, digits, '_' and ':' (not starting with a digit), e.g. 'job:http_requests:rate5m'")


def check_nonempty(definition: str, field: str, value: Any) -> None:
    """A non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(definition, field, "must be a non-empty string")


def check_slug(definition: str, field: str, value: Any) -> None:
    """A lower-case file-name-safe identifier (used in file names and Kubernetes object names)."""
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > 63:
        raise DefinitionError(
            definition, field, f"{value!r} is not a valid name",
            "use at most 63 lower-case letters, digits and '-', starting with a letter or digit")


def check_unique(definition: str, field: str, names: Iterable[Any], what: str) -> None:
    """No name occurs twice."""
    seen: set[Any] = set()
    for name in names:
        if name in seen:
            raise DefinitionError(definition, field, f"duplicate {what} {name!r}",
                                  f"give each {what} a unique name")
        seen.add(name)


def frozen_mapping(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy, for mapping fields of frozen definitions."""
    return MappingProxyType(dict(mapping or {}))


def check_items(definition: str, field: str, items: Iterable[Any], kind: type, fix: str = "") -> None:
    """Every item is a `kind` (e.g. every rule pack a RulePack)."""
    for item in items:
        if not isinstance(item, kind):
            article = "an" if kind.__name__[0] in "AEIOU" else "a"
            raise DefinitionError(definition, field, f"{item!r} is not {article} {kind.__name__}", fix)
