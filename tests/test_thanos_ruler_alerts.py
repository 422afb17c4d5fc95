"""The global ruler's self-monitoring (obs.packs.thanos): every environment with a global store gets
it, on the management tier (the environment-wide folder, labelled for the management cluster's
Prometheus, never for the ThanosRuler it watches), owned by the platform team, with firing and
silent promtool cases that pass; and every metric and label it reads is on the /metrics page of a
real `thanos rule` (v0.41) started with the generated arguments, its Query and Alertmanager a
local stand-in answering queries and refusing alerts."""
from __future__ import annotations

import json
import re
import time
import urllib.request
from http.server import BaseHTTPRequestHandler
from typing import Any, Iterator

import pytest
import yaml

import obs
from obs import Bundle, Cluster, Definitions, Environment, Ownership, Team, TeamReceivers, Thanos
from obs.alertmanager import Receiver
from obs.catalog.promql import select
from obs.catalog.thanos import THANOS_RULER
from obs.packs import thanos as ruler_pack
from obs.render import render_environment
from obs.render import thanos as generated
from obs.render.prometheusrule import TIER_LABEL
from obs.tools.find import thanos
from obs.validate import promtool_check_rules, promtool_test_rules
from tests.support import free_port, loopback_http, require_tool, wait_for, write_rendered
from tests.thanos_harness import exposed

ENV = Environment("prod", clusters=[Cluster("prod-eu1"), Cluster("prod-us1")],
                  global_store=Thanos(sidecar_address="thanos-sidecar.{cluster}.example.internal:10901"))


def _bundle(env: Environment, **defs: Any) -> Bundle:
    return Bundle("shop", [env], lambda e: Definitions(**defs))


def test_an_environment_with_a_global_store_gets_the_ruler_alerts_on_the_management_tier():
    files = render_environment(_bundle(ENV), ENV)
    rules = yaml.safe_load(files["prometheus/rules/thanos-ruler.yaml"])
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"]]
    assert alerts == ["ThanosRuleDown", "ThanosRuleEvaluationFailing", "ThanosRuleEvaluationWarnings", "ThanosRuleQueryFailing",
                      "ThanosRuleAlertsDropped", "ThanosRuleAlertmanagerErrors"]
    crd = yaml.safe_load(files["kubernetes/prometheusrule-thanos-ruler.yaml"])
    ruler = yaml.safe_load(files[f"kubernetes/thanosruler-{generated.RULER}.yaml"])
    # the management cluster's Prometheus loads it, the ThanosRuler (which it watches) does not
    assert dict(ENV.rule_labels).items() <= crd["metadata"]["labels"].items()
    assert TIER_LABEL not in crd["metadata"]["labels"]
    assert not ruler["spec"]["ruleSelector"]["matchLabels"].items() <= crd["metadata"]["labels"].items()
    assert all("partial_response_strategy" not in g for g in crd["spec"]["groups"])
    assert not any("thanos-ruler" in path for path in files if path.startswith("cluster-base/"))
    one = Environment("dev", cluster="dev-1")
    assert not any("thanos-ruler" in path for path in render_environment(_bundle(one), one))


def test_the_platform_team_owns_the_ruler_alerts():
    def team(name: str, *namespaces: str) -> Team:
        return Team(name, owns=Ownership(namespaces=namespaces),
                    receivers=TeamReceivers(page=Receiver(f"{name}-page"), ticket=Receiver(f"{name}-tickets")))
    # even when another team owns the namespace the ruler runs in: the global ruler is the platform's
    defs = _bundle(ENV, teams=[team("platform", "infra"), team("shop", "shop", ENV.namespace)],
                   platform_team="platform").definitions(ENV)
    (pack,) = [p for p in defs.all_rule_packs() if p.name == ruler_pack.NAME]
    assert {a.static_labels.get("team") for a in pack.alerts} == {"platform"}


def test_every_ruler_alert_has_a_firing_and_a_silent_case_and_promtool_passes(tmp_path, promtool_bin):
    for alert in ruler_pack.pack(ENV).alerts:
        assert any(t.fires for t in alert.tests) and any(not t.fires for t in alert.tests), alert.name
    root = write_rendered(obs.render(_bundle(ENV)), tmp_path)[0]
    test = yaml.safe_load((root / "prometheus/tests/thanos-ruler.test.yaml").read_text())
    assert test["rule_files"] == ["../rules/thanos-ruler.yaml"] and len(test["tests"]) == 13
    assert promtool_check_rules([root]) == "promtool check rules: 1 files OK"
    assert promtool_test_rules([root]) == "promtool test rules: 1 files OK"


def test_a_pack_named_like_the_ruler_pack_is_refused():
    clash = obs.RulePack("thanos-ruler", [obs.RuleGroup("g", [obs.RecordingRule("a:b", "sum by (cluster) (up)")])])
    with pytest.raises(obs.DefinitionError) as raised:
        _bundle(ENV, rule_packs=[clash]).definitions(ENV).all_rule_packs()
    assert "thanos-ruler" in str(raised.value)


