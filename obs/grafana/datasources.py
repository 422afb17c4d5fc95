"""The datasources obs provisions, with stable uids that dashboards and correlations refer to."""
from __future__ import annotations

PROMETHEUS_UID = "prometheus"
TEMPO_UID = "tempo"
LOKI_UID = "loki"
JAEGER_UID = "jaeger"
"""Provisioned only when the environment defines Jaeger (obs.backends.jaeger)."""
# The uids obs always provisions, by datasource type.
PROVISIONED: dict[str, str] = {PROMETHEUS_UID: "prometheus", TEMPO_UID: "tempo", LOKI_UID: "loki"}
# Grafana's built-in annotation datasource (always present, never provisioned).
GRAFANA_BUILTIN = {"type": "grafana", "uid": "-- Grafana --"}

DATASOURCE_VARIABLE = "datasource"
LOKI_VARIABLE = "loki_datasource"


def ref(kind: str, uid: str) -> dict[str, str]:
    """A datasource reference as modern dashboards write it: {"type", "uid"}."""
    return {"type": kind, "uid": uid}


def prometheus() -> dict[str, str]:
    """The Prometheus datasource chosen in the dashboard's `datasource` variable."""
    return ref("prometheus", "${%s}" % DATASOURCE_VARIABLE)


def loki() -> dict[str, str]:
    """The Loki datasource chosen in the dashboard's `loki_datasource` variable
    (obs.grafana.variables.loki_datasource), never a fixed uid."""
    return ref("loki", f"${{{LOKI_VARIABLE}}}")
