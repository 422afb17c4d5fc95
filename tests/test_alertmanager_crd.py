"""Issue 22: the AlertmanagerConfig obs writes is proven to say what alertmanager.yaml says. amtool
and the real Alertmanager only read alertmanager.yaml; here the AlertmanagerConfig is converted as
the Prometheus Operator converts it (tests/alertmanager_operator.py, written independently of obs's
renderers), compared with alertmanager.yaml matcher by matcher, and every routing case of
routing-tests.yaml is routed through amtool on the converted config too."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from obs.alertmanager import (
    Alertmanager,
    PagerDuty,
    Receiver,
    Route,
    SecretRef,
    Slack,
    Webhook,
    intents_by_label,
)
from obs.alertmanager.config_file import render_config
from obs.alertmanager.crd import render_spec
from obs.alertmanager.matchers import Matcher
from obs.alertmanager.routing import Inhibition, TimeInterval, TimeRange
from obs.render.grafana import STACK_VALUES
from obs.serialize import to_yaml
from obs.validate import amtool
from obs.validate.schemas import CRDSchemas, object_errors
from tests import alertmanager_operator as operator

CRD = "kubernetes/alertmanagerconfig-{name}.yaml"


def both(folder: Path) -> tuple[dict, dict]:
    """alertmanager.yaml (without `global`, which the Alertmanager resource holds) and the operator's
    conversion of the AlertmanagerConfig, both with their matchers parsed."""
    written = yaml.safe_load((folder / amtool.CONFIG).read_text())
    name = yaml.safe_load((folder / amtool.CASES).read_text())["alertmanager"]
    crd = yaml.safe_load((folder / CRD.format(name=name)).read_text())
    assert crd["kind"] == "AlertmanagerConfig" and crd["apiVersion"] == "monitoring.coreos.com/v1alpha1"
    written.pop("global")
    return operator.canonical(written), operator.canonical(operator.config(crd["spec"]))


def with_alertmanager(folders: list[Path]) -> list[Path]:
    found = [f for f in folders if (f / amtool.CONFIG).is_file()]
    assert found, "the reference bundle has Alertmanager routing"
    return found


# --- the conversion itself ------------------------------------------------------------------------

def test_the_conversion_reads_every_match_type_and_the_operator_defaults():
    assert [operator.matcher(m) for m in (
        {"name": "a", "value": "x"}, {"name": "a", "value": "x", "matchType": "="},
        {"name": "a", "value": "x", "matchType": "!="}, {"name": "a", "value": "x|y", "matchType": "=~"},
        {"name": "a", "value": "x.*", "matchType": "!~"}, {"name": "a", "value": "x.*", "regex": True},
    )] == ['a="x"', 'a="x"', 'a!="x"', 'a=~"x|y"', 'a!~"x.*"', 'a=~"x.*"']
    with pytest.raises(operator.NotConvertible, match="matchType"):
        operator.matcher({"name": "a", "value": "x", "matchType": "=="})
    with pytest.raises(operator.NotConvertible, match="groupByz"):
        operator.route({"receiver": "r", "groupByz": ["a"]})


# --- the reference bundle -------------------------------------------------------------------------

def test_the_alertmanagerconfig_says_what_alertmanager_yaml_says(reference_folders):
    """Route tree, matchers (with their operators), inhibitions, time intervals and receivers (each
    credential the same Secret key) are equal in every environment."""
    for folder in with_alertmanager(reference_folders):
        written, converted = both(folder)
        for section in sorted(set(written) | set(converted)):
            assert converted.get(section) == written.get(section), f"{folder.name}: {section} differs"


def test_the_prod_cluster_down_inhibition_keeps_its_negative_matcher(reference_folders):
    """The case the deliberate bug hid: `alertname!="ClusterDown"` must stay `!=` in both renderings."""
    prod = next(f for f in reference_folders if f.name == "prod")
    written, converted = both(prod)
    for config in (written, converted):
        down = next(r for r in config["inhibit_rules"] if ("alertname", "=", "ClusterDown") in r["source_matchers"])
        assert down["target_matchers"] == [("alertname", "!=", "ClusterDown")]


@pytest.mark.tools
def test_every_routing_case_routes_the_same_through_the_alertmanagerconfig(reference_folders, amtool_bin, tmp_path):
    """amtool on the operator's conversion: every case reaches the receivers its intent names."""
    checked = 0
    for folder in with_alertmanager(reference_folders):
        name = yaml.safe_load((folder / amtool.CASES).read_text())["alertmanager"]
        crd = yaml.safe_load((folder / CRD.format(name=name)).read_text())
        converted = tmp_path / folder.name / amtool.CONFIG
        converted.parent.mkdir(parents=True)
        converted.write_bytes(to_yaml(operator.config(crd["spec"])))
        assert amtool.check_configs([tmp_path / folder.name]).endswith("1 configs OK")
        cases = yaml.safe_load((folder / amtool.CASES).read_text())["cases"]
        wrong = [(case["alert"], case["labels"], got, case["receivers"]) for case in cases
                 if (got := amtool.resolve(converted, case["labels"])) != case["receivers"]]
        assert wrong == [], f"{folder.name}: the AlertmanagerConfig routes these elsewhere: {wrong[:3]}"
        checked += len(cases)
    assert checked > 20


