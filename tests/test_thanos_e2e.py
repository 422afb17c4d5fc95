"""Tier 3, a fleet on Thanos: two clusters, a Receive hashring, Query and a global ruler, for real.

The reference bundle's definitions in one environment of two clusters (a, b) with a Thanos
global store in the receive topology (2 replicas, replication factor 2). Per cluster, the
cluster overlay's generated agent and gateway collector configs (run as tests/test_e2e_pipeline.py
runs them: only endpoints and pod-provided values point at loopback) carry the generated Python
instrumentation's metrics; the gateways remote-write into Thanos Receive behind its Service (a
round-robin HTTP proxy on loopback that also copies every request to a ledger Prometheus, so the
test knows every sample that was sent). Receive, Query and the store gateway run with their
generated arguments, Thanos Rule with the ThanosRuler's (tests/thanos_local.py rewrites only
addresses and paths), loading the global tier's plain rule files (in the receive topology the
SLO rules read series the collectors push straight into Receive, so they are global), and sends
to a real Alertmanager running the generated config, whose receivers all post to one webhook sink
on loopback (the receiver's name in the path).

Asserted: a 5xx burst in cluster a fires the checkout availability SLO page with cluster="a" at
the receiver the generated routing gives it (amtool says which) and nothing for cluster b; the
Receive replica that took the most writes is SIGKILLed during the burst and the page still
fires; every sample of every cluster-a series the gateway sent (the ledger) comes back
through Thanos Query from the surviving replica, same timestamps and values: none lost.

Every process listens on 127.0.0.1 (collectors on their own 127.0.0.x, as in the pipeline test),
every wait is bounded, every process is stopped.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from obs import Bundle, Cluster, Environment, Thanos
from obs.render import render_environment
from obs.render import thanos as generated
from obs.tools.find import thanos
from obs.topologies import AGENT, GATEWAY
from tests.collector_harness import DRIVER, free_port, pod_env, runnable_config
from tests.collector_harness import free_loopback_ips
from tests.prometheus_harness import SERVICE_DIR
from tests.support import alertmanager_binary, require_tool
from tests.thanos_harness import (
    RemoteWriteService, loopback_alertmanager_config, query_api, ready, samples, start_alertmanager, start_ledger,
    wait_until, webhook_sink, without,
)
from tests.thanos_local import Components, LocalThanos

pytestmark = pytest.mark.tools

# The clusters; each collector listens on its own free loopback address (picked when the test runs).
CLUSTER_NAMES = ("a", "b")
BURST, QUIET = "a", "b"
PAGE = "CheckoutAvailabilityErrorBudgetBurnPage"
BURST_SERIES = 'http_server_request_duration_seconds_count{{cluster="{cluster}", http_response_status_code="500"}}'


@pytest.fixture(scope="module")
def thanos_bin() -> Path:
    return require_tool(thanos)


ENV = Environment("e2e", clusters=[Cluster(name) for name in CLUSTER_NAMES],
                  global_store=Thanos("receive", receive_replicas=2, replication_factor=2))


def render(reference_bundle: Any) -> dict[str, bytes]:
    return render_environment(Bundle("e2e", [ENV], reference_bundle.define), ENV)


def routed_receivers(amtool_bin: Path, config: Path, labels: dict[str, str]) -> set[str]:
    """The receivers the generated routing tree gives an alert with `labels`, as amtool says."""
    result = subprocess.run([str(amtool_bin), "config", "routes", "test", f"--config.file={config}",
                             *(f"{k}={v}" for k, v in sorted(labels.items()))],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    return {name.strip() for name in result.stdout.strip().split(",")}


def test_global_slo_page_through_thanos_with_a_receive_replica_killed(
        tmp_path, reference_bundle, otelcol_bin, thanos_bin, amtool_bin, prometheus_path, started):
    began = time.monotonic()
    alertmanager_bin = require_tool(alertmanager_binary)
    files = render(reference_bundle)

    # The global store: Receive x2 (hashring, RF 2) behind a Service, store gateway, Query, Rule,
    # and the Alertmanager with the generated config.
    local = LocalThanos(ENV, tmp_path / "thanos")
    receives = local.receives
    ledger = start_ledger(started, prometheus_path, tmp_path)
    generated_am = tmp_path / "alertmanager-generated.yaml"
    generated_am.write_bytes(files["alertmanager/alertmanager.yaml"])
    with webhook_sink() as sink, RemoteWriteService([r.write for r in receives], ledger) as service:
        am_config = loopback_alertmanager_config(yaml.safe_load(generated_am.read_text()), sink.port)
        local.alertmanager = start_alertmanager(started, alertmanager_bin, am_config, tmp_path)
        global_store = Components(started, thanos_bin, local, files)
        global_store.start_receives()
        global_store.start_global(ENV)
        query, ruler = local.query, local.ruler

        # Per cluster: gateway, agent, the instrumented service.
        apps = {}
        dead = free_port()  # nothing listens: Tempo and Loki are not part of this test
        addresses = iter(free_loopback_ips(2 * len(CLUSTER_NAMES)))
        clusters = {name: (next(addresses), next(addresses)) for name in CLUSTER_NAMES}  # (agent IP, gateway IP)
        for cluster, (agent_ip, gateway_ip) in clusters.items():
            for name, ip, exporters in (
                    (GATEWAY, gateway_ip, {"prometheus_remote_write/mimir": f"http://{service.address}/api/v1/receive",
                                           "otlp_grpc/tempo": f"127.0.0.1:{dead}",
                                           "otlp_grpc/jaeger": f"127.0.0.1:{dead}",
                                           "otlp_http/loki": f"http://127.0.0.1:{dead}/otlp"}),
                    (AGENT, agent_ip, {"load_balancing/gateway": f"{gateway_ip}:4317",
                                       "otlp_grpc/gateway": f"{gateway_ip}:4317"})):
                config = yaml.safe_load(files[f"clusters/{cluster}/collector/{name}.yaml"])
                path = tmp_path / f"{name}-{cluster}.yaml"
                path.write_text(yaml.safe_dump(runnable_config(config, ip, exporters), sort_keys=False))
                started([otelcol_bin, f"--config=file:{path}"], tmp_path / f"{name}-{cluster}.log",
                        env=pod_env(ip, name))
            app = tmp_path / f"app-{cluster}"
            app.mkdir()
            (app / "otel_setup.py").write_bytes(files[f"{SERVICE_DIR}/otel_setup.py"])
            (app / "driver.py").write_text(DRIVER)
            apps[cluster] = app
        global_store.wait_ready([*receives, local.store, query, ruler], began)
        for address in (ledger, local.alertmanager):
            wait_until(f"{address} to be ready", lambda a=address: ready(a), 60)
        for cluster, (agent_ip, _) in clusters.items():
            wait_until(f"the {cluster} agent's OTLP receiver",
                       lambda ip=agent_ip: socket.create_connection((ip, 4318), 1), 60)
        started_at = time.time()
        (apps[BURST] / "burst").touch()
        for cluster, app in apps.items():
            started([sys.executable, "driver.py"], app / "driver.log", cwd=app, env={
                "PATH": "/usr/bin:/bin", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{clusters[cluster][0]}:4318",
                "OTEL_METRIC_EXPORT_INTERVAL": "1000", "OTEL_BSP_SCHEDULE_DELAY": "200",
                "OTEL_BLRP_SCHEDULE_DELAY": "200", "DRIVER_FAIL_EVERY": "2" if cluster == BURST else "0",
                "DRIVER_BURST_FILE": "1"})

        # The burst reaches Thanos through Receive; then the replica taking the most writes dies.
        burst = BURST_SERIES.format(cluster=BURST)
        wait_until("the burst's series in Thanos Query",
                   lambda: query_api(query.http, "query", query=burst)["result"], 90)
        time.sleep(5)
        victim = max(range(len(receives)), key=lambda i: service.served[receives[i].write])
        assert service.served[receives[victim].write], f"no write reached a replica: {service.served}"
        global_store.procs[receives[victim].name].kill()
        global_store.procs[receives[victim].name].wait(timeout=10)
        killed_at = time.time()

        # The global page fires for cluster a at the receiver the generated routing gives it.
        def paged() -> list[dict[str, Any]]:
            return [a for a in sink.alerts() if a["labels"].get("alertname") == PAGE and a["status"] == "firing"]
        pages = wait_until("the SLO page at the webhook", paged, 200, pause=1)
        fired_at = time.time()
        for page in pages:
            assert page["labels"]["cluster"] == BURST, page["labels"]
        expected = routed_receivers(amtool_bin, generated_am, pages[0]["labels"])

        def reached() -> set[str]:
            return {path for path, body in sink.received if any(a["labels"].get("alertname") == PAGE for a in body["alerts"])}
        # Each receiver's route has its own group_wait (the page and the team's chat): wait for all of them.
        wait_until("the page at every receiver the routing gives it", lambda: reached() >= expected, 60, pause=1)
        page_receivers = reached()
        assert expected and page_receivers == expected, (page_receivers, expected)
        assert not [a for a in sink.alerts() if a["labels"].get("cluster") == QUIET], \
            f"cluster {QUIET} had no burst but notified: {[a['labels'] for a in sink.alerts()]}"
        ruler_alerts = [alert for group in query_api(ruler.http, "rules", type="alert")["groups"]
                        for rule in group["rules"] for alert in rule.get("alerts", [])]
        assert any(a["labels"].get("alertname") == PAGE for a in ruler_alerts), ruler_alerts
        assert not [a for a in ruler_alerts if a["labels"].get("cluster") == QUIET], ruler_alerts

        # Stop the traffic; every sample the gateway sent is on the surviving replica.
        for app in apps.values():
            (app / "stop").touch()
        # Every series of cluster a (histogram buckets, counts, the collectors' own series): spread
        # over both replicas by the hashring, so a replica's loss shows unless replication kept a copy.
        everything = f'{{cluster="{BURST}"}}'
        survivor = receives[1 - victim].name

        def compared() -> tuple[dict[str, list], dict[str, list]]:
            end = time.time()
            sent = samples(ledger, everything, started_at - 60, end)
            kept = {without(k, generated.RECEIVE_REPLICA_LABEL, "tenant_id"): v for k, v in samples(
                        query.http, everything, started_at - 60, end, dedup="false", partial_response="true").items()
                    if json.loads(k).get(generated.RECEIVE_REPLICA_LABEL) == survivor}
            return sent, kept

        def missing() -> tuple[dict[str, list], list[tuple[str, float]]]:
            sent, kept = compared()
            return sent, [(k, t) for k, values in sent.items() for t, v in values if (t, v) not in set(kept.get(k, ()))]
        time.sleep(3)  # the drivers' last export, through agent and gateway
        # Samples whose write failed while the replica went down come back through the gateway's retries
        # (exponential backoff, up to 5 minutes): wait for them before calling anything lost.
        deadline = time.monotonic() + 240
        while (found := missing())[1] and time.monotonic() < deadline:  # the replica may still be catching up
            time.sleep(2)
        sent, lost = found
        sent_samples = sorted((k, t) for k, values in sent.items() for t, _ in values)
        during = [(k, t) for k, t in sent_samples if killed_at <= t <= fired_at]
        assert during, "no sample was sent while a replica was down"
        assert sent_samples and not lost, f"{len(lost)} of {len(sent_samples)} samples lost, e.g. {lost[:5]}"

        # Metric-to-trace links survive the hashring: the gateways' exemplars come back through Query
        # (Receive keeps them: its generated --tsdb.max-exemplars; 0, the default, drops them all).
        def linked() -> list[dict[str, Any]]:
            found = query_api(query.http, "query_exemplars", query=f'{{__name__=~".+_bucket", cluster="{BURST}"}}',
                              start=str(time.time() - 900), end=str(time.time() + 60))
            return [e for series in found or [] for e in series["exemplars"] if len(e["labels"].get("trace_id", "")) == 32]
        exemplars = wait_until("cluster a's exemplars with a trace_id through Thanos Query", linked, 30, pause=1)
    print(f"thanos e2e: page for cluster {BURST} at {', '.join(sorted(expected))} {fired_at - killed_at:.0f}s after the "
          f"kill; {len(sent_samples)} samples of {len(sent)} series of cluster {BURST} sent ({len(during)} while a "
          f"replica was down, {service.failed} write requests failed and were retried), {len(lost)} lost; "
          f"{len(exemplars)} exemplars linking to traces through Query; "
          f"wall time {time.monotonic() - began:.1f}s")
