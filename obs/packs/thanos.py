"""The global ruler's self-monitoring: alerts on Thanos Rule's own metrics, for environments with a
global store (`Environment.global_store=obs.Thanos(...)`, docs/fleet.md).

SLO burn-rate alerts run on Thanos Rule. With `partial_response_strategy: abort`, a query Query
cannot fully answer fails the evaluation, and a failed evaluation cannot fire: if Query is down, a
store is unreachable or Alertmanager refuses the ruler's alerts, those pages silently never come.
These alerts watch for exactly that, on the Prometheus of the management cluster (tier
`management`), which scrapes the ruler through its ServiceMonitor and sends to Alertmanager itself,
so they do not depend on the ruler or Query being healthy. Metric names and labels are those of
Thanos Rule v0.41 (obs.catalog.thanos). Every Definitions of such an environment gets the pack
(obs.model.bundle), its alerts linked to the Thanos dashboard obs adds too; the platform team owns it.
"""
from __future__ import annotations

from dataclasses import replace

from obs.model.environment import Environment
from obs.model.params import RATIO
from obs.model.rules import AlertRule, AlertTest, FiringAlert, RuleGroup, RulePack
from obs.packs.testdata import (
    counter, flat, fmt, humanize_percentage, matchers, minutes, selector_labels, source_series,
)
from obs.promql import by, selector

NAME = "thanos-ruler"
GROUP = "thanos-ruler"
TIER = "management"
SOURCE = "thanos_ruler"
KEYS = ("namespace", "job")
# A rule group as Thanos Rule names it in rule_group: its rule file (the operator's) and the group.
SAMPLE_GROUP = "/etc/thanos/rules/thanos-ruler-obs-global-rulefiles-0/monitoring-slo-checkout.yaml;slo-checkout-alerts"
SAMPLE_ALERTMANAGER = "alertmanager.monitoring.svc:9093"


def _sel(env: Environment, metric: str, *matchers: str) -> str:
    return selector(metric, env.selector(SOURCE), *matchers)


def _series(env: Environment, metric: str, **labels: str) -> str:
    return source_series(env, SOURCE, metric, **labels)


def _labels(env: Environment, **extra: str) -> dict[str, str]:
    scraped = selector_labels(env, SOURCE)
    return {env.cluster_label: env.sample_cluster, **{k: scraped[k] for k in KEYS}, **extra}


def _rate(env: Environment, metric: str, *keys: str, matchers: tuple[str, ...] = ()) -> str:
    return f"sum {by(env, *KEYS, *keys)} (rate({_sel(env, metric, *matchers)}[5m]))"


def ruler_down(env: Environment) -> AlertRule:
    """No ruler replica up, or none scraped at all: nothing is evaluated, and the alerts below go
    silent too."""
    name = "ThanosRuleDown"
    for_ = env.param(f"{name}.for", "5m")
    at = minutes(for_) + 10
    up = _sel(env, "up")
    unscraped = {label: value for label, op, value in matchers(env.selector(SOURCE)) if op == "="}
    text = ("No {job} replica is up: no global rule is evaluated, so the SLO pages it serves cannot fire.")

    def case(test: str, series: dict[str, str], labels: dict[str, str] | None) -> AlertTest:
        fires = [FiringAlert(labels, text.format(job=labels["job"]))] if labels is not None else []
        return AlertTest(test, series, at=f"{at}m", fires=fires)

    other = source_series(env, "otel_collector", "up")  # something else scraped, not the ruler
    return AlertRule(
        name=name, expr=f"max {by(env, *KEYS)} ({up}) == 0\nor\nabsent({up})", for_=for_, severity="critical",
        summary="Thanos Rule is down: no global rule is evaluated",
        description=text.format(job="{{ $labels.job }}"),
        tests=[case("every replica down", {_series(env, "up"): flat(0, at)}, _labels(env)),
               case("not scraped at all", {other: flat(1, at)}, unscraped),
               case("a replica up", {_series(env, "up"): flat(1, at)}, None)])


def _expand(description: str, labels: dict[str, str]) -> str:
    """`description` as Prometheus renders it for an alert with `labels` (its $labels references)."""
    for label, value in labels.items():
        description = description.replace(f"{{{{ $labels.{label} }}}}", value)
    return description


def _counting(env: Environment, name: str, severity: str, for_: str, summary: str, description: str,
              counters: tuple[str, ...], key: tuple[str, str] | None = None, series_labels: dict[str, str] | None = None,
              siblings: dict[str, dict[str, str]] | None = None, per_minute: float = 6) -> AlertRule:
    """An alert on any increase of `counters` (summed) per ruler and `key` (its label and the value
    the test series carry), with a firing case (each counter rising by `per_minute`) and a silent
    one (flat); `siblings` are series beside them that never count (other strategies, totals)."""
    for_ = env.param(f"{name}.for", for_)
    at = minutes(for_) + 10
    keyed = dict([key]) if key else {}
    labels = {**keyed, **(series_labels or {})}

    def case(test: str, rate: float) -> AlertTest:
        series = {_series(env, metric, **labels): counter(rate, at) for metric in counters}
        series.update({_series(env, metric, **other): counter(12, at) for metric, other in (siblings or {}).items()})
        fired = _labels(env, **keyed)
        return AlertTest(test, series, at=f"{at}m", fires=[FiringAlert(fired, _expand(description, fired))] if rate else [])

    keys = (key[0],) if key else ()
    return AlertRule(name=name, expr="\n+\n".join(_rate(env, metric, *keys) for metric in counters) + " > 0",
                     for_=for_, severity=severity, summary=summary, description=description,
                     tests=[case("rising", per_minute), case("flat", 0)])


