"""Run the real otelcol on 127.0.0.1 with a config from the obs model, feed it OTLP, scrape its metrics."""
from __future__ import annotations

import copy
import random
import re
import socket
import subprocess
import textwrap
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from obs.collector import Collector, Exporter, Pipeline, Processor, Receiver, Telemetry
from obs.serialize import to_yaml
from obs.collector.config import render_config

_FAMILY_RE = re.compile(r"^# TYPE (\S+) (\S+)$", re.M)
_SERIES_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", re.M)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def local_collector(otlp_port: int, metrics_port: int, dead_port: int, stuck_port: int, level: str) -> Collector:
    """Every signal into a debug exporter (succeeds) and a queued OTLP/HTTP exporter to a closed port
    (fails); traces also, unbatched, into a one-slot queue towards a port that never answers
    (enqueue failures), and through tail sampling. So success, failure, queue and sampling metrics exist."""
    otlp = Receiver("otlp", {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{otlp_port}"}}})
    limiter = Processor("memory_limiter", {"check_interval": "1s", "limit_mib": 256, "spike_limit_mib": 64})
    batch = Processor("batch", {"timeout": "100ms"})
    debug = Exporter("debug", {"verbosity": "basic"})
    down = Exporter("otlp_http/down", {"endpoint": f"http://127.0.0.1:{dead_port}", "timeout": "1s",
                                       "retry_on_failure": {"enabled": False},
                                       "sending_queue": {"enabled": True, "queue_size": 100}})
    stuck = Exporter("otlp_http/stuck", {"endpoint": f"http://127.0.0.1:{stuck_port}", "timeout": "5s",
                                         "retry_on_failure": {"enabled": False},
                                         "sending_queue": {"enabled": True, "queue_size": 1, "num_consumers": 1}})
    pipelines = [Pipeline(s, [otlp], [debug, down], [limiter, batch]) for s in ("traces", "metrics", "logs")]
    pipelines += [Pipeline(f"{s}/stuck", [otlp], [stuck], [limiter]) for s in ("traces", "metrics", "logs")]
    sampler = Processor("tail_sampling", {"decision_wait": "1s", "policies": [
        {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
        {"name": "rest", "type": "probabilistic", "probabilistic": {"sampling_percentage": 50}}]})
    pipelines.append(Pipeline("traces/sampled", [otlp], [debug], [limiter, sampler]))
    return Collector("selfmon", "deployment", telemetry=Telemetry(metrics_level=level, metrics_host="127.0.0.1",
                                                                  metrics_port=metrics_port), pipelines=pipelines)


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts connections (kernel backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def send_otlp(port: int) -> None:
    """Several requests per signal (spans, a counter, log records) over OTLP/gRPC with the SDK."""
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    endpoint = f"127.0.0.1:{port}"
    resource = Resource.create({"service.name": "obs-selfmon-test"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True, timeout=2)))
    tracer = tracer_provider.get_tracer("obs-test")
    for index in range(5):
        with tracer.start_as_current_span(f"op-{index}"):
            pass
    tracer_provider.shutdown()
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint, insecure=True, timeout=2),
                                           export_interval_millis=3_600_000)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    counter = meter_provider.get_meter("obs-test").create_counter("obs_test_requests")
    for _ in range(3):
        counter.add(1)
        meter_provider.force_flush()
    meter_provider.shutdown()
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=endpoint,
                                                                                      insecure=True, timeout=2)))
    for index in range(3):
        logger_provider.get_logger("obs-test").emit(body=f"hello from obs {index}")
    logger_provider.shutdown()


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def exported_names(text: str) -> set[str]:
    """Every metric family and series name in a Prometheus text exposition."""
    return {name for name, _ in _FAMILY_RE.findall(text)} | set(_SERIES_RE.findall(text))


def wait_for(condition, what: str, attempts: int = 150) -> None:
    """Poll `condition` every 0.2 s; AssertionError naming `what` if it never holds."""
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


@contextmanager
def running_collector(binary: Path, collector: Collector, workdir: Path) -> Iterator[subprocess.Popen[str]]:
    config = workdir / "selfmon.yaml"
    config.write_bytes(to_yaml(render_config(collector)))
    log = (workdir / "otelcol.log").open("w")
    proc = subprocess.Popen([str(binary), f"--config=file:{config}"], stdout=log, stderr=subprocess.STDOUT,
                            text=True)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# Components of the generated configs that need a real node or Kubernetes API: disabled (removed
# from the config and its pipelines) to run the configs on loopback. file_storage only keeps
# file_log's offsets on the node's disk.
NEEDS_NODE = {"receivers": {"host_metrics", "kubelet_stats", "file_log"}, "processors": {"k8s_attributes"},
              "extensions": {"file_storage"}}


