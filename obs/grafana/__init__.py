"""A thin layer over grafanalib that emits modern, consistent Grafana dashboards.

    from obs.grafana import Dashboard, Query, Row, timeseries, stat, variables
"""
from typing import TYPE_CHECKING

from obs.lazy import exports

if TYPE_CHECKING:
    from obs.grafana.dashboard import Dashboard, stable_uid
    from obs.grafana.layout import Row
    from obs.grafana.panels import Query, bargauge, heatmap, logs, stat, table, timeseries

__all__ = ["Dashboard", "Query", "Row", "bargauge", "heatmap", "logs", "stable_uid", "stat", "table",
           "timeseries"]
__getattr__, __dir__ = exports(__name__, {
    "dashboard": ("Dashboard", "stable_uid"),
    "layout": ("Row",),
    "panels": ("Query", "bargauge", "heatmap", "logs", "stat", "table", "timeseries"),
})