def evaluation_failing(env: Environment) -> AlertRule:
    """Any rule group failing to evaluate: its alerts cannot fire (abort on a partial response)."""
    return _counting(
        env, "ThanosRuleEvaluationFailing", "critical", "5m",
        "Thanos Rule fails to evaluate rules: their alerts cannot fire",
        "Thanos Rule in {{ $labels.namespace }} fails to evaluate rule group {{ $labels.rule_group }}: the alerts "
        "in it cannot fire. Query or a store it reads is failing (a partial response aborts the evaluation).",
        ("prometheus_rule_evaluation_failures_total",), ("rule_group", SAMPLE_GROUP), {"strategy": "abort"},
        {"prometheus_rule_evaluations_total": {"rule_group": SAMPLE_GROUP, "strategy": "abort"}}, per_minute=12)


def evaluation_warnings(env: Environment) -> AlertRule:
    """Evaluations that succeeded with warnings: some store answered only partly."""
    return _counting(
        env, "ThanosRuleEvaluationWarnings", "warning", "15m", "Thanos Rule evaluates rules on partial data",
        "Thanos Rule in {{ $labels.namespace }} evaluates rules with warnings (strategy {{ $labels.strategy }}): a "
        "store answered only partly, so their results may miss part of the fleet.",
        ("thanos_rule_evaluation_with_warnings_total",), ("strategy", "warn"))


def query_failing(env: Environment) -> AlertRule:
    """Queries to Thanos Query answered with an error (refused connections show as evaluation failures)."""
    name = "ThanosRuleQueryFailing"
    threshold = env.param(f"{name}.threshold", 0.05, RATIO)
    for_ = env.param(f"{name}.for", "5m")
    at = minutes(for_) + 10
    metric = "http_client_request_total"
    failed = _rate(env, metric, matchers=('client="query"', 'code!~"2.."'))
    every = _rate(env, metric, matchers=('client="query"',))

    def case(test: str, share: float) -> AlertTest:
        series = {_series(env, metric, client="query", code="200", method="post"): counter(600 * (1 - share), at),
                  _series(env, metric, client="query", code="503", method="post"): counter(600 * share, at),
                  _series(env, metric, client="alertmanager", code="500", method="post"): counter(60, at)}
        fires = [FiringAlert(_labels(env), f"{humanize_percentage(share)} of the queries Thanos Rule in "
                             f"{_labels(env)['namespace']} sends to Thanos Query failed over the last 5m; the "
                             "rules they serve are not evaluated.")] if share > threshold else []
        return AlertTest(test, series, at=f"{at}m", fires=fires)

    return AlertRule(
        name=name, expr=f"{failed}\n/\n{every}\n> {fmt(threshold)}", for_=for_, severity="warning",
        summary="Thanos Rule's queries to Thanos Query fail",
        description="{{ $value | humanizePercentage }} of the queries Thanos Rule in {{ $labels.namespace }} sends "
                    "to Thanos Query failed over the last 5m; the rules they serve are not evaluated.",
        tests=[case("Query answers errors", round(min(1.0, threshold * 4), 4)),
               case("Query answers", round(threshold / 5, 4))])


def alerts_dropped(env: Environment) -> AlertRule:
    """Alerts Thanos Rule dropped: every Alertmanager refused them, or its queue overflowed."""
    return _counting(
        env, "ThanosRuleAlertsDropped", "critical", "5m", "Thanos Rule drops alerts: they never reach Alertmanager",
        "Thanos Rule in {{ $labels.namespace }} drops the alerts it fires (no Alertmanager took them): those pages "
        "never arrive.",
        ("thanos_alert_sender_alerts_dropped_total", "thanos_alert_queue_alerts_dropped_total"), per_minute=3)


def alertmanager_errors(env: Environment) -> AlertRule:
    """Sends to one Alertmanager failing (alerts may still reach another)."""
    return _counting(
        env, "ThanosRuleAlertmanagerErrors", "warning", "15m", "Thanos Rule fails to send alerts to an Alertmanager",
        "Thanos Rule in {{ $labels.namespace }} fails to send alerts to {{ $labels.alertmanager }}.",
        ("thanos_alert_sender_errors_total",), ("alertmanager", SAMPLE_ALERTMANAGER), per_minute=2)


ALERTS = (ruler_down, evaluation_failing, evaluation_warnings, query_failing, alerts_dropped, alertmanager_errors)


def pack(env: Environment, dashboard: object | None = None) -> RulePack:
    """The global ruler's self-monitoring, on the management cluster's Prometheus; every alert links
    to `dashboard` when given (obs adds the Thanos dashboard, obs.dashboards.thanos)."""
    alerts = [replace(make(env), dashboard=dashboard) if dashboard is not None else make(env) for make in ALERTS]
    return RulePack(NAME, [RuleGroup(GROUP, alerts, tier=TIER)],
                    description="Thanos Rule (the global ruler) evaluates its rules and delivers their alerts")