def runnable_config(config: dict[str, Any], pod_ip: str, exporters: dict[str, str]) -> dict[str, Any]:
    """A generated collector config made to run on loopback, changing nothing else:
    - components in NEEDS_NODE are removed (from their section, every pipeline and service.extensions);
    - extensions listening on localhost (pprof, zpages) listen on `pod_ip` instead, so several
      collectors (each with its own 127.0.0.x as MY_POD_IP) can run side by side;
    - every exporter's in-cluster endpoint is replaced by `exporters[id]` (the load_balancing
      exporter's DNS name by the host in it); an exporter without a replacement is an error, so
      none ever reaches for a real cluster address."""
    config = copy.deepcopy(config)
    service = config["service"]
    for section, types in NEEDS_NODE.items():
        dropped = {cid for cid in config.get(section, {}) if cid.split("/")[0] in types}
        for cid in dropped:
            del config[section][cid]
        for pipeline in service["pipelines"].values():
            if section in pipeline:
                pipeline[section] = [c for c in pipeline[section] if c not in dropped]
        if section == "extensions":
            service["extensions"] = [e for e in service.get("extensions", []) if e not in dropped]
    for extension in config.get("extensions", {}).values():
        endpoint = extension.get("endpoint", "")
        if endpoint.startswith("localhost:"):
            extension["endpoint"] = f"{pod_ip}:{endpoint.split(':')[1]}"
    unmapped = set(config["exporters"]) - set(exporters)
    assert not unmapped, f"no loopback endpoint for exporters {sorted(unmapped)}"
    for exporter_id, endpoint in exporters.items():
        exporter = config["exporters"][exporter_id]
        if "resolver" in exporter:
            host, _, port = endpoint.rpartition(":")
            exporter["resolver"]["dns"].update({"hostname": host, "port": port})
        else:
            exporter["endpoint"] = endpoint
    return config


def pod_env(pod_ip: str, name: str) -> dict[str, str]:
    """What the generated workload's pod spec provides (downward API, hostPath, secret), for loopback."""
    return {"PATH": "/usr/bin:/bin", "MY_POD_IP": pod_ip, "K8S_NODE_NAME": "node-a", "K8S_POD_NAME": f"{name}-0",
            "K8S_NAMESPACE": "monitoring", "HOST_ROOT": "/", "REMOTE_WRITE_TOKEN": "e2e-token",
            "GOMEMLIMIT": "256MiB"}


# A WSGI app instrumented by the generated otel_setup.py, and a loop calling it. Environment:
# DRIVER_REQUESTS (0: until a `stop` file appears in the working directory, at most 150 s),
# DRIVER_FAIL_EVERY (every n-th answer is a 5xx; 0: none), DRIVER_BURST_FILE=1 (fail only while a
# `burst` file exists).
DRIVER = textwrap.dedent("""
    import os, pathlib, threading, time, urllib.error, urllib.request
    from wsgiref.simple_server import WSGIRequestHandler, make_server
    import otel_setup

    telemetry = otel_setup.setup()
    here = pathlib.Path(".")
    requests = int(os.environ.get("DRIVER_REQUESTS", "0"))
    fail_every = int(os.environ.get("DRIVER_FAIL_EVERY", "0"))
    on_burst = os.environ.get("DRIVER_BURST_FILE") == "1"
    served = [0]

    def app(environ, start_response):
        served[0] += 1
        failing = fail_every and served[0] % fail_every == 0 and (not on_burst or (here / "burst").exists())
        status = "500 Internal Server Error" if failing else "200 OK"
        telemetry.logger.warning("checkout answered %s", status[:3])
        start_response(status, [("Content-Type", "text/plain")])
        return [b"ok"]

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, telemetry.wsgi(app, route=lambda environ: "/checkout"),
                         handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/checkout?id=1"
    deadline, sent = time.monotonic() + 150, 0
    while (sent < requests if requests else not (here / "stop").exists()) and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()
        except urllib.error.HTTPError:
            pass
        sent += 1
        time.sleep(0.01 if requests else 0.005)  # spread the traffic over several metric exports
    server.shutdown()
    telemetry.shutdown()
""")


LISTEN_PORTS = (4317, 4318, 8888, 13133, 1777, 55679, 9411, 14250, 14268)  # what the generated collector configs listen on


def bindable(ip: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go listens: TIME_WAIT is no clash
        try:
            sock.bind((ip, port))
        except OSError:
            return False
    return True


def free_loopback_ips(count: int) -> list[str]:
    """`count` distinct random addresses of 127.0.0.0/8 on which every collector port is free now."""
    rng, found = random.SystemRandom(), []
    for _ in range(200):
        ip = f"127.{rng.randrange(1, 255)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        if ip not in found and all(bindable(ip, port) for port in LISTEN_PORTS):
            found.append(ip)
            if len(found) == count:
                return found
    pytest.fail(f"no {count} loopback addresses with {LISTEN_PORTS} free")
