"""Synthetic bundles of N services, for the benchmark (`make bench`) and for scale tests.

Per service: one alert pack of 3 alerts (each with a firing and a silent promtool case), an
availability and a latency SLO, and one dashboard the alerts link to. `sloth_spec(n)` writes the
same SLOs as one Sloth `prometheus/v1` spec per service, so obs and Sloth can be compared on
identical input.

    from bench.synthetic import synthetic_bundle
    bundle = synthetic_bundle(100)            # staging + prod
    obs build --bundle bench.synthetic:bundle_100 --no-validate
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import yaml

from obs import (
    SLO, AlertRule, AlertTest, Bundle, Cluster, Definitions, Environment, EventsSLI, FiringAlert, LatencySLI,
    RuleGroup, RulePack, SLOAlerting, Thanos, Urls, counter_rate,
)
from obs.grafana import Dashboard, Query, stat, timeseries, variables
from obs.promql import series

from bench.sloth_specs import BUNDLE_NAME, PROD

METRIC = "http_server_request_duration_seconds"
BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5)
LATENCY_THRESHOLD = 0.5
ERRORS = 'http_response_status_code=~"5.."'
ENVIRONMENTS = (
    Environment("staging", cluster="staging-eu1",
                urls=Urls(grafana="https://grafana.staging.example.com")),
    PROD,
)


def fleet_environments(clusters: int) -> tuple[Environment, ...]:
    """Staging and prod of `clusters` clusters each behind a Thanos sidecar global store: the fleet
    layout (environment-wide output once, one overlay per cluster)."""
    return tuple(
        Environment(name, clusters=[Cluster(f"{name}-{index:02d}") for index in range(clusters)],
                    urls=Urls(grafana=f"https://grafana.{name}.example.com"), global_store=Thanos("sidecar"))
        for name in ("staging", "prod"))


def service_name(index: int) -> str:
    return f"svc{index:04d}"


def job(service: str) -> str:
    return f'job="shop/{service}"'


def _camel(service: str) -> str:
    return service.capitalize()


def _alert(env: Environment, service: str, kind: str, expr: str, fire: dict[str, str], calm: dict[str, str],
           dashboard: Dashboard, fired_labels: dict[str, str], fired_text: str, template: str) -> AlertRule:
    return AlertRule(
        name=f"{_camel(service)}{kind}", expr=expr, severity="warning", for_="5m",
        summary=f"{kind} on a service", description=template, dashboard=dashboard,
        tests=[AlertTest("fires", fire, at="10m", fires=[FiringAlert(fired_labels, fired_text)]),
               AlertTest("stays silent", calm, at="10m")])


def alert_pack(env: Environment, service: str, dashboard: Dashboard, error_ratio: float = 0.05) -> RulePack:
    """Three alerts on one service (down, error ratio, latency), each proved firing and silent."""
    sel = job(service)
    cluster = {env.cluster_label: env.sample_cluster}
    labels = {**cluster, "job": f"shop/{service}"}
    up = series("up", **labels, instance="a:80")
    count_ok = series(f"{METRIC}_count", **labels, http_response_status_code="200")
    count_bad = series(f"{METRIC}_count", **labels, http_response_status_code="500")
    slow = series(f"{METRIC}_bucket", **labels, le="0.5")
    count_all = series(f"{METRIC}_count", **labels)
    by = f"by ({env.cluster_label}, job)"
    down = _alert(env, service, "Down", f"max {by} (up{{{sel}}}) == 0",
                  {up: "0x10"}, {up: "1x10"}, dashboard, labels, f"shop/{service} is down.",
                  "{{ $labels.job }} is down.")
    errors = _alert(
        env, service, "HighErrorRatio",
        f"sum {by} (rate({METRIC}_count{{{sel}, {ERRORS}}}[5m]))\n/ sum {by} (rate({METRIC}_count{{{sel}}}[5m])) > {error_ratio}",
        {count_ok: "0+60x10", count_bad: "0+60x10"}, {count_ok: "0+60x10", count_bad: "0+0x10"},
        dashboard, labels, f"shop/{service} fails 50% of requests.",
        '{{ $labels.job }} fails {{ $value | humanizePercentage }} of requests.')
    latency = _alert(
        env, service, "HighLatency",
        f"1 - sum {by} (rate({METRIC}_bucket{{{sel}, le=\"0.5\"}}[5m]))\n"
        f"/ sum {by} (rate({METRIC}_count{{{sel}}}[5m])) > 0.1",
        {slow: "0+30x10", count_all: "0+60x10"}, {slow: "0+60x10", count_all: "0+60x10"},
        dashboard, labels, f"shop/{service} answers 50% of requests slower than 0.5s.",
        '{{ $labels.job }} answers {{ $value | humanizePercentage }} of requests slower than 0.5s.')
    return RulePack(f"svc-{service}", [RuleGroup(f"{service}.rules", [down, errors, latency])],
                    description=f"Alerts of {service}")


def slos(env: Environment, service: str, dashboard: Dashboard | None = None) -> list[SLO]:
    """Availability (non-5xx) and latency (under 0.5s) of one service."""
    by = (env.cluster_label,)
    alerting = SLOAlerting(dashboard=dashboard)
    return [
        SLO(service=service, name="availability", objective=99.9,
            sli=EventsSLI(bad=counter_rate(f"{METRIC}_count", job(service), ERRORS, by=by),
                          total=counter_rate(f"{METRIC}_count", job(service), by=by)),
            labels={"team": "shop"}, alerting=alerting),
        SLO(service=service, name="latency", objective=99.0,
            sli=LatencySLI(METRIC, LATENCY_THRESHOLD, selector=job(service), buckets=BUCKETS, by=by),
            labels={"team": "shop"}, alerting=alerting),
    ]


def dashboard(env: Environment, service: str) -> Dashboard:
    """A small RED dashboard of one service."""
    scope = variables.scope(env, 'job=~"$job"')
    service_job = variables.label_values("job", f"{METRIC}_count{{{job(service)}}}", "job", "Job",
                                         multi=False, include_all=False)
    count = f"{METRIC}_count{{{scope}}}"
    rate = f"rate({count}[$__rate_interval])"
    errors = f"rate({METRIC}_count{{{scope}, {ERRORS}}}[$__rate_interval])"
    return Dashboard(
        name=f"svc-{service}", title=f"Service {service}", bundle=BUNDLE_NAME,
        description=f"Rate, errors and duration of {service}.", tags=["synthetic"],
        variables=[*variables.standard(env, f"{METRIC}_count"), service_job],
        panels=[
            stat("Requests", f"sum({rate})", unit="reqps", width=8, description="Requests per second."),
            stat("Error ratio", f"(sum({errors}) or sum({rate}) * 0) / sum({rate})", unit="percentunit", width=8,
                 description="Share of requests answered with a 5xx status."),
            stat("p99 latency", f"histogram_quantile(0.99, sum by (le) (rate({METRIC}_bucket{{{scope}}}"
                                "[$__rate_interval])))", unit="s", width=8,
                 description="99th percentile of request duration."),
            timeseries("Requests by status", Query(f"sum by (http_response_status_code) ({rate})",
                                                   legend="{{http_response_status_code}}"), unit="reqps",
                       description="Requests per second by HTTP status code."),
            timeseries("Latency", Query(f"histogram_quantile(0.9, sum by (le) (rate({METRIC}_bucket{{{scope}}}"
                                        "[$__rate_interval])))", legend="p90"), unit="s",
                       description="90th percentile of request duration."),
        ])


def definitions(services: int, changed: int | None = None) -> Callable[[Environment], Definitions]:
    """`define(env)` for a bundle of `services` services; service number `changed` (if any) has
    another error-ratio threshold, as after an edit."""
    def define(env: Environment) -> Definitions:
        packs, all_slos, boards = [], [], []
        for index in range(services):
            service = service_name(index)
            board = dashboard(env, service)
            packs.append(alert_pack(env, service, board, 0.06 if index == changed else 0.05))
            all_slos.extend(slos(env, service, board))
            boards.append(board)
        return Definitions(rule_packs=packs, slos=all_slos, dashboards=boards)
    return define


def synthetic_bundle(services: int, environments: tuple[Environment, ...] = ENVIRONMENTS,
                     changed: int | None = None) -> Bundle:
    """A bundle of `services` services in `environments` (staging and prod by default)."""
    return Bundle(name=BUNDLE_NAME, environments=environments, define=definitions(services, changed))


def sloth_spec(service: str) -> dict:
    """The service's two SLOs as a Sloth prometheus/v1 spec (events SLIs, Sloth's default windows)."""
    sel = job(service)
    total = f"sum(rate({METRIC}_count{{{sel}}}[{{{{.window}}}}]))"
    good = f'sum(rate({METRIC}_bucket{{{sel}, le="{LATENCY_THRESHOLD}"}}[{{{{.window}}}}]))'
    return {
        "version": "prometheus/v1", "service": service, "labels": {"team": "shop"},
        "slos": [
            {"name": "availability", "objective": 99.9,
             "sli": {"events": {"error_query": f"sum(rate({METRIC}_count{{{sel}, {ERRORS}}}[{{{{.window}}}}]))",
                                "total_query": total}},
             "alerting": {"name": f"{_camel(service)}AvailabilityErrorBudgetBurn",
                          "page_alert": {}, "ticket_alert": {}}},
            {"name": "latency", "objective": 99.0,
             "sli": {"events": {"error_query": f"({total} - {good})", "total_query": total}},
             "alerting": {"name": f"{_camel(service)}LatencyErrorBudgetBurn",
                          "page_alert": {}, "ticket_alert": {}}},
        ],
    }


def write_sloth_specs(services: int, folder: Path) -> list[Path]:
    """One Sloth spec file per service in `folder` (what `sloth generate -i folder` reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(services):
        path = folder / f"{service_name(index)}.yaml"
        path.write_text(yaml.safe_dump(sloth_spec(service_name(index)), sort_keys=False))
        paths.append(path)
    return paths


# Ready-made bundles for `obs build --bundle bench.synthetic:bundle_100`.
bundle_10 = synthetic_bundle(10)
bundle_100 = synthetic_bundle(100)
bundle_1000 = synthetic_bundle(1000)
# `--bundle bench.synthetic:bundle`: $OBS_BENCH_SERVICES services, $OBS_BENCH_CHANGED changed, in
# environments of $OBS_BENCH_CLUSTERS clusters (fleet layout) when set;
# the Sloth specs' bundle is bench.sloth_specs:bundle.
bundle = synthetic_bundle(int(os.environ.get("OBS_BENCH_SERVICES", "10")),
                          fleet_environments(int(os.environ["OBS_BENCH_CLUSTERS"])) if os.environ.get(
                              "OBS_BENCH_CLUSTERS") else ENVIRONMENTS,
                          changed=int(os.environ["OBS_BENCH_CHANGED"]) if os.environ.get("OBS_BENCH_CHANGED") else None)
