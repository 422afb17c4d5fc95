"""obs.grafana: the layer over grafanalib emits modern dashboards with computed layout and stable uids."""
from __future__ import annotations

import pytest
from grafanalib import core as g

from obs import Definitions
from obs.errors import DefinitionError
from obs.grafana import Dashboard, Query, Row, bargauge, heatmap, logs, stat, table, timeseries, variables
from obs.grafana.dashboard import stable_uid
from obs.grafana.normalize import PANEL_KEYS
from obs.validate.dashboard_schema import panels
from rules.environments import staging

RATE = "sum(rate(http_server_request_duration_seconds_count{job=\"$service\"}[$__rate_interval]))"


def board(items, **kwargs) -> Dashboard:
    return Dashboard(name=kwargs.pop("name", "demo"), title="Demo", bundle="reference", panels=items,
                     variables=variables.standard(staging, "up"), **kwargs)


def every_panel_type() -> list:
    return [timeseries("Rate", RATE, unit="reqps"), stat("Now", RATE, unit="reqps", thresholds=[(10, "red")]),
            table("Table", RATE), bargauge("Bars", RATE, unit="percentunit", max=1),
            heatmap("Heat", "sum by (le) (rate(x_bucket[$__rate_interval]))", unit="s"),
            logs("Logs", '{service_name="api"}')]


def test_uid_is_derived_from_bundle_and_name_and_fits_grafana_limit():
    assert board([timeseries("A", RATE, unit="s")]).uid == "reference-demo"
    long = stable_uid("reference", "a-very-long-dashboard-name-that-goes-on-and-on")
    assert len(long) == 40 and long.startswith("reference-a-very-long")
    assert long == stable_uid("reference", "a-very-long-dashboard-name-that-goes-on-and-on")
    assert long != stable_uid("reference", "a-very-long-dashboard-name-that-goes-on-and-on-2")


def test_layout_flows_wraps_and_puts_rows_on_their_own_line():
    data = board([stat("S1", RATE, unit="none", width=6), timeseries("T1", RATE, unit="s", width=12),
                  timeseries("T2", RATE, unit="s", width=12),
                  Row("Details", [timeseries("T3", RATE, unit="s", width=24, height=5)])]).to_json()
    pos = {p["title"]: p["gridPos"] for p in data["panels"]}
    assert pos["S1"] == {"h": 4, "w": 6, "x": 0, "y": 0}
    assert pos["T1"] == {"h": 8, "w": 12, "x": 6, "y": 0}
    assert pos["T2"] == {"h": 8, "w": 12, "x": 0, "y": 8}       # 6 + 12 + 12 > 24: wraps
    assert pos["Details"] == {"h": 1, "w": 24, "x": 0, "y": 16}
    assert pos["T3"] == {"h": 5, "w": 24, "x": 0, "y": 17}
    assert [p["id"] for p in data["panels"]] == [1, 2, 3, 4, 5]


def test_modern_output_fixes_grafanalib_defaults():
    data = board(every_panel_type()).to_json()
    assert data["schemaVersion"] >= 39 and "rows" not in data and "style" not in data
    assert {p["type"] for p in panels(data)} == {"timeseries", "stat", "table", "bargauge", "heatmap", "logs"}
    for panel in panels(data):
        assert set(panel) <= set(PANEL_KEYS), panel["title"]
        assert "maxDataPoints" not in panel and "span" not in panel
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert steps[0]["value"] is None and all(isinstance(s["value"], (int, float)) for s in steps[1:])
        for target in panel["targets"]:
            assert target.get("intervalFactor", 1) == 1 and "step" not in target and "query" not in target
    by_title = {p["title"]: p for p in panels(data)}
    assert by_title["Rate"]["options"]["legend"]["showLegend"] is True
    assert by_title["Now"]["fieldConfig"]["defaults"]["thresholds"]["steps"][1] == {"color": "red", "value": 10}
    assert "fieldOptions" not in by_title["Bars"]["options"]
    assert by_title["Logs"]["datasource"] == {"type": "loki", "uid": "${loki_datasource}"}  # a variable (issue 21)
    for variable in data["templating"]["list"]:
        assert None not in variable.values()
        assert variable["type"] != "query" or variable["refresh"] == 2


def test_exemplars_and_instant_queries_reach_the_target():
    data = board([timeseries("Latency", Query(RATE, exemplar=True), unit="s"),
                  table("Now", RATE)]).to_json()
    latency, now = data["panels"]
    assert latency["targets"][0]["exemplar"] is True and latency["targets"][0]["range"] is True
    assert now["targets"][0]["instant"] is True and now["targets"][0]["format"] == "table"


def test_runbooks_and_extra_links_become_dashboard_links():
    data = board([timeseries("A", RATE, unit="s")], links={"Docs": "https://docs.example.com"}).to_json(
        {"PodCrashLooping": "https://runbooks.example.com/podcrashlooping"})
    links = {link["title"]: link for link in data["links"]}
    assert links["Runbook: PodCrashLooping"]["url"] == "https://runbooks.example.com/podcrashlooping"
    assert links["Docs"]["type"] == "link" and links["Dashboards"]["tags"] == ["obs"]


@pytest.mark.parametrize("make, field", [
    (lambda: board([g.Graph(title="Old", dataSource="x", targets=[])]), "panels"),
    (lambda: board([]), "panels"),
    (lambda: board([timeseries("A", RATE, unit="s")], name="Not A Slug"), "name"),
    (lambda: timeseries("Wide", RATE, unit="s", width=25), "width"),
    (lambda: timeseries("", RATE, unit="s"), "title"),
    (lambda: timeseries("No queries", unit="s"), "queries"),
    (lambda: stat("Bad", RATE, unit="s", thresholds=[(5, "red"), (1, "orange")]), "thresholds"),
    (lambda: Row("Empty", []), "panels"),
    (lambda: board([Row("Outer", [Row("Inner", [timeseries("A", RATE, unit="s")])])]).to_json(), "panels"),
    (lambda: Definitions(dashboards=["not a dashboard"]), "dashboards"),
    (lambda: Definitions(dashboards=[board([timeseries("A", RATE, unit="s")])] * 2), "dashboards"),
])
def test_bad_definitions_name_the_field(make, field):
    with pytest.raises(DefinitionError) as info:
        make()
    assert info.value.field == field and info.value.fix
