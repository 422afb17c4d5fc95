"""A thin layer over grafanalib that emits modern, consistent Grafana dashboards.

    from obs.grafana import Dashboard, Query, Row, timeseries, stat, variables
"""
from obs.grafana.dashboard import Dashboard, stable_uid
from obs.grafana.layout import Row
from obs.grafana.panels import Query, bargauge, heatmap, logs, stat, table, timeseries

__all__ = ["Dashboard", "Query", "Row", "bargauge", "heatmap", "logs", "stable_uid", "stat", "table",
           "timeseries"]
