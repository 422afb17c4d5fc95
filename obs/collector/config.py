"""Render a Collector to its config file, and read a raw config back into the typed model."""
from __future__ import annotations

from typing import Any, Mapping

from obs.collector.model import (
    COMPONENT_CLASSES, Collector, Component, Connector, Kind, Pipeline, Telemetry, thaw,
)
from obs.errors import DefinitionError
from obs.mappings import deep_merge

_SECTIONS: tuple[tuple[Kind, str], ...] = (
    ("receiver", "receivers"), ("processor", "processors"), ("exporter", "exporters"),
    ("connector", "connectors"), ("extension", "extensions"))


def render_telemetry(telemetry: Telemetry) -> dict[str, Any]:
    """service.telemetry: a pull Prometheus reader (host/port) at the given level, plus `extra`."""
    out: dict[str, Any] = {
        "logs": {"level": telemetry.logs_level},
        "metrics": {"level": telemetry.metrics_level, "readers": [{"pull": {"exporter": {"prometheus": {
            "host": telemetry.metrics_host, "port": telemetry.metrics_port}}}}]},
    }
    return deep_merge(out, thaw(telemetry.extra))


def render_config(collector: Collector) -> dict[str, Any]:
    """The collector's config file as a dict (component sections in first-use order)."""
    components = collector.components()
    out: dict[str, Any] = {}
    for kind, section in _SECTIONS:
        if components[kind]:
            out[section] = {cid: thaw(c.config) for cid, c in components[kind].items()}
    out["service"] = {
        "extensions": [e.id for e in collector.extensions],
        "pipelines": {p.name: {"receivers": [r.id for r in p.receivers],
                               "processors": [x.id for x in p.processors],
                               "exporters": [e.id for e in p.exporters]} for p in collector.pipelines},
        "telemetry": render_telemetry(collector.telemetry),
    }
    if not out["service"]["extensions"]:
        del out["service"]["extensions"]
    return out


def from_config(name: str, config: Mapping[str, Any], **collector_fields: Any) -> Collector:
    """A Collector from a raw collector config (e.g. one copied from a guide): every component is
    checked against the registry, and every id a pipeline names must be defined."""
    what = f"collector {name!r}"
    defined: dict[str, dict[str, Component]] = {}
    for kind, section in _SECTIONS:
        raw = config.get(section) or {}
        cls = COMPONENT_CLASSES[kind]
        defined[section] = {cid: cls(cid, dict(body or {})) for cid, body in raw.items()}
    service = config.get("service") or {}

    def lookup(pipeline: str, role: str, cid: str, sections: tuple[str, ...]) -> Any:  # Pipeline checks roles
        for section in sections:
            if cid in defined[section]:
                return defined[section][cid]
        raise DefinitionError(what, f"service.pipelines.{pipeline}.{role}",
                              f"{cid!r} is not defined under {' or '.join(sections)}",
                              f"define {cid!r} under {sections[0]} or remove it from the pipeline")

    pipelines = []
    for pname, body in (service.get("pipelines") or {}).items():
        body = body or {}
        pipelines.append(Pipeline(
            pname,
            receivers=[lookup(pname, "receivers", c, ("receivers", "connectors")) for c in body.get("receivers", ())],
            processors=[lookup(pname, "processors", c, ("processors",)) for c in body.get("processors", ())],
            exporters=[lookup(pname, "exporters", c, ("exporters", "connectors")) for c in body.get("exporters", ())],
        ))
    extensions = [lookup("extensions", "extensions", e, ("extensions",)) for e in service.get("extensions", ())]
    telemetry = Telemetry(extra=service.get("telemetry") or {})
    _check_all_used(what, defined, pipelines, extensions)
    return Collector(name, pipelines=pipelines, extensions=extensions,
                     telemetry=telemetry, **{"workload": "deployment", **collector_fields})


def _check_all_used(what: str, defined: dict[str, dict[str, Component]], pipelines: list[Pipeline],
                    extensions: list[Component]) -> None:
    every = [c for p in pipelines for c in (*p.receivers, *p.processors, *p.exporters)] + extensions
    used = {(c.kind, c.id) for c in every}
    for section, items in defined.items():
        for cid, component in items.items():
            if (component.kind, cid) not in used and not isinstance(component, Connector):
                raise DefinitionError(what, f"{section}.{cid}", "is defined but used by no pipeline",
                                      "add it to a pipeline or remove it")