# --- every operator and field, in a small config ----------------------------------------------------

def every_operator() -> Alertmanager:
    key = SecretRef("pagerduty", "routing-key")
    return Alertmanager(
        name="ops",
        route=Route("default", group_by=("alertname", "cluster"), group_wait="30s", group_interval="5m",
                    repeat_interval="4h", routes=[
                        Route("pager", match=['severity="critical"', 'team!="infra"'], group_wait="10s",
                              continue_=True, routes=[Route("bot", match=['service=~"shop|web"'])]),
                        Route("null", match=['severity=~"info|debug"', 'env!~"prod.*"'], muted_in=("nights",)),
                        Route("tickets", match={"severity": "warning"}, repeat_interval="24h",
                              active_in=("office",))]),
        receivers=[Receiver("default", [Slack(SecretRef("slack", "url"), "#alerts")]), Receiver("null"),
                   Receiver("pager", [PagerDuty(key)]),
                   Receiver("bot", [Webhook("http://bot.ops.svc/alerts", bearer_token=SecretRef("bot", "token"))]),
                   Receiver("tickets", [Slack(SecretRef("slack", "url"), "#tickets", send_resolved=False)])],
        intents=intents_by_label("severity", {"critical": "pager", "info": "null", "warning": "tickets"}),
        inhibitions=[Inhibition(['alertname="ClusterDown"'], ['alertname!="ClusterDown"'], ("cluster",)),
                     Inhibition(['severity=~"critical"'], ['severity!~"critical|info"'], ("alertname",))],
        time_intervals=[TimeInterval("office", [TimeRange(("monday:friday",), "09:00", "17:00")]),
                        TimeInterval("nights", [TimeRange(start="00:00", end="06:00")])],
    )


def test_every_matcher_operator_and_field_is_the_same_in_both_renderings():
    config = every_operator()
    written = render_config(config)
    written.pop("global")
    converted = operator.canonical(operator.config(render_spec(config)))
    assert converted == operator.canonical(written)
    ops = {m[1] for r in converted["inhibit_rules"] for m in r["source_matchers"] + r["target_matchers"]}
    ops |= {m[1] for r in converted["route"]["routes"] for m in r["matchers"]}
    assert ops == {"=", "!=", "=~", "!~"}


# --- matchers evaluate as Alertmanager does (obs derives intents and routing cases from them) -----------

