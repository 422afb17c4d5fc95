"""Check dashboard JSON against Grafana's published JSON schemas (grafana-foundation-sdk, vendored
in obs/grafana/schema): the dashboard, stat and time series panel options, Prometheus queries."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator

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
    """A validator for a schema file, or for one of its definitions."""
    schema = _schema(name)
    if definition is not None:
        schema = {"$ref": f"#/definitions/{definition}", "definitions": schema["definitions"]}
    return jsonschema.Draft7Validator(schema)


def _where(path: Any) -> str:
    return "/".join(str(p) for p in path)


def _at(prefix: str, *parts: str) -> str:
    path = "/".join(p for p in parts if p)
    return f"{prefix} at {path}" if path else prefix


def _messages(check: jsonschema.Draft7Validator, instance: Any) -> Iterator[tuple[str, str]]:
    for error in sorted(check.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
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
