"""A tiny bundle for the foundation tests (independent of the reference packs)."""
from __future__ import annotations

from obs import AlertRule, AlertTest, Bundle, Definitions, Environment, FiringAlert, RuleGroup, RulePack
from obs.backends import LokiRulePack


def up_alert(expr: str = 'max by (cluster, job) (up{job="api"}) == 0', name: str = "ApiDown") -> AlertRule:
    return AlertRule(
        name=name, expr=expr, severity="critical", for_="5m",
        summary="API targets are down", description="{{ $labels.job }} has been down for 5 minutes.",
        tests=[
            AlertTest("down", {'up{cluster="c1", job="api", instance="a:80"}': "0x10"}, at="10m",
                      fires=[FiringAlert({"cluster": "c1", "job": "api"}, "api has been down for 5 minutes.")]),
            AlertTest("up", {'up{cluster="c1", job="api", instance="a:80"}': "1x10"}, at="10m"),
        ])


def make_bundle(expr: str | None = None, pack_name: str = "sample", overrides: dict | None = None) -> Bundle:
    alert = up_alert(expr) if expr else up_alert()

    def define(env: Environment) -> Definitions:
        return Definitions(rule_packs=[RulePack(pack_name, [RuleGroup("sample.rules", [alert])])])

    env = Environment("dev", cluster="dev-1", overrides=overrides or {})
    return Bundle(name="sample", environments=[env], define=define)


bundle = make_bundle()


LOKI_EXPR = 'sum by (cluster, app) (rate({app="api"} |= "error" [5m])) > 1'


def loki_pack(expr: str = LOKI_EXPR, tenant: str | None = None) -> LokiRulePack:
    """A one-alert LogQL rule pack for the Loki ruler."""
    return LokiRulePack("api-logs", tenant=tenant, groups=[RuleGroup("api", [AlertRule(
        name="ApiErrors", expr=expr, severity="warning", summary="Errors", description="{{ $value }}")])])
