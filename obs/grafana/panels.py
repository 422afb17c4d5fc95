"""Panel factories: grafanalib panels with modern defaults and a size obs lays out on the grid.

Each factory returns a grafanalib panel whose `gridPos` carries only its width and height;
`obs.grafana.layout` computes x and y, and `obs.grafana.normalize` turns grafanalib's JSON into
what current Grafana writes (no legacy keys, no nulls, valid thresholds, full resolution).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Sequence


from obs.errors import DefinitionError
from obs.grafana.lib import attr, g
from obs.grafana import datasources
from obs.model.checks import check_number

GRID_COLUMNS = 24
# Panel types obs emits: the current visualisations only (no graph, singlestat, table-old, ...).
PANEL_TYPES = ("timeseries", "stat", "table", "logs", "bargauge", "heatmap")
Thresholds = Sequence[tuple[float, str]]


@dataclass(frozen=True)
class Query:
    """A PromQL (or, in a logs panel, LogQL) target. `legend` is a legendFormat such as
    '{{http_route}}'; `exemplar` asks Prometheus for exemplars (trace links via Tempo)."""

    expr: str
    legend: str = ""
    instant: bool = False
    exemplar: bool = False
    format: str = "time_series"

    def __post_init__(self) -> None:
        if not isinstance(self.expr, str) or not self.expr.strip():
            raise DefinitionError("query", "expr", "must be a non-empty query")
        if self.format not in ("time_series", "table", "heatmap"):
            raise DefinitionError("query", "format", f"{self.format!r} is not a query format",
                                  "use 'time_series', 'table' or 'heatmap'")


@functools.cache
def _target_class() -> type:
    """grafanalib's Target plus the `exemplar` and `range` switches of the Prometheus query model
    (made on first use, with grafanalib: obs.grafana.lib)."""

    @attr.s
    class _Target(g.Target):
        exemplar = attr.ib(default=False)

        def to_json_data(self) -> dict[str, Any]:
            data = super().to_json_data()
            data.update(exemplar=self.exemplar, range=not self.instant)
            return data

    _Target.__qualname__ = "_Target"  # reachable as obs.grafana.panels._Target, as before (pickle)
    globals()["_Target"] = _Target
    return _Target


def _targets(title: str, queries: Sequence[Query | str], datasource: dict[str, str]) -> list[Any]:
    if not queries:
        raise DefinitionError(f"panel {title!r}", "queries", "is empty", "give at least one query")
    targets = []
    for index, query in enumerate(queries):
        q = Query(query) if isinstance(query, str) else query
        if not isinstance(q, Query):
            raise DefinitionError(f"panel {title!r}", "queries", f"{query!r} is not a Query or string")
        targets.append(_target_class()(
            expr=q.expr.strip(), legendFormat=q.legend, instant=q.instant,
                               exemplar=q.exemplar, format=q.format, refId=chr(ord("A") + index),
                               intervalFactor=1, datasource=datasource))
    return targets


def _size(title: str, width: int, height: int) -> g.GridPos:
    if not isinstance(title, str) or not title.strip():
        raise DefinitionError("panel", "title", "is empty", "give every panel a title that says what it shows")
    if not isinstance(width, int) or not 1 <= width <= GRID_COLUMNS:
        raise DefinitionError(f"panel {title!r}", "width", f"{width!r} is not 1..{GRID_COLUMNS}",
                              f"the grid has {GRID_COLUMNS} columns")
    if not isinstance(height, int) or height < 1:
        raise DefinitionError(f"panel {title!r}", "height", f"{height!r} is not a positive integer")
    return g.GridPos(h=height, w=width, x=0, y=0)


def threshold_steps(title: str, thresholds: Thresholds, base: str = "green") -> list[dict[str, Any]]:
    """Grafana threshold steps: the base colour (value null = -Infinity), then ascending values."""
    steps: list[dict[str, Any]] = [{"color": base, "value": None}]
    values = [value for value, _ in thresholds]
    for value in values:  # NaN or infinity would be written as invalid JSON
        check_number(f"panel {title!r}", "thresholds", value)
    if values != sorted(values):
        raise DefinitionError(f"panel {title!r}", "thresholds", f"values {values} are not ascending",
                              "list (value, colour) pairs by ascending value")
    steps += [{"color": color, "value": value} for value, color in thresholds]
    return steps


def _common(title: str, queries: Sequence[Query | str], width: int, height: int, description: str,
            thresholds: Thresholds, datasource: dict[str, str] | None = None) -> dict[str, Any]:
    ds = datasource or datasources.prometheus()
    return dict(title=title, targets=_targets(title, queries, ds), gridPos=_size(title, width, height),
                description=description or None, dataSource=ds, maxDataPoints=None,
                thresholds=threshold_steps(title, thresholds))


def timeseries(title: str, *queries: Query | str, unit: str, width: int = 12, height: int = 8,
               description: str = "", stack: bool = False, min: int | None = None,
               max: int | None = None, thresholds: Thresholds = (), fill: int = 10,
               draw_style: str = "line") -> g.TimeSeries:
    """A time series panel with a shown list legend and a multi-series tooltip."""
    return g.TimeSeries(
        **_common(title, queries, width, height, description, thresholds), unit=unit,
        valueMin=min, valueMax=max, fillOpacity=fill, drawStyle=draw_style, showPoints="never",
        legendDisplayMode="list", tooltipMode="multi", tooltipSort="desc",
        stacking={"mode": "normal", "group": "A"} if stack else {"mode": "none", "group": "A"},
        thresholdsStyleMode="line" if thresholds else "off")


def stat(title: str, *queries: Query | str, unit: str, width: int = 4, height: int = 4,
         description: str = "", thresholds: Thresholds = (), base: str = "green",
         decimals: int | None = None, graph: bool = False, reduce: str = "lastNotNull") -> g.Stat:
    """A stat panel showing the last value, coloured by thresholds."""
    panel = g.Stat(**_common(title, queries, width, height, description, ()), format=unit,
                   decimals=decimals, graphMode="area" if graph else "none", reduceCalc=reduce,
                   colorMode="value", color={"mode": "thresholds"}, noValue="0")
    panel.thresholds = threshold_steps(title, thresholds, base)
    return panel


def table(title: str, *queries: Query | str, unit: str = "", width: int = 24, height: int = 8,
          description: str = "") -> g.Table:
    """A table of instant query results (queries default to instant, table format)."""
    qs = [Query(q, instant=True, format="table") if isinstance(q, str) else q for q in queries]
    return g.Table(**_common(title, qs, width, height, description, ()), unit=unit, filterable=True)


def bargauge(title: str, *queries: Query | str, unit: str, min: float = 0, max: float | None = None,
             width: int = 12, height: int = 8, description: str = "",
             thresholds: Thresholds = ()) -> g.BarGauge:
    """A horizontal bar gauge of each series' last value."""
    return g.BarGauge(**_common(title, queries, width, height, description, thresholds), format=unit,
                      min=min, max=max, displayMode=g.GAUGE_DISPLAY_MODE_GRADIENT, calc="lastNotNull")


def heatmap(title: str, query: Query | str, unit: str, width: int = 12, height: int = 8,
            description: str = "") -> g.Heatmap:
    """A heatmap of a Prometheus histogram: give `sum by (le) (rate(..._bucket[$__rate_interval]))`."""
    q = Query(query, format="heatmap", legend="{{le}}") if isinstance(query, str) else query
    panel = g.Heatmap(**_common(title, [q], width, height, description, ()))
    panel.extraJson = {"fieldConfig": {"defaults": {"unit": unit}}}
    return panel


def logs(title: str, *queries: Query | str, width: int = 24, height: int = 10,
         description: str = "") -> g.Logs:
    """A logs panel on the provisioned Loki datasource (queries are LogQL)."""
    return g.Logs(**_common(title, queries, width, height, description, (), datasources.loki()),
                  showTime=True, wrapLogMessages=True, enableLogDetails=True)
