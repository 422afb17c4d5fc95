"""Alertmanager as code: the model rejects bad routing with a clear error, renders
alertmanager.yaml and an AlertmanagerConfig, and the real amtool proves the reference routing:
every alert the bundle defines reaches the receiver its intent names."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from obs import AlertRule, AlertTest, Definitions, FiringAlert, RuleGroup, RulePack
from obs.alertmanager import (
    Alertmanager, Email, Intent, PagerDuty, Receiver, Route, SecretRef, Slack, TimeRange, Webhook,
    business_hours, intents_by_label,
)
from obs.alertmanager.cases import routing_cases
from obs.alertmanager.config_file import render_config
from obs.alertmanager.crd import render_spec
from obs.errors import DefinitionError, ValidationError
from obs.validate import amtool

KEY = SecretRef("pagerduty", "routing-key")
TIMINGS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}


def small(**changes) -> Alertmanager:
    """A two-route config: critical pages, info is dropped, the rest falls to the default."""
    fields = dict(
        name="main",
        route=Route("default", group_by=("alertname",), **TIMINGS,
                    routes=[Route("pager", match={"severity": "critical"}), Route("null", match={"severity": "info"})]),
        receivers=[Receiver("default", [Slack(SecretRef("slack", "url"), "#alerts")]), Receiver("null"),
                   Receiver("pager", [PagerDuty(KEY)])],
        intents=intents_by_label("severity", {"critical": "pager", "info": "null", "warning": "default"}),
    )
    fields.update(changes)
    return Alertmanager(**fields)


def alert(name: str, severity: str, **labels: str) -> AlertRule:
    return AlertRule(name, "up == 0", severity, "s", "d", tests=[
        AlertTest("fires", {'up{job="a"}': "0x5"}, at="5m", fires=[FiringAlert({"job": "a", **labels}, "d")])])


# --- model -----------------------------------------------------------------------------------

def test_an_inline_credential_is_rejected_without_echoing_it():
    with pytest.raises(DefinitionError) as err:
        PagerDuty("s3cr3t-key")
    assert err.value.definition == "PagerDuty integration" and err.value.field == "pagerduty.routing_key"
    assert "SecretRef" in err.value.fix
    assert "s3cr3t" not in str(err.value)
    with pytest.raises(DefinitionError, match="slack.api_url"):
        Receiver("x", [Slack("https://hooks.slack.com/services/T0/B0/XYZ", "#a")])


@pytest.mark.parametrize("url", ["https://user:pw@bot.example.com/hook", "https://bot.example.com/hook?token=abc",
                                 "ftp://bot.example.com"])
def test_a_webhook_url_carrying_credentials_or_not_http_is_rejected(url):
    with pytest.raises(DefinitionError) as err:
        Receiver("bot", [Webhook(url)])
    assert err.value.field == "webhook.url" and "abc" not in str(err.value) and "pw" not in str(err.value)


def test_email_password_needs_a_username():
    with pytest.raises(DefinitionError, match="auth_username and auth_password together"):
        Receiver("mail", [Email("a@example.com", "b@example.com", "smtp.example.com:587",
                                auth_password=SecretRef("smtp", "pw"))])


@pytest.mark.parametrize("changes,field,text", [
    ({"route": Route("pagr", **TIMINGS)}, "route", "names no defined receiver"),
    ({"route": Route("default", match={"a": "b"}, **TIMINGS)}, "route", "root route has matchers"),
    ({"route": Route("default", group_wait="30s")}, "route.group_interval", "not set on the root"),
    ({"route": Route("default", **TIMINGS, routes=[Route("pager", active_in=("office",)),
                                                   Route("null")])}, "route", "time interval 'office'"),
    ({"route": Route("default", **TIMINGS, routes=[Route("pager")])}, "receivers", "'null' is not used"),
    ({"intents": [Intent({"severity": "critical"}, "pagerduty")]}, "intents", "'pagerduty', which is not defined"),
    ({"intents": []}, "intents", "is empty"),
    ({"receivers": [Receiver("default"), Receiver("default"), Receiver("null"), Receiver("pager")]}, "receivers",
     "duplicate receiver"),
])
def test_bad_routing_is_a_definition_error_naming_the_field(changes, field, text):
    with pytest.raises(DefinitionError) as err:
        small(**changes)
    assert err.value.field == field and text in str(err.value), str(err.value)


@pytest.mark.parametrize("build,text", [
    (lambda: Route("x", match=['team=~"shop|web"', 'severity!="info"'], group_wait="soon"),
     "not a Prometheus duration"),
    (lambda: Route("x", match=["team=shop"]), "is not a matcher"),
    (lambda: Route("x", match=['team=~"(unclosed"']), "not a regular expression"),
    (lambda: Route("x", group_by=("...", "cluster")), "stands alone"),
    (lambda: TimeRange(("mon-fri",)), "not a weekday"),
    (lambda: TimeRange(start="18:00", end="09:00"), "is not after"),
])
def test_bad_parts_are_rejected(build, text):
    with pytest.raises(DefinitionError, match=text):
        build()


def test_an_alert_no_intent_covers_is_named():
    config = small(intents=[Intent({"severity": "critical"}, "pager")])
    pack = RulePack("p", [RuleGroup("g", [alert("DiskFull", "warning", instance="db-1")])])
    with pytest.raises(DefinitionError, match=r"no intent covers alert 'DiskFull' \(rule pack 'p'"):
        routing_cases(config, [pack])


def test_cases_carry_the_fired_labels_with_the_rules_static_labels_on_top():
    rule = replace(alert("DiskFull", "warning", instance="db-1"), labels={"team": "db"})
    cases = routing_cases(small(), [RulePack("p", [RuleGroup("g", [rule])])])
    assert cases == [{"alert": "DiskFull", "pack": "p", "case": "fires", "receivers": ["default"],
                      "intent": "severity=warning",
                      "labels": {"alertname": "DiskFull", "instance": "db-1", "job": "a", "severity": "warning",
                                 "team": "db"}}]


# --- rendering ---------------------------------------------------------------------------------

def test_both_renderings_reference_credentials_never_inline():
    config = small(time_intervals=[business_hours()],
                   route=Route("default", **TIMINGS, routes=[Route("pager", match={"severity": "critical"}),
                                                             Route("null", match={"severity": "info"},
                                                                   active_in=("business-hours",))]))
    text = yaml.safe_dump(render_config(config))
    assert "routing_key_file: /etc/alertmanager/secrets/pagerduty/routing-key" in text
    assert "api_url_file: /etc/alertmanager/secrets/slack/url" in text
    spec = render_spec(config)
    assert spec["receivers"][2]["pagerdutyConfigs"] == [{"routingKey": {"name": "pagerduty", "key": "routing-key"},
                                                          "sendResolved": True}]
    assert spec["route"]["routes"][1]["activeTimeIntervals"] == ["business-hours"]
    assert spec["muteTimeIntervals"][0]["timeIntervals"][0]["times"] == [{"startTime": "09:00", "endTime": "17:00"}]
    assert config.secrets() == ["pagerduty", "slack"]


# --- amtool ------------------------------------------------------------------------------------

def test_amtool_accepts_every_generated_config(reference_folders, amtool_bin):
    assert amtool.check_configs(reference_folders) == f"amtool check-config: {len(reference_folders)} configs OK"


def test_amtool_rejects_a_broken_config(reference_folders, amtool_bin, tmp_path):
    folder = tmp_path / "prod"
    shutil.copytree(reference_folders[-1], folder)
    config = folder / amtool.CONFIG
    config.write_text(config.read_text().replace("receiver: shop-pager", "receiver: shop-pagr", 1))
    with pytest.raises(ValidationError, match="shop-pagr"):
        amtool.check_configs([folder])


def test_every_reference_alert_reaches_its_intended_receiver(reference_folders, reference_bundle, amtool_bin):
    report = amtool.check_routes(reference_folders)
    cases = [c for folder in reference_folders
             for c in yaml.safe_load((folder / amtool.CASES).read_text())["cases"]]
    assert report == f"amtool routes test: {len(cases)} alert label sets reach their intended receivers"
    alerts = {a.name for env in reference_bundle.environments
              for p in reference_bundle.definitions(env).all_rule_packs() for a in p.alerts}
    assert {c["alert"] for c in cases} == alerts  # every alert the bundle defines
    by_intent = {c["intent"]: c["receivers"] for c in cases}  # generated from the teams
    assert by_intent["shop critical -> incident-bot + shop-pager"] == ["incident-bot", "shop-pager"]
    assert by_intent["shop warning -> shop-tickets"] == ["shop-tickets"]
    assert by_intent["platform info -> null"] == ["null"]
    slo_page = next(c for c in cases if c["alert"] == "CheckoutAvailabilityErrorBudgetBurnPage")
    assert slo_page["receivers"] == ["incident-bot", "shop-pager"] and slo_page["labels"]["team"] == "shop"


def _broken_copy(folder: Path, tmp_path: Path, old: str, new: str) -> Path:
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    path = copy / amtool.CONFIG
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    return copy


def test_a_route_sending_shop_tickets_elsewhere_fails_naming_the_alert(reference_folders, amtool_bin, tmp_path):
    folder = _broken_copy(reference_folders[-1], tmp_path, "- team=\"shop\"", "- team=\"shops\"")
    with pytest.raises(ValidationError) as err:
        amtool.check_routes([folder])
    assert "CheckoutAvailabilityErrorBudgetBurnTicket" in str(err.value)
    assert "must reach ['shop-tickets']" in str(err.value) and "fell through to the default receiver" in str(err.value)


def test_an_alert_falling_to_the_default_receiver_fails(reference_folders, amtool_bin, tmp_path):
    folder = _broken_copy(reference_folders[-1], tmp_path, '- team="platform"', '- team="platfrom"')
    with pytest.raises(ValidationError, match="ClusterDown.*fell through to the default receiver 'platform-email'"):
        amtool.check_routes([folder])


def test_the_bundle_wires_alertmanager_outputs(reference_bundle):
    from obs.render import render_environment
    env = reference_bundle.environments[0]
    files = render_environment(reference_bundle, env)
    assert {"alertmanager/alertmanager.yaml", "alertmanager/routing-tests.yaml",
            "kubernetes/alertmanagerconfig-obs.yaml"} <= set(files)
    assert "kubernetes/alertmanagerconfig-obs.yaml" in files["kustomization.yaml"].decode()


def test_definitions_reject_a_non_alertmanager():
    with pytest.raises(DefinitionError, match="is not an Alertmanager"):
        Definitions(alertmanager={"route": {}})


def test_a_continuing_route_reaches_both_receivers_in_order(amtool_bin, tmp_path):
    """`continue_` renders as `continue: true`; amtool reports both receivers, the intent lists both."""
    config = small(
        route=Route("default", **TIMINGS, routes=[Route("audit", match={"severity": "critical"}, continue_=True),
                                                  Route("pager", match={"severity": "critical"}),
                                                  Route("null", match={"severity": "info"})]),
        receivers=[Receiver("default"), Receiver("audit", [Webhook("http://audit.ops.svc/alerts")]),
                   Receiver("null"), Receiver("pager", [PagerDuty(KEY)])],
        intents=[Intent({"severity": "critical"}, ("audit", "pager")), Intent({}, "default")])
    pack = RulePack("p", [RuleGroup("g", [alert("DiskFull", "critical"), alert("DiskFilling", "warning")])])
    folder = tmp_path / "env"
    (folder / "alertmanager").mkdir(parents=True)
    (folder / amtool.CONFIG).write_text(yaml.safe_dump(render_config(config)))
    (folder / amtool.CASES).write_text(yaml.safe_dump({"default_receiver": "default",
                                                       "cases": routing_cases(config, [pack])}))
    assert amtool.check_configs([folder]) == "amtool check-config: 1 configs OK"
    assert amtool.check_routes([folder]) == "amtool routes test: 2 alert label sets reach their intended receivers"
    assert amtool.resolve(folder / amtool.CONFIG, {"severity": "critical"}) == ["audit", "pager"]
