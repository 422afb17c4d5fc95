"""The gateway's remote write survives a short outage of the metrics store.

prometheus_remote_write retries inside its own `timeout` (opentelemetry-collector-contrib#30305):
with the default 5s, the generated 5-minute retry budget never applied and a write refused for a
few seconds (a Thanos Receive replica going away) was dropped. The real otelcol, with the
exporter settings obs generates, must deliver a sample through an outage of 8 seconds."""
from __future__ import annotations

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from obs.collector.checks import check_remote_write_retries, go_duration_seconds
from obs.errors import DefinitionError
from tests.support import free_port, wait_for

OUTAGE = 8.0  # seconds the store answers 503


class FlakyStore:
    """A remote-write endpoint on loopback that answers 503 until `OUTAGE` seconds after the first
    request, then 204, counting the requests of each kind."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.refused = self.accepted = 0
        store = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                store.first = store.first or time.monotonic()
                down = time.monotonic() - store.first < OUTAGE
                store.refused += down
                store.accepted += not down
                self.send_response(503 if down else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/write"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def store() -> Iterator[FlakyStore]:
    flaky = FlakyStore()
    yield flaky
    flaky.server.shutdown()


def _generated_exporter(reference_folders: list[Path]) -> dict:
    staging = next(f for f in reference_folders if f.name == "staging")
    config = yaml.safe_load((staging / "collector/otel-collector-gateway.yaml").read_text())
    return config["exporters"]["prometheus_remote_write/mimir"]


def _metric(now: float) -> bytes:
    point = {"asDouble": 1, "timeUnixNano": str(int(now * 1e9))}
    return json.dumps({"resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "probe"}}]},
        "scopeMetrics": [{"metrics": [{"name": "probe", "gauge": {"dataPoints": [point]}}]}]}]}).encode()


def test_the_generated_timeout_covers_the_retry_budget(reference_folders):
    exporter = _generated_exporter(reference_folders)
    assert go_duration_seconds(exporter["timeout"]) >= go_duration_seconds(
        exporter["retry_on_failure"]["max_elapsed_time"])


def test_a_timeout_shorter_than_the_retries_is_refused_with_the_fix():
    with pytest.raises(DefinitionError) as error:
        check_remote_write_retries("collector gw", "prometheus_remote_write",
                                   {"endpoint": "http://x", "retry_on_failure": {"max_elapsed_time": "5m"}})
    assert error.value.field == "config.timeout" and "set timeout: 5m" in error.value.fix
    assert "30305" in str(error.value)
    check_remote_write_retries("collector gw", "prometheus_remote_write",
                               {"timeout": "5m", "retry_on_failure": {"max_elapsed_time": "300s"}})
    check_remote_write_retries("collector gw", "prometheus_remote_write", {"retry_on_failure": {"enabled": False,
                                                                                                "max_elapsed_time": "1h"}})
    check_remote_write_retries("collector gw", "otlp_http", {"retry_on_failure": {"max_elapsed_time": "1h"}})
    assert [go_duration_seconds(v) for v in ("1m30s", "300ms", "1.5h", "5", "", "10x")] == [90, 0.3, 5400,
                                                                                            None, None, None]


@pytest.mark.tools
def test_a_sample_gets_through_a_short_outage_of_the_store(tmp_path, reference_folders, otelcol_bin, store,
                                                           started, monkeypatch):
    exporter = {**_generated_exporter(reference_folders), "endpoint": store.url}
    port = free_port()
    config = {"receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{port}"}}}},
              "exporters": {"prometheus_remote_write/mimir": exporter},
              "service": {"telemetry": {"metrics": {"level": "none"}},
                          "pipelines": {"metrics": {"receivers": ["otlp"],
                                                    "exporters": ["prometheus_remote_write/mimir"]}}}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("REMOTE_WRITE_TOKEN", "test-token")
    collector = started([otelcol_bin, f"--config=file:{tmp_path / 'config.yaml'}"], tmp_path / "otelcol.log")

    def post() -> bool:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/metrics", data=_metric(time.time()),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    wait_for("the collector's OTLP receiver", post, attempts=120)
    wait_for("the sample at the store after its outage", lambda: store.accepted or collector.poll() is not None,
             attempts=int(4 * OUTAGE + 60))
    log = (tmp_path / "otelcol.log").read_text()
    assert collector.poll() is None, log[-2000:]
    assert store.refused and store.accepted, (store.refused, store.accepted)
    assert "Dropping data" not in log, log[-2000:]
