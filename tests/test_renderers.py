"""Issue 22: one compact exact-output test per renderer. A tiny bundle (one alert, one SLO, one
dashboard, one collector, Tempo, Loki, one instrumented service, Alertmanager routing, a canary and
a scraped service) is rendered and every file is compared byte for byte with tests/golden/<path>,
so a changed operator, key or value in any output format fails a test naming the file and line.

After an intended change of the output, regenerate the expected files and review the diff:

    OBS_REGEN_GOLDEN=1 .venv/bin/pytest -q tests/test_renderers.py
    git diff tests/golden
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from obs import SLO, AlertRule, AlertTest, Bundle, Definitions, Environment, EventsSLI, FiringAlert, RuleGroup
from obs import RulePack, counter_rate
from obs.alertmanager import Alertmanager, PagerDuty, Receiver, Route, SecretRef, intents_by_label
from obs.alertmanager.routing import Inhibition, Intent, TimeInterval, TimeRange
from obs.backends import LocalStorage, Loki, Tempo
from obs.collector import Collector, Exporter, Pipeline, Processor, Receiver as CollectorReceiver
from obs.grafana import Dashboard, timeseries
from obs.instrumentation import Instrumentation, Service as Instrumented
from obs.model.service import Canary, Scrape, Service
from obs.render import render_environment

GOLDEN = Path(__file__).parent / "golden" / "tiny"
REGEN = os.environ.get("OBS_REGEN_GOLDEN", "") not in ("", "0", "false")
ENV = Environment("dev", cluster="dev-1")


def define(env: Environment) -> Definitions:
    board = Dashboard("api", "API | overview", "api", [timeseries(
        "Requests", "sum by (cluster) (rate(http_requests_total[$__rate_interval]))", unit="reqps")])
    up = 'up{cluster="dev-1", job="api", instance="a:80"}'
    alert = AlertRule("ApiDown", 'max by (cluster, job) (up{job="api"}) == 0', "critical", "API targets are down",
                      "{{ $labels.job }} is down", for_="5m", dashboard=board, tests=[
                          AlertTest("down", {up: "0x10"}, at="10m",
                                    fires=[FiringAlert({"cluster": "dev-1", "job": "api"}, "api is down")])])
    slo = SLO("api", "availability", 99.5, EventsSLI(bad=counter_rate("http_requests_total", 'job="api"', 'code=~"5.."'),
                                                     total=counter_rate("http_requests_total", 'job="api"')),
              labels={"team": "api"}, description="Requests that do not fail")
    otlp = CollectorReceiver("otlp", {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"},
                                                    "http": {"endpoint": "${env:MY_POD_IP}:4318"}}})
    limiter = Processor("memory_limiter", {"check_interval": "1s", "limit_percentage": 80})
    tempo_out = Exporter("otlp_grpc/tempo", {"endpoint": "tempo.monitoring.svc:4317", "tls": {"insecure": True}})
    gateway = Collector("gateway", "deployment", ports={"otlp-grpc": 4317, "otlp-http": 4318},
                        pipelines=[Pipeline("traces", [otlp], [tempo_out], [limiter, Processor("batch")])])
    routing = Alertmanager(
        name="main",
        route=Route("default", group_by=("alertname", "cluster"), group_wait="30s", group_interval="5m",
                    repeat_interval="4h", routes=[
                        Route("audit", match=['severity="critical"'], continue_=True),
                        Route("pager", match=['severity="critical"', 'team!="infra"'], group_wait="10s"),
                        Route("null", match=['severity=~"info|none"'], muted_in=("nights",)),
                        Route("tickets", match={"severity": "warning"}, active_in=("office",))]),
        receivers=[Receiver("default"), Receiver("null"), Receiver("pager", [PagerDuty(SecretRef("pd", "key"))]),
                   Receiver("audit"), Receiver("tickets")],
        intents=[Intent({"severity": "critical"}, ["audit", "pager"]),
                 *intents_by_label("severity", {"info": "null", "warning": "tickets"})],
        inhibitions=[Inhibition(['alertname="ClusterDown"'], ['alertname!="ClusterDown"'], ("cluster",))],
        time_intervals=[TimeInterval("office", [TimeRange(("monday:friday",), "09:00", "17:00")]),
                        TimeInterval("nights", [TimeRange(start="00:00", end="06:00")])])
    return Definitions(
        rule_packs=[RulePack("api", [RuleGroup("api.rules", [alert])])], slos=[slo], dashboards=[board],
        collectors=[gateway], tempo=Tempo(storage=LocalStorage("/var/tempo/blocks")),
        loki=Loki(storage=LocalStorage("/var/loki")),
        instrumentation=[Instrumentation("default", "http://gateway.monitoring.svc",
                                         [Instrumented("api", "python", namespace="shop")])],
        alertmanager=routing,
        services=[Service("api", namespace="shop", canary=Canary()),
                  Service("cart", namespace="shop", scrape=Scrape(port="http-metrics"))])


BUNDLE = Bundle("tiny", [ENV], define)
# Each renderer's output area: its files are compared in one test.
AREAS = {
    "prometheus rules and promtool tests": "prometheus/",
    "Kubernetes manifests (PrometheusRule, collector, monitors, rollouts, AlertmanagerConfig, ...)": "kubernetes/",
    "Grafana dashboards and provisioning": "grafana/",
    "collector config and builder manifest": "collector/",
    "Tempo": "tempo/",
    "Loki": "loki/",
    "Alertmanager": "alertmanager/",
    "instrumentation": "instrumentation/",
    "Argo Rollouts analysis templates": "rollouts/",
    "kustomization": "kustomization.yaml",
}


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return dict(render_environment(BUNDLE, ENV))


def expected_files() -> set[str]:
    return {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()}


@pytest.mark.parametrize("area", sorted(AREAS), ids=[AREAS[a].rstrip("/") for a in sorted(AREAS)])
def test_each_renderer_writes_exactly_the_expected_bytes(rendered, area):
    prefix = AREAS[area]
    files = {path: content for path, content in rendered.items() if path.startswith(prefix)}
    assert files, f"the tiny bundle renders nothing for {area}"
    if REGEN:
        for path, content in files.items():
            (GOLDEN / path).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / path).write_bytes(content)
    expected = {p for p in expected_files() if p.startswith(prefix)}
    assert sorted(files) == sorted(expected), "the set of files changed (OBS_REGEN_GOLDEN=1 to accept)"
    for path, content in sorted(files.items()):
        want = (GOLDEN / path).read_bytes()
        if content != want:
            diff = "".join(difflib.unified_diff(want.decode().splitlines(True), content.decode().splitlines(True),
                                                f"golden/{path}", f"rendered/{path}", n=1))
            pytest.fail(f"{path} differs from tests/golden/tiny (OBS_REGEN_GOLDEN=1 to accept):\n{diff[:3000]}")


def test_every_golden_file_belongs_to_an_area(rendered):
    """No rendered file escapes the comparison, and no stale golden file lingers."""
    assert {p for p in rendered if not any(p.startswith(prefix) for prefix in AREAS.values())} <= {".obs-manifest"}
    if not REGEN:
        assert expected_files() <= set(rendered), "stale golden files (OBS_REGEN_GOLDEN=1 rewrites them)"
