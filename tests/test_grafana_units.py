"""An invalid Grafana unit id in a panel is a lint error naming the dashboard, the panel and a fix;
Grafana's ids and custom units pass."""
from __future__ import annotations

import json

import pytest

from obs import Bundle, Definitions, Environment, render
from obs.grafana import Dashboard, timeseries, variables
from obs.grafana.units import UNITS, is_unit
from obs.render import render_environment
from obs.validate.dashboards import lint_board

ENV = Environment("prod", cluster="prod-1")


def unit_findings(unit: str) -> list[str]:
    board = Dashboard("api", "API", "team", [timeseries("Requests", "sum by (cluster) (up)", unit=unit)],
                      variables=variables.standard(ENV, "up"))
    bundle = Bundle("team", [ENV], lambda env: Definitions(dashboards=[board]))
    return [str(i) for r in render(bundle) for i in r.issues if "unit" in i.check]


def test_a_misspelt_unit_is_an_error_with_the_likely_id():
    assert unit_findings("req/s") == [
        "error: dashboard 'api': [unknown-unit] panel 'Requests': unit 'req/s' is not a Grafana unit id (fix: did you "
        "mean 'reqps' or 'reqpm' or 'recps'? see obs.grafana.units.UNITS, or write a custom unit such as "
        "'suffix: pods')"]


@pytest.mark.parametrize("unit", ["reqps", "s", "percentunit", "bytes", "Bps", "short", "suffix: pods", "si:B",
                                  "count:jobs", "µs"])
def test_grafana_unit_ids_and_custom_units_pass(unit):
    assert unit_findings(unit) == []


@pytest.mark.parametrize("unit", ["seconds", "suffix:", "percentage", "Reqps", "bogus:x"])
def test_near_misses_fail(unit):
    assert not is_unit(unit)
    assert unit_findings(unit)


def test_override_units_are_checked_too():
    board = json.loads(json.dumps({"panels": [{"type": "stat", "title": "Up", "id": 1, "fieldConfig": {
        "defaults": {"unit": "short"}, "overrides": [{"matcher": {"id": "byName", "options": "x"},
                                                      "properties": [{"id": "unit", "value": "percentage"}]}]}}]}))
    found = [i for i in lint_board(board, "b", {}) if i.check == "unknown-unit"]
    assert [str(i) for i in found] == [
        "error: dashboard 'b': [unknown-unit] panel 'Up', override 0: unit 'percentage' is not a Grafana unit id "
        "(fix: did you mean 'percent' or 'percentunit'? see obs.grafana.units.UNITS, or write a custom unit such "
        "as 'suffix: pods')"]


def test_every_unit_of_the_reference_dashboards_is_known(reference_bundle):
    for env in reference_bundle.environments:
        for path, content in render_environment(reference_bundle, env).items():
            if path.startswith("grafana/dashboards/"):
                for panel in json.loads(content)["panels"]:
                    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
                    assert not unit or unit in UNITS, (path, panel["title"], unit)

