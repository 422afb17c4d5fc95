"""Model invariants: each bad definition is rejected with the definition, the field and the fix."""
from __future__ import annotations

import pytest

from obs import AlertRule, AlertTest, DefinitionError, Environment, FiringAlert, RecordingRule, RuleGroup, RulePack
from tests.sample_bundle import make_bundle, up_alert

GOOD = dict(name="ApiDown", expr="up == 0", severity="warning", summary="s", description="{{ $value }}")


def alert(**changes) -> AlertRule:
    return AlertRule(**{**GOOD, **changes})


@pytest.mark.parametrize("changes, field, words", [
    ({"for_": "5 minutes"}, "for_", "not a Prometheus duration"),
    ({"for_": "5"}, "for_", "not a Prometheus duration"),
    ({"severity": "page"}, "severity", "critical, warning, info"),
    ({"expr": "  "}, "expr", "non-empty"),
    ({"name": "api-down"}, "name", "not a valid alert name"),
    ({"labels": {"team-name": "x"}}, "labels['team-name']", "not a valid label name"),
    ({"labels": {"__meta": "x"}}, "labels['__meta']", "not a valid label name"),
    ({"labels": {"severity": "critical"}}, "labels", "severity"),
    ({"labels": {"tier": 1}}, "labels['tier']", "label values are strings"),
    ({"annotations": {"summary": "x"}}, "annotations['summary']", "own field"),
    ({"dashboard": "svc-overview"}, "dashboard", "not a dashboard"),
])
def test_alert_rule_rejects_bad_fields(changes, field, words):
    with pytest.raises(DefinitionError) as err:
        alert(**changes)
    assert err.value.definition.startswith("alert ")
    assert err.value.field == field
    assert words in str(err.value)


def test_error_message_names_definition_field_and_fix():
    with pytest.raises(DefinitionError) as err:
        alert(for_="10 min")
    assert str(err.value) == ("alert 'ApiDown': field 'for_': '10 min' is not a Prometheus duration "
                              "(fix: write whole numbers with units in the order y, w, d, h, m, s, ms, each once, "
                              "e.g. '5m' or '1h30m' (no fractions: '90m', not '1.5h'))")


def test_recording_rule_name_must_be_a_metric_name():
    with pytest.raises(DefinitionError, match="field 'record'"):
        RecordingRule("job:http-requests:rate5m", "sum(rate(x[5m]))")


def test_duplicate_alert_names_in_a_group_are_rejected():
    with pytest.raises(DefinitionError, match="duplicate alert 'ApiDown'") as err:
        RuleGroup("g", [alert(), alert(expr="up < 1")])
    assert err.value.definition == "rule group 'g'"


def test_recording_rules_may_share_a_name_only_with_distinct_labels():
    RuleGroup("g", [RecordingRule("q:x", "x", {"quantile": "0.9"}), RecordingRule("q:x", "x", {"quantile": "0.5"})])
    with pytest.raises(DefinitionError, match="duplicate recording rule"):
        RuleGroup("g", [RecordingRule("q:x", "x"), RecordingRule("q:x", "y")])


def test_empty_group_and_pack_are_rejected():
    with pytest.raises(DefinitionError, match="rule group 'g': field 'rules': is empty"):
        RuleGroup("g", [])
    with pytest.raises(DefinitionError, match="field 'groups': duplicate group name"):
        RulePack("p", [RuleGroup("g", [alert()]), RuleGroup("g", [alert()])])
    with pytest.raises(DefinitionError, match="field 'name'"):
        RulePack("Bad Name", [RuleGroup("g", [alert()])])


def test_alert_test_must_evaluate_after_for_and_not_repeat_rule_labels():
    fired = FiringAlert({"job": "api"}, "x")
    with pytest.raises(DefinitionError, match="before the alert's for_"):
        alert(for_="10m", tests=[AlertTest("early", {"up": "0x10"}, at="5m", fires=[fired])])
    with pytest.raises(DefinitionError, match="rule's own labels"):
        alert(tests=[AlertTest("x", {"up": "0x10"}, at="5m", fires=[FiringAlert({"severity": "warning"}, "x")])])


