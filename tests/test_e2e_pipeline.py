"""Tier 3, whole pipeline: two simulated clusters, each running the reference bundle's generated
agent and gateway configs (the files themselves: only endpoints and pod-provided environment
values point at loopback, and the receivers/processors that need a real node or Kubernetes API
are removed, see collector_harness.runnable_config), send the generated Python instrumentation's
metrics at once into one real Prometheus (remote-write receiver) that evaluates the generated
rules.

Asserted: every service series carries `cluster` and `namespace` (the gateway's transform/labels
processor), the two clusters stay apart, healthy traffic fires nothing, and a 5xx burst in one
cluster fires HighErrorRate and the checkout availability SLO's page alert with that cluster's
`cluster` and `namespace` labels (and the SLO's `team`), while the other cluster stays silent.

The test environments differ from the reference ones only by overrides (`HighErrorRate.for`,
`WebHighErrorRate.for` = 0m; the SLO alerts have no `for`). Each collector gets its own loopback
address as MY_POD_IP, drawn at random from 127.0.0.0/8 and checked free, so the generated (fixed)
ports need no change and two runs do not collide. Bounded: every wait is a loop with a limit, every
process is stopped.
"""
from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest
import yaml

from obs import Bundle, Environment
from obs.render import render_environment
from obs.slo.rules import TOTAL
from obs.topologies import AGENT, GATEWAY
from tests.collector_harness import DRIVER, free_loopback_ips, pod_env, runnable_config
from tests.prometheus_harness import SERVICE_DIR, prom_api, start_prometheus
from tests.support import free_port, wait_for

pytestmark = pytest.mark.tools

# cluster name -> OTEL_RESOURCE_ATTRIBUTES of the service. Cluster b's pod has k8s.namespace.name,
# as the OpenTelemetry Operator's injection sets it: it wins over service.namespace ("shop"), which
# is cluster a's namespace label.
CLUSTERS = {"e2e-a": "", "e2e-b": "k8s.namespace.name=shop-b"}
NAMESPACE = {"e2e-a": "shop", "e2e-b": "shop-b"}
BURST = "e2e-a"
OVERRIDES = {"HighErrorRate.for": "0m", "WebHighErrorRate.for": "0m"}
SERVICE_ALERTS = {"HighErrorRate", "CheckoutAvailabilityErrorBudgetBurnPage"}


def environment(cluster: str) -> Environment:
    return Environment(cluster, cluster=cluster, overrides=OVERRIDES)


def render(reference_bundle, cluster: str) -> dict[str, bytes]:
    env = environment(cluster)
    return render_environment(Bundle("e2e", [env], reference_bundle.define), env)


def write_collector(tmp: Path, files: dict[str, bytes], name: str, pod_ip: str,
                    exporters: dict[str, str]) -> Path:
    config = yaml.safe_load(files[f"collector/{name}.yaml"])
    path = tmp / f"{name}-{pod_ip}.yaml"
    path.write_text(yaml.safe_dump(runnable_config(config, pod_ip, exporters), sort_keys=False))
    return path


def alerts(port: int, state: str = "firing") -> list[dict]:
    return [a for a in prom_api(port, "alerts")["alerts"] if a["state"] == state]


def alert_group_evaluations(port: int) -> dict[str, str]:
    """Each alerting rule group's last evaluation time, as Prometheus reports it (type=alert still
    lists recording-only groups, with no rules: those are left out)."""
    return {f"{g['file']}:{g['name']}": g["lastEvaluation"] for g in prom_api(port, "rules", type="alert")["groups"]
            if g["rules"]}