# ---- the names on a real thanos rule ----------------------------------------------------------------

class _StandIn(BaseHTTPRequestHandler):
    """Thanos Query answering every instant query with 1; an Alertmanager refusing every alert."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/api/v1/query"):
            body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {}, "value": [time.time(), "1"]}]}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        else:
            body = b"refused"
            self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[str]:
    with loopback_http(_StandIn) as address:
        yield f"http://{address}"


@pytest.mark.tools
def test_every_metric_and_label_the_alerts_read_is_on_a_real_thanos_rule(tmp_path, started, stand_in):
    binary = require_tool(thanos)
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "fleet", "interval": "1s", "rules": [
        {"alert": "Always", "expr": "vector(1)"}, {"record": "fleet:up", "expr": "vector(1)"}]}]}))
    bucket = tmp_path / "objstore.yml"
    bucket.write_text(yaml.safe_dump({"type": "FILESYSTEM", "config": {"directory": str(tmp_path / "bucket")}}))
    http, grpc = free_port(), free_port()
    local = {f"--grpc-address=0.0.0.0:{generated.GRPC_PORT}": f"--grpc-address=127.0.0.1:{grpc}",
             f"--http-address=0.0.0.0:{generated.HTTP_PORT}": f"--http-address=127.0.0.1:{http}",
             f"--data-dir={generated.DATA_DIR}": f"--data-dir={tmp_path / 'data'}",
             f"--query={generated.query_url(ENV)}": f"--query={stand_in}",
             f"--alertmanagers.url={ENV.urls.alertmanager}": f"--alertmanagers.url={stand_in}",
             f"--objstore.config-file={generated.OBJSTORE_DIR}/{ENV.global_store.objstore_key}":  # type: ignore[union-attr]
                 f"--objstore.config-file={bucket}"}
    args = [local.get(arg, arg).replace(generated.POD_NAME, "thanos-ruler-obs-global-0")
            for arg in generated.ruler_args(ENV, [str(rules)])]
    assert set(local.values()) <= set(args), "the generated ruler args changed: update the local rewrites"
    started([binary, *args], tmp_path / "rule.log")

    def page() -> dict[str, set[str]] | None:
        found = exposed(urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=2).read().decode())
        return found if "thanos_alert_sender_errors_total" in found else None  # after the first refused send
    real = wait_for("thanos rule's /metrics with a failed send", page, attempts=120)

    # appears with the first send an Alertmanager accepts (this one refuses all): tests/test_thanos_dashboard.py
    declared = {m: labels for m, labels in THANOS_RULER.items() if m != "thanos_alert_sender_alerts_sent_total"}
    assert {m: set(labels) - set(real.get(m, {"<missing>"})) for m, labels in declared.items()} == \
        {m: set() for m in declared}, "obs.catalog.thanos declares names or labels thanos rule does not expose"
    scrape = {"job", "instance", "namespace", "pod", "service", "endpoint", "container", ENV.cluster_label}
    for alert in ruler_pack.pack(ENV).alerts:
        selectors = select(alert.expr).selectors
        # `up` is the management Prometheus' own series of the scrape; everything else is the ruler's
        read = {s.metric for s in selectors} - {"up"}
        assert selectors and read <= set(THANOS_RULER) and read <= set(real), (alert.name, alert.expr)
        grouped = {label.strip() for clause in re.findall(r"\bby \(([^)]*)\)", alert.expr) for label in clause.split(",")}
        matched = {name for s in selectors for name, _, _ in s.matchers}
        for metric in read:
            assert (grouped | matched) - scrape <= real[metric], (alert.name, metric, real[metric])


def test_a_pack_cannot_put_groups_on_both_the_global_and_the_management_tier():
    record = obs.RecordingRule("job:up:sum", "sum by (cluster, job) (up)")
    mixed = obs.RulePack("mixed", [obs.RuleGroup("g", [record], tier="global"),
                                   obs.RuleGroup("m", [obs.RecordingRule("job:up:max", "max by (cluster, job) (up)")],
                                                 tier="management")])
    with pytest.raises(obs.DefinitionError) as raised:
        render_environment(_bundle(ENV, rule_packs=[mixed]), ENV)
    assert raised.value.definition == "rule pack 'mixed'" and "pack of their own" in raised.value.fix


def test_a_management_group_cannot_read_what_only_the_global_ruler_records():
    fleet_sum = obs.RecordingRule("fleet:up:sum", "sum(up)")
    reader = obs.RecordingRule("fleet:up:double", "2 * fleet:up:sum")
    packs = [obs.RulePack("g", [obs.RuleGroup("fleet", [fleet_sum], tier="global")]),
             obs.RulePack("m", [obs.RuleGroup("reads", [reader], tier="management")])]
    with pytest.raises(obs.DefinitionError) as raised:
        render_environment(_bundle(ENV, rule_packs=packs), ENV)
    assert raised.value.field == "tier" and "management tier" in raised.value.problem
