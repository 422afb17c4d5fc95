"""Tier 3: the rendered Python instrumentation, run for real, feeds a real collector and a real
Prometheus; the metric names Prometheus stores are the ones the generated rules and dashboards
query, and an alert from the reference bundle's generated rule files fires on the traffic.

The reference definitions are rendered for a test environment whose only override is
`WebHighErrorRate.for: 0m`, so the alert can fire within seconds instead of after 5 minutes.

Everything listens on 127.0.0.1, every wait is a bounded loop, every process is stopped.
"""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from obs import Bundle, Environment
from obs.render import render_environment
from tests.collector_harness import DRIVER
from tests.prometheus_harness import SERVICE_DIR, prom_api, start_prometheus
from tests.support import free_port, wait_for

pytestmark = pytest.mark.tools

HTTP_METRIC = re.compile(r"\bhttp_server_request_duration_seconds(?:_bucket|_count|_sum)?\b")
STABLE_LABELS = {"http_request_method", "http_route", "http_response_status_code", "url_scheme"}


def collector_config(otlp_port: int, prom_port: int, out: Path) -> dict[str, Any]:
    files = {signal: {"path": str(out / f"{signal}.jsonl")} for signal in ("traces", "metrics", "logs")}
    return {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{otlp_port}"}}}},
        "exporters": {
            **{f"file/{signal}": cfg for signal, cfg in files.items()},
            "prometheus_remote_write": {
                "endpoint": f"http://127.0.0.1:{prom_port}/api/v1/write",
                "external_labels": {"cluster": "roundtrip"},
                "resource_to_telemetry_conversion": {"enabled": False},
                "target_info": {"enabled": True},
            },
        },
        "service": {
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {
                "traces": {"receivers": ["otlp"], "exporters": ["file/traces"]},
                "metrics": {"receivers": ["otlp"], "exporters": ["file/metrics", "prometheus_remote_write"]},
                "logs": {"receivers": ["otlp"], "exporters": ["file/logs"]},
            },
        },
    }


def queried_http_metrics(files: dict[str, bytes]) -> set[str]:
    """HTTP metric names the generated rules and dashboards query (the stable-semconv ones)."""
    names: set[str] = set()
    for path, data in files.items():
        if path.startswith(("prometheus/rules/", "grafana/", "kubernetes/")):
            names |= set(HTTP_METRIC.findall(data.decode()))
    return names


def test_python_snippet_feeds_collector_and_prometheus(tmp_path, reference_bundle, otelcol_bin,
                                                       prometheus_path, started):
    env = Environment("roundtrip", cluster="roundtrip", overrides={"WebHighErrorRate.for": "0m"})
    files = render_environment(Bundle("roundtrip", [env], reference_bundle.define), env)
    app = tmp_path / "app"
    app.mkdir()
    (app / "otel_setup.py").write_bytes(files[f"{SERVICE_DIR}/otel_setup.py"])
    (app / "driver.py").write_text(DRIVER)

    prom_port, otlp_port = free_port(), free_port()
    start_prometheus(started, prometheus_path, files, tmp_path, prom_port)
    wait_for("prometheus to be ready", lambda: prom_api(prom_port, "status/buildinfo"))

    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "otelcol.yaml").write_text(yaml.safe_dump(collector_config(otlp_port, prom_port, out)))
    started([otelcol_bin, f"--config={tmp_path / 'otelcol.yaml'}"], tmp_path / "otelcol.log")
    wait_for("the collector's OTLP receiver", lambda: socket.create_connection(("127.0.0.1", otlp_port), 1))

    driver_env = {"PATH": "/usr/bin:/bin", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{otlp_port}",
                  "OTEL_METRIC_EXPORT_INTERVAL": "500", "OTEL_BSP_SCHEDULE_DELAY": "200",
                  "OTEL_BLRP_SCHEDULE_DELAY": "200", "OTEL_RESOURCE_ATTRIBUTES": "service.instance.id=roundtrip-1"}
    run = subprocess.run([sys.executable, "driver.py"], cwd=app, env={**driver_env, "DRIVER_REQUESTS": "400",
                                                                     "DRIVER_FAIL_EVERY": "3"},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr

    # All three signals reached the collector, with the resource obs baked in plus the env's.
    def exported(signal: str) -> list[dict]:
        """Complete JSON lines the file exporter wrote so far (a last partial line is skipped)."""
        path = out / f"{signal}.jsonl"
        lines = path.read_text().split("\n")[:-1] if path.exists() else []
        return [json.loads(line) for line in lines if line]
    spans = wait_for("spans in the file exporter", lambda: exported("traces"))
    metrics = wait_for("metrics in the file exporter", lambda: exported("metrics"))
    logs = wait_for("logs in the file exporter", lambda: exported("logs"))
    resource = {a["key"]: a["value"].get("stringValue") for a in spans[0]["resourceSpans"][0]["resource"]["attributes"]}
    assert resource["service.name"] == "checkout"
    assert resource["service.namespace"] == "shop"
    assert resource["deployment.environment.name"] == "roundtrip"
    assert resource["service.instance.id"] == "roundtrip-1"
    server_spans = [span for doc in spans for rs in doc["resourceSpans"] for ss in rs["scopeSpans"]
                    for span in ss["spans"] if span["kind"] == 2]  # SPAN_KIND_SERVER
    assert server_spans and {span["name"] for span in server_spans} == {"GET /checkout"}
    failed = [span for span in server_spans if span.get("status", {}).get("code") == 2]  # STATUS_CODE_ERROR
    assert failed, "5xx answers must mark their server spans as errors"
    metric_names = {m["name"] for doc in metrics for rm in doc["resourceMetrics"]
                    for sm in rm["scopeMetrics"] for m in sm["metrics"]}
    assert "http.server.request.duration" in metric_names
    bodies = [r["body"]["stringValue"] for doc in logs for rl in doc["resourceLogs"]
              for sl in rl["scopeLogs"] for r in sl["logRecords"]]
    assert "checkout answered 500" in bodies

    # Prometheus stores exactly the names the generated rules and dashboards query.
    stored = wait_for("the histogram in Prometheus", lambda: {
        n for n in prom_api(prom_port, "label/__name__/values") if HTTP_METRIC.fullmatch(n)})
    assert stored == {f"http_server_request_duration_seconds{s}" for s in ("_bucket", "_count", "_sum")}
    queried = queried_http_metrics(files) | {"http_server_request_duration_seconds_count"}
    assert queried <= stored, f"queried but never produced: {sorted(queried - stored)}"
    series = prom_api(prom_port, "series", **{"match[]": "http_server_request_duration_seconds_count"})
    assert STABLE_LABELS <= set(series[0]), series[0]
    assert series[0]["job"] == "shop/checkout"

    # The reference bundle's per-route error alert fires on the traffic (a third of requests failed).
    def firing() -> list[dict]:
        return [a for a in prom_api(prom_port, "alerts")["alerts"]
                if a["labels"]["alertname"] == "WebHighErrorRate" and a["state"] == "firing"]
    alerts = wait_for("WebHighErrorRate to fire", firing)
    assert {k: alerts[0]["labels"][k] for k in ("cluster", "job", "http_route", "severity")} == {
        "cluster": "roundtrip", "job": "shop/checkout", "http_route": "/checkout", "severity": "critical"}
