"""The Dashboard definition: grafanalib panels and variables, a stable uid, computed layout."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence


from obs.errors import DefinitionError
from obs.grafana.lib import gen, g
from obs.grafana import datasources, normalize
from obs.grafana.layout import Row, layout
from obs.grafana.panels import PANEL_TYPES
from obs.model.checks import check_http_url, check_nonempty, check_slug
from obs.model.suppress import Suppress, suppressions

MAX_UID = 40  # Grafana's limit for dashboard uids
TAG = "obs"   # every obs dashboard carries it; the dashboards dropdown links them together


def stable_uid(bundle: str, name: str) -> str:
    """`<bundle>-<name>`, or a readable prefix plus a hash when that exceeds 40 characters."""
    uid = f"{bundle}-{name}"
    if len(uid) <= MAX_UID:
        return uid
    return f"{uid[:MAX_UID - 9]}-{hashlib.sha256(uid.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Dashboard:
    """A Grafana dashboard. `panels` are obs.grafana panel factories' results (or grafanalib
    panels of a current type) and `Row`s; obs lays them out. `variables` are grafanalib
    Templates (see obs.grafana.variables). `links` are extra (title, url) links; runbooks of the
    alerts that point at this dashboard are linked automatically. `bundle` is the name of the
    bundle the dashboard belongs to: with `name` it gives the stable `uid` alerts link to.
    `suppress` silences lint rules for the dashboard, or one panel (Suppress(rule, reason, panel=title))."""

    name: str
    title: str
    bundle: str
    panels: Sequence[Any]
    variables: Sequence[g.Template] = ()
    description: str = ""
    tags: Sequence[str] = ()
    links: Mapping[str, str] = field(default_factory=dict)
    time_from: str = "now-6h"
    refresh: str = "1m"
    suppress: Mapping[str, str] | Sequence[Suppress] = ()

    @property
    def definition(self) -> str:
        return f"dashboard {self.name!r}"

    @property
    def uid(self) -> str:
        return stable_uid(self.bundle, self.name)

    def __post_init__(self) -> None:
        what = self.definition
        check_slug(what, "name", self.name)
        check_slug(what, "bundle", self.bundle)
        check_nonempty(what, "title", self.title)
        for name in ("panels", "variables", "tags"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "links", dict(self.links))
        for title, url in self.links.items():
            check_http_url(what, f"links[{title!r}]", url)
        if not self.panels:
            raise DefinitionError(what, "panels", "is empty", "add at least one panel")
        for item in self.panels:
            for panel in item.panels if isinstance(item, Row) else (item,):
                kind = getattr(panel, "to_json_data", None) and panel.to_json_data().get("type")
                if kind not in PANEL_TYPES:
                    raise DefinitionError(what, "panels", f"{getattr(panel, 'title', panel)!r} has type {kind!r}",
                                          f"use a current panel type: {', '.join(PANEL_TYPES)} "
                                          "(obs.grafana.timeseries, stat, table, logs, bargauge, heatmap)")
        for variable in self.variables:
            if not isinstance(variable, g.Template):
                raise DefinitionError(what, "variables", f"{variable!r} is not a grafanalib Template",
                                      "build variables with obs.grafana.variables")
        object.__setattr__(self, "suppress", suppressions(what, self.suppress, panels=True))

    def _links(self, runbooks: Mapping[str, str]) -> list[g.DashboardLink]:
        links = [g.DashboardLink(title="Dashboards", type="dashboards", tags=[TAG], asDropdown=True,
                                 includeVars=True, keepTime=True)]
        for title, url in {**self.links, **{f"Runbook: {a}": u for a, u in sorted(runbooks.items())}}.items():
            links.append(g.DashboardLink(title=title, type="link", uri=url, icon="doc", targetBlank=True,
                                         keepTime=False))
        return links

    def to_json(self, runbooks: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The dashboard as Grafana's current JSON model. `runbooks` maps alert names to the
        runbook URLs the dashboard links to (the alerts that link to this dashboard)."""
        board = g.Dashboard(
            title=self.title, uid=self.uid, description=self.description,
            tags=sorted({TAG, *self.tags}), panels=layout(self.panels), timezone="browser",
            templating=g.Templating(list=list(self.variables)), links=self._links(runbooks or {}),
            time=g.Time(self.time_from, "now"), refresh=self.refresh, editable=False,
            graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
            annotations=g.Annotations(list=[{
                "builtIn": 1, "datasource": datasources.GRAFANA_BUILTIN, "enable": True, "hide": True,
                "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]),
        )
        return normalize.dashboard(json.loads(json.dumps(board, cls=gen.DashboardEncoder)))
