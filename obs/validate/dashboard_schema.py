"""Check dashboard JSON against Grafana's published JSON schemas (grafana-foundation-sdk, vendored
in obs/grafana/schema): the dashboard, stat and time series panel options, Prometheus queries."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    import jsonschema

# (panel type, part of the panel, schema file, definition) checked in addition to the dashboard.
PANEL_PARTS = (
    ("timeseries", ("options",), "timeseries", "Options"),
    ("timeseries", ("fieldConfig", "defaults", "custom"), "timeseries", "FieldConfig"),
    ("stat", ("options",), "stat", "Options"),
)


@lru_cache(maxsize=None)
def _schema(name: str) -> dict[str, Any]:
    text = resources.files("obs.grafana").joinpath(f"schema/{name}.jsonschema.json").read_text()
    return json.loads(text)


@lru_cache(maxsize=None)
def validator(name: str, definition: str | None = None) -> jsonschema.Draft7Validator:
    """A validator for a schema file, or for one of its definitions. (jsonschema is imported here,
    on first use: ~0.08 s that a bundle without dashboards does not pay on every command.)"""
    import jsonschema
    schema = _schema(name)
    if definition is not None:
        schema = {"$ref": f"#/definitions/{definition}", "definitions": schema["definitions"]}
    return jsonschema.Draft7Validator(schema)


def _where(path: Any) -> str:
    return "/".join(str(p) for p in path)


def _at(prefix: str, *parts: str) -> str:
    path = "/".join(p for p in parts if p)
    return f"{prefix} at {path}" if path else prefix


# Keys whose string values are free text (titles, queries, ids): two instances that differ only
# there are valid or invalid alike, so a verdict is cached per shape with those strings masked.
# A key is only treated so when no schema constrains a property of that name (see _constrained).
_FREE_TEXT_CANDIDATES = ("expr", "title", "description", "legendFormat", "uid", "query", "definition",
                         "regex", "label", "uri", "url", "name", "allValue")
_STRING_CONSTRAINTS = ("enum", "const", "pattern", "format", "minLength", "maxLength")
_SCHEMAS = ("dashboard", "prometheus", "stat", "timeseries")


def _constrains_strings(node: Any, definitions: dict[str, Any], seen: set[str]) -> bool:
    if not isinstance(node, dict):
        return False
    if any(key in node for key in _STRING_CONSTRAINTS):
        return True
    ref = node.get("$ref")
    if isinstance(ref, str) and ref not in seen:
        seen.add(ref)
        if _constrains_strings(definitions.get(ref.rsplit("/", 1)[-1]), definitions, seen):
            return True
    return any(_constrains_strings(sub, definitions, seen)
               for key in ("anyOf", "oneOf", "allOf") for sub in node.get(key) or ())


def _constrained(node: Any, definitions: dict[str, Any], out: set[str]) -> None:
    """Names of properties whose string values some schema constrains ('*' for any property)."""
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            if _constrains_strings(sub, definitions, set()):
                out.add(name)
        if _constrains_strings(node.get("additionalProperties"), definitions, set()) or "patternProperties" in node:
            out.add("*")
        for value in node.values():
            _constrained(value, definitions, out)
    elif isinstance(node, list):
        for value in node:
            _constrained(value, definitions, out)


@lru_cache(maxsize=None)
def free_text_keys() -> frozenset[str]:
    constrained: set[str] = set()
    for name in _SCHEMAS:
        schema = _schema(name)
        _constrained(schema, schema.get("definitions", {}), constrained)
    return frozenset() if "*" in constrained else frozenset(_FREE_TEXT_CANDIDATES) - constrained


def _masked(value: Any, free: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: "" if k in free and isinstance(v, str) else _masked(v, free) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, free) for v in value]
    return value


_clean: set[tuple[int, str]] = set()  # (validator, masked instance) shapes that passed


def _messages(check: jsonschema.Draft7Validator, instance: Any) -> Iterator[tuple[str, str]]:
    key = (id(check), json.dumps(_masked(instance, free_text_keys()), sort_keys=True))
    if key in _clean:
        return
    errors = sorted(check.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        _clean.add(key)
    for error in errors:
        yield _where(error.absolute_path), error.message


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows' nested panels included."""
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", []) if panel.get("type") == "row" else ()


def datasource_of(item: dict[str, Any]) -> dict[str, Any]:
    """The {type, uid} datasource reference of a panel, target or variable; {} when absent or not
    an object (a legacy string name, which the datasource check reports)."""
    ref = item.get("datasource")
    return ref if isinstance(ref, dict) else {}


def schema_problems(board: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, problem) for everything the schemas reject; `where` names the panel when it is one.
    Panels are checked one by one against the Panel (or RowPanel) definition, so an error says
    what is wrong with the panel rather than that it is not a row."""
    for path, message in _messages(validator("dashboard"), {**board, "panels": []}):
        yield _at("dashboard", path), message
    for panel in panels(board):
        title = panel.get("title", "?")
        is_row = panel.get("type") == "row"
        shape = {**panel, "panels": []} if is_row else panel
        for path, message in _messages(validator("dashboard", "RowPanel" if is_row else "Panel"), shape):
            yield _at(f"panel {title!r}", path), message
        for kind, part, name, definition in PANEL_PARTS:
            value = _dig(panel, part)
            if panel.get("type") == kind and value is not None:
                for path, message in _messages(validator(name, definition), value):
                    yield _at(f"panel {title!r}", *part, path), message
        for target in panel.get("targets", []):
            if datasource_of(target).get("type") == "prometheus":
                for path, message in _messages(validator("prometheus"), target):
                    yield _at(f"panel {title!r}, query {target.get('refId', '?')}", path), message
