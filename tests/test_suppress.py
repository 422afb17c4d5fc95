"""Lint suppressions: one rule, one definition (alert, SLO, dashboard, panel), a mandatory reason,
and a suppression that matches nothing is an error."""
from __future__ import annotations

import pytest

import obs
from obs import SLO, AlertRule, Bundle, Definitions, Environment, EventsSLI, RuleGroup, RulePack, Suppress
from obs.errors import DefinitionError, ValidationError
from obs.grafana import Dashboard, timeseries, variables

ENV = Environment("prod", cluster="prod-1")


def untested_alert(**extra) -> AlertRule:
    """An alert without unit tests: lint warns [unit-tests]."""
    return AlertRule("ApiDown", 'max by (cluster, job) (up{job="api"}) == 0', "critical", "API is down",
                     "{{ $labels.job }} is down", **extra)


def findings(**defs) -> list[str]:
    bundle = Bundle("team", [ENV], lambda env: Definitions(**defs))
    return [str(issue) for result in obs.render(bundle) for issue in result.issues]


def pack(alert: AlertRule) -> RulePack:
    return RulePack("api", [RuleGroup("api.rules", [alert])])


def test_an_alert_suppression_silences_that_rule_only():
    assert any("[unit-tests]" in f for f in findings(rule_packs=[pack(untested_alert())]))
    quiet = untested_alert(suppress={"unit-tests": "fires only on a full outage; the e2e test covers it"})
    assert findings(rule_packs=[pack(quiet)]) == []


def test_a_suppression_that_matches_nothing_is_an_error_naming_the_definition():
    stale = untested_alert(suppress=[Suppress("unit-tests", "no tests yet"), Suppress("alert-name", "legacy")])
    assert findings(rule_packs=[pack(stale)]) == [
        "error: alert 'ApiDown': [unused-suppression] suppresses [alert-name] but no finding matches (fix: remove "
        "the suppression, or correct its rule id or panel title)"]
    bundle = Bundle("team", [ENV], lambda env: Definitions(rule_packs=[pack(stale)]))
    with pytest.raises(ValidationError, match="unused-suppression"):
        obs.validate(obs.render(bundle))


@pytest.mark.parametrize("suppress, field, problem", [
    ({"unit-tests": " "}, "suppress['unit-tests']", "is empty"),
    ({"Unit Tests": "why"}, "suppress['Unit Tests']", "is not a lint rule id"),
    ("unit-tests", "suppress", "is not a mapping or a list of Suppress"),
    ([Suppress("unit-tests", "a"), Suppress("unit-tests", "b")], "suppress", "suppresses 'unit-tests' twice"),
    ([Suppress("unit-tests", "a", panel="Rate")], "suppress", "only a dashboard has panels"),
])
def test_a_bad_suppression_names_the_alert_and_field(suppress, field, problem):
    with pytest.raises(DefinitionError) as raised:
        untested_alert(suppress=suppress)
    assert raised.value.definition == "alert 'ApiDown'" and raised.value.field == field
    assert problem in raised.value.problem and raised.value.fix


def test_suppress_needs_a_reason():
    with pytest.raises(TypeError):
        Suppress("unit-tests")  # type: ignore[call-arg]
    with pytest.raises(DefinitionError, match="reviewers read it"):
        Suppress("unit-tests", "")


def board(suppress=()) -> Dashboard:
    """Two panels without a unit: lint reports [panel-units] on each."""
    scope = '{cluster=~"$cluster", namespace=~"$namespace"}'
    return Dashboard("api", "API", "team", [timeseries("Pods", f"sum by (cluster) (kube_pod_info{scope})", unit="",
                                                       description="Pods per cluster."),
                                            timeseries("Nodes", f"sum by (cluster) (kube_node_info{scope})", unit="",
                                                       description="Nodes per cluster.")],
                     variables=variables.standard(ENV, "kube_pod_info"), suppress=suppress)


def test_a_panel_suppression_silences_that_panel_only():
    assert sum("[panel-units]" in f for f in findings(dashboards=[board()])) == 2
    left = findings(dashboards=[board([Suppress("panel-units", "a count has no unit", panel="Pods")])])
    assert [f for f in left if "[panel-units]" in f] == [
        "error: dashboard 'api': [panel-units] panel 'Nodes': has no unit (fix: pass unit=, e.g. 'reqps', 's', "
        "'bytes', 'percentunit')"]
    assert findings(dashboards=[board({"panel-units": "counts only"})]) == []
    wrong_panel = findings(dashboards=[board([Suppress("panel-units", "x", panel="Pods"),
                                              Suppress("panel-units", "x", panel="Pod")])])
    assert any("[unused-suppression] suppresses [panel-units] on panel 'Pod'" in f for f in wrong_panel)


def slo(**extra) -> SLO:
    """An SLO whose SLI aggregates by job only: its generated rules drop the cluster label."""
    return SLO("api", "availability", 99.9, EventsSLI(
        bad=obs.counter_rate("http_server_request_duration_seconds_count", 'http_response_status_code=~"5.."',
                             by=("job",)),
        total=obs.counter_rate("http_server_request_duration_seconds_count", by=("job",))), **extra)


def test_an_slo_suppression_covers_the_rules_generated_from_it():
    assert any("[cluster-label]" in f for f in findings(slos=[slo()]))
    assert findings(slos=[slo(suppress={"cluster-label": "single-cluster Prometheus per region"})]) == []
    assert findings(slos=[slo(suppress={"cluster-label": "x", "unit-tests": "y"})]) == [
        "error: SLO 'api/availability': [unused-suppression] suppresses [unit-tests] but no finding matches (fix: "
        "remove the suppression, or correct its rule id or panel title)"]


def test_a_logql_alert_suppression_works_like_a_promql_one():
    from obs.backends import LocalStorage, Loki, LokiRulePack
    expr = 'sum(rate({app="api"} |= "error" [5m])) > 1'  # drops the cluster label

    def loki(**extra) -> Loki:
        alert = AlertRule("ApiLogErrors", expr, "warning", "Errors in the logs", "{{ $value }} errors per second",
                          **extra)
        return Loki(LocalStorage("/loki"), rule_packs=[LokiRulePack("api-logs", [RuleGroup("api", [alert])])])

    assert any("[cluster-label]" in f for f in findings(loki=loki()))
    assert findings(loki=loki(suppress={"cluster-label": "one Loki per cluster"})) == []