def test_environment_overrides_are_typed_and_must_be_used():
    env = Environment("dev", cluster="c", overrides={"X.threshold": "high"})
    with pytest.raises(DefinitionError, match=r"overrides\['X.threshold'\].*is a str, the default is 0.8"):
        env.param("X.threshold", 0.8)
    env = Environment("dev", cluster="c", overrides={"X.for": "ten minutes"})
    with pytest.raises(DefinitionError, match="not a Prometheus duration"):
        env.param("X.for", "10m")
    env = Environment("dev", cluster="c", overrides={"X.threshold": 1})
    assert env.param("X.threshold", 0.8) == 1
    assert env.unused_overrides() == []


def test_unread_override_fails_the_render():
    from obs.render import render_environment
    bundle = make_bundle(overrides={"ApiDown.treshold": 3})
    with pytest.raises(DefinitionError, match="no definition reads ApiDown.treshold"):
        render_environment(bundle, bundle.environments[0])


def test_environment_names_and_selectors():
    with pytest.raises(DefinitionError, match="environment 'Prod'"):
        Environment("Prod", cluster="c")
    env = Environment("prod", cluster="c", selectors={"kube_state_metrics": 'job="ksm"'})
    assert env.selector("kube_state_metrics") == 'job="ksm"'
    assert env.selector("cadvisor")  # defaults are kept
    with pytest.raises(DefinitionError, match="no selector named 'nope'"):
        env.selector("nope")


def test_sample_alert_is_valid():
    assert up_alert().static_labels == {"severity": "critical"}


def test_wrong_item_types_are_named_with_the_field():
    from obs import Bundle, Definitions
    with pytest.raises(DefinitionError, match=r"rule pack 'p': field 'groups': 1 is not a RuleGroup"):
        RulePack("p", [1])
    with pytest.raises(DefinitionError, match=r"field 'tests': 'x' is not an AlertTest"):
        alert(tests=["x"])
    with pytest.raises(DefinitionError, match=r"field 'environments': 'prod' is not an Environment"):
        Bundle("b", ["prod"], lambda env: Definitions())


def test_generated_objects_skip_checks_that_a_users_objects_still_get():
    """obs's own SLO rules and proofs are built through `generated` without the checks (their
    labels come from a validated SLO); the same bad input written by a user is still refused."""
    with pytest.raises(DefinitionError) as err:
        RecordingRule("slo:x:ratio", "x", {"bad-name": "v"})
    assert err.value.field == "labels['bad-name']" and err.value.fix
    with pytest.raises(DefinitionError, match="'soon' is not a Prometheus duration"):
        AlertTest("t", {"up": "1"}, at="soon")
    with pytest.raises(DefinitionError, match="not a valid label name"):
        FiringAlert({"bad-name": "v"}, "d")
    generated = RecordingRule.generated("slo:x:ratio", "x", {"team": "shop"})
    assert generated == RecordingRule("slo:x:ratio", "x", {"team": "shop"})
    test = AlertTest.generated("t", {"up": "1"}, at="5m", fires=[FiringAlert.generated({"team": "shop"}, "d")])
    assert test == AlertTest("t", {"up": "1"}, at="5m", fires=[FiringAlert({"team": "shop"}, "d")])
    # The one check a validated SLO does not make itself stays: an empty label value.
    with pytest.raises(DefinitionError, match=r"labels\['team'\]'.*is empty"):
        FiringAlert.generated({"team": ""}, "d")


def test_generated_proofs_skip_the_rule_checks_but_not_counters_going_down():
    own_label = AlertTest("t", {"up": "0x5"}, at="5m", fires=[FiringAlert({"severity": "page"}, "d")])
    with pytest.raises(DefinitionError, match="sets the rule's own labels"):
        alert().with_tests([own_label])  # a user's test
    assert alert().with_generated_tests([own_label]).tests == (own_label,)
    down = AlertTest("t", {"x_total": "0+-1x5"}, at="5m")
    with pytest.raises(DefinitionError, match="goes down"):
        alert().with_generated_tests([down])
    deferred = alert().with_deferred_tests(lambda: [down])  # made, and checked, on first read
    with pytest.raises(DefinitionError, match="goes down"):
        _ = deferred.tests
    assert alert().with_deferred_tests(lambda: [own_label]).tests == (own_label,)