@pytest.mark.parametrize("matcher, labels, matches", [
    (Matcher("team", "shop", "=~"), {"team": "shop"}, True),
    (Matcher("team", "shop", "=~"), {"team": "shopping"}, False),  # anchored, as Alertmanager anchors
    (Matcher("team", "shop|web", "=~"), {"team": "web"}, True),
    (Matcher("env", "prod.*", "!~"), {"env": "production"}, False),
    (Matcher("env", "prod.*", "!~"), {"env": "dev-prod"}, True),
    (Matcher("env", "prod.*", "!~"), {}, True),  # a missing label is the empty string
    (Matcher("a", "x", "!="), {"a": "x"}, False),
    (Matcher("a", "x", "!="), {"a": "y"}, True),
    (Matcher("a", "x", "!="), {}, True),
    (Matcher("a", "x", "="), {"a": "x"}, True),
    (Matcher("a", "x", "="), {"a": "xx"}, False),
    (Matcher("a", "", "="), {}, True),
])
def test_matchers_evaluate_as_alertmanager_does(matcher, labels, matches):
    assert matcher.matches(labels) is matches


@pytest.mark.tools
def test_obs_and_amtool_route_the_same_label_sets(amtool_bin, tmp_path):
    """Python's matcher evaluation (which decides the routing cases) against amtool's, per operator."""
    routes = {"eq": 'a="x"', "neq": 'b!="x"', "re": 'c=~"x|y"', "nre": 'd!~"x.*"'}
    config = Alertmanager(
        name="ops", route=Route("default", group_wait="1s", group_interval="1m", repeat_interval="1h",
                                routes=[Route(name, match=[m]) for name, m in routes.items()]),
        receivers=[Receiver(name) for name in ("default", *routes)],
        intents=intents_by_label("x", {"never": "default"}))
    (tmp_path / amtool.CONFIG).parent.mkdir(parents=True)
    (tmp_path / amtool.CONFIG).write_bytes(to_yaml(render_config(config)))
    samples = [{"a": "x"}, {"a": "xx", "b": "x", "d": "xy"}, {"b": "x", "c": "y", "d": "x"},
               {"b": "x", "c": "xy", "d": "x1"}, {"b": "x", "d": "ok"}, {"b": "x", "d": "x"}]
    for labels in samples:
        expected = next((r.receiver for r in config.route.routes if all(m.matches(labels) for m in r.match)),
                        "default")
        assert amtool.resolve(tmp_path / amtool.CONFIG, labels) == [expected], labels


def test_the_charts_alertmanager_runs_the_alertmanagerconfig_as_its_global_configuration(reference_folders):
    """The generated kube-prometheus-stack values name obs's AlertmanagerConfig as the Alertmanager's
    global configuration (selected by label instead, the operator scopes its top route to
    namespace="monitoring", so every other namespace's alerts would miss obs's routing) and carry
    alertmanager.yaml's `global`; the Alertmanager resource they make matches the operator's CRD."""
    crds = CRDSchemas(Path(__file__).parent / "schemas" / "crds")
    folders = with_alertmanager(reference_folders)
    assert folders
    for folder in folders:
        spec = yaml.safe_load((folder / STACK_VALUES).read_text())["alertmanager"]["alertmanagerSpec"]
        name = yaml.safe_load((folder / amtool.CASES).read_text())["alertmanager"]
        assert spec["alertmanagerConfiguration"]["name"] == name and (folder / CRD.format(name=name)).is_file()
        written = yaml.safe_load((folder / amtool.CONFIG).read_text())["global"]
        assert spec["alertmanagerConfiguration"]["global"] == {"resolveTimeout": written["resolve_timeout"]}
        resource = {"apiVersion": "monitoring.coreos.com/v1", "kind": "Alertmanager",
                    "metadata": {"name": "kube-prometheus-stack-alertmanager", "namespace": "monitoring"}, "spec": spec}
        assert object_errors(resource, crds) == []
        spec["alertmanagerConfiguration"]["global"]["resolveTimeout"] = "5 minutes"  # the schema is applied
        assert object_errors(resource, crds)