def test_two_clusters_through_generated_agent_and_gateway(tmp_path, reference_bundle, otelcol_bin, prometheus_path,
                                                           started):
    began = time.monotonic()
    rendered = {cluster: render(reference_bundle, cluster) for cluster in CLUSTERS}
    files = rendered[BURST]
    prom_port, dead = free_port(), free_port()  # nothing listens on `dead`: Tempo and Loki are absent
    start_prometheus(started, prometheus_path, files, tmp_path, prom_port)

    drivers = {}
    ips = iter(free_loopback_ips(2 * len(CLUSTERS)))
    for cluster, resource in CLUSTERS.items():
        agent_ip, gateway_ip = next(ips), next(ips)
        gateway = write_collector(tmp_path, rendered[cluster], GATEWAY, gateway_ip, {
            "prometheus_remote_write/mimir": f"http://127.0.0.1:{prom_port}/api/v1/write",
            "otlp_grpc/tempo": f"127.0.0.1:{dead}", "otlp_grpc/jaeger": f"127.0.0.1:{dead}",
            "otlp_http/loki": f"http://127.0.0.1:{dead}/otlp"})
        agent = write_collector(tmp_path, rendered[cluster], AGENT, agent_ip, {
            "load_balancing/gateway": f"{gateway_ip}:4317", "otlp_grpc/gateway": f"{gateway_ip}:4317"})
        for name, path, ip in ((GATEWAY, gateway, gateway_ip), (AGENT, agent, agent_ip)):
            started([otelcol_bin, f"--config=file:{path}"], tmp_path / f"{path.stem}.log", env=pod_env(ip, name))
        app = tmp_path / f"app-{cluster}"
        app.mkdir()
        (app / "otel_setup.py").write_bytes(rendered[cluster][f"{SERVICE_DIR}/otel_setup.py"])
        (app / "driver.py").write_text(DRIVER)
        drivers[cluster] = (app, agent_ip, resource)
    wait_for("prometheus to be ready", lambda: prom_api(prom_port, "status/buildinfo"))
    for cluster, (_, agent_ip, _) in drivers.items():
        wait_for(f"the {cluster} agent's OTLP receiver", lambda ip=agent_ip: socket.create_connection((ip, 4318), 1))
    for app, agent_ip, resource in drivers.values():
        started([sys.executable, "driver.py"], app / "driver.log", cwd=app, env={
            "PATH": "/usr/bin:/bin", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{agent_ip}:4318",
            "OTEL_METRIC_EXPORT_INTERVAL": "1000", "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_BLRP_SCHEDULE_DELAY": "200", "OTEL_RESOURCE_ATTRIBUTES": resource,
            "DRIVER_FAIL_EVERY": "2", "DRIVER_BURST_FILE": "1"})

    # Series of both clusters arrive, each with its cluster and namespace, never merged.
    def service_series() -> list[dict]:
        series = prom_api(prom_port, "series", **{"match[]": 'http_server_request_duration_seconds_count'})
        return series if len(series) >= len(CLUSTERS) else []
    series = wait_for("both clusters' series in Prometheus", service_series, attempts=120)
    found = {s.get("cluster", "<none>"): s for s in series}
    assert len(series) == len(CLUSTERS) and set(found) == set(CLUSTERS), \
        f"series without or with a wrong cluster label: {series}"
    for cluster, labels in found.items():
        assert labels["namespace"] == NAMESPACE[cluster] and labels["job"] == "shop/checkout", labels

    # Metric-to-trace links: exemplars of both clusters reach Prometheus and are kept (the generated
    # values turn exemplar storage on), carrying the label Grafana's Prometheus datasource opens in Tempo.
    trace_label = next(source for source in yaml.safe_load(files["grafana/provisioning/datasources.yaml"])[
        "datasources"] if source["type"] == "prometheus")["jsonData"]["exemplarTraceIdDestinations"][0]["name"]

    def linked_exemplars() -> dict[str, list[dict]]:
        data = prom_api(prom_port, "query_exemplars", query='{__name__=~".+_bucket", cluster=~".+"}',
                        start=str(time.time() - 600), end=str(time.time() + 60))
        found = {}
        for series in data:
            linked = [e for e in series["exemplars"] if len(e["labels"].get(trace_label, "")) == 32]
            if linked:
                found.setdefault(series["seriesLabels"]["cluster"], []).append(series["seriesLabels"]["__name__"])
        return found if set(found) == set(CLUSTERS) else {}
    linked = wait_for(f"exemplars with a {trace_label} from both clusters", linked_exemplars, attempts=60)
    print(f"e2e: exemplars linking to traces: {linked}")

    # Healthy traffic, evaluated by every rule (the SLO's base series exist for both clusters): nothing fires.
    wait_for("the SLO's per-minute series for both clusters", lambda: len(prom_api(
        prom_port, "query", query=f'{TOTAL}{{slo_name="availability"}} > 1')["result"]) == 2)
    # Every alerting group evaluates once more after that (the SLO groups once a minute), then judge.
    before = alert_group_evaluations(prom_port)
    wait_for("every alerting rule group to evaluate the healthy series", lambda: all(
        when != before.get(group) for group, when in alert_group_evaluations(prom_port).items()), attempts=150)
    quiet = alerts(prom_port, "firing") + alerts(prom_port, "pending")
    assert quiet == [], f"healthy traffic fired: {[a['labels'] for a in quiet]}"

    # A 5xx burst in one cluster pages with that cluster's labels; the other cluster stays silent.
    (drivers[BURST][0] / "burst").touch()

    def paged() -> list[dict]:
        firing = alerts(prom_port)
        return firing if SERVICE_ALERTS <= {a["labels"]["alertname"] for a in firing} else []
    # The SLO rules evaluate once a minute (one-minute tiles): a burst shows in the next tile and the
    # page fires at the alert group's next evaluation after it, so allow up to three minutes.
    firing = wait_for("HighErrorRate and the SLO page alert", paged, attempts=360)
    for alert in firing:
        assert alert["labels"]["cluster"] == BURST, alert["labels"]
        assert alert["labels"]["namespace"] == NAMESPACE[BURST], alert["labels"]
    page = next(a for a in firing if a["labels"]["alertname"] == "CheckoutAvailabilityErrorBudgetBurnPage")
    assert page["labels"]["team"] == "shop" and page["labels"]["severity"] == "critical"
    for app, _, _ in drivers.values():
        (app / "stop").touch()
    fired = sorted({(a["labels"]["alertname"], a["labels"]["cluster"], a["labels"]["namespace"]) for a in firing})
    print(f"e2e: fired {fired}; wall time {time.monotonic() - began:.1f}s")
