"""Run real Thanos components, a real Alertmanager and a webhook sink on loopback for the fleet tests.

Everything binds 127.0.0.1 on ports the OS hands out; every process is started through the
`started` fixture (terminated, then killed, when the test ends); every wait is bounded."""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from tests.collector_harness import free_port

RECEIVE_REPLICA_LABEL = "receive_replica"


def get_json(url: str, timeout: float = 5) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


_SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?\s')
_LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')


def exposed_values(text: str) -> dict[str, dict[str, set[str]]]:
    """metric -> label name -> its values, from a Prometheus text exposition (values as escaped there)."""
    found: dict[str, dict[str, set[str]]] = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match and not line.startswith("#"):
            labels = found.setdefault(match[1], {})
            for name, value in _LABEL.findall(match[2] or ""):
                labels.setdefault(name, set()).add(value)
    return found


def exposed(text: str) -> dict[str, set[str]]:
    """metric -> label names, from a Prometheus text exposition."""
    return {metric: set(labels) for metric, labels in exposed_values(text).items()}


def ready(http: str) -> bool:
    """Whether a Thanos component (or Prometheus, Alertmanager) at `http` answers /-/ready with 200."""
    try:
        with urllib.request.urlopen(f"http://{http}/-/ready", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until(what: str, probe: Callable[[], Any], timeout: float, pause: float = 0.5,
               alive: Callable[[], str | None] = lambda: None) -> Any:
    """`probe()` once it is truthy; fail naming `what` after `timeout` seconds, or at once when
    `alive()` says a process it depends on has died."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except OSError as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        died = alive()
        if died:
            pytest.fail(f"{died} while waiting for {what}")
        time.sleep(pause)
    pytest.fail(f"gave up after {timeout:.0f}s waiting for {what}; last answer: {last!r}")


@dataclass
class Endpoint:
    """A loopback component: its HTTP and gRPC addresses (and Receive's remote-write address)."""

    name: str
    http: str
    grpc: str
    write: str = ""


def endpoint(name: str, write: bool = False) -> Endpoint:
    return Endpoint(name, f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}",
                    f"127.0.0.1:{free_port()}" if write else "")


@dataclass
class Webhook:
    """Alertmanager's webhook notifications, by receiver (the URL path is the receiver's name)."""

    port: int
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def alerts(self, receiver: str | None = None) -> list[dict[str, Any]]:
        return [alert for path, body in list(self.received) if receiver in (None, path)
                for alert in body.get("alerts", [])]

    def receivers(self) -> set[str]:
        return {path for path, _ in list(self.received)}


@contextmanager
def webhook_sink() -> Iterator[Webhook]:
    """An HTTP server on 127.0.0.1 recording every POSTed JSON body with the receiver in its path."""
    sink = Webhook(0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            sink.received.append((urllib.parse.unquote(self.path.strip("/")), json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


def loopback_alertmanager_config(config: dict[str, Any], webhook_port: int) -> dict[str, Any]:
    """The generated Alertmanager config with every receiver's integrations (PagerDuty, Slack, email,
    webhooks: addresses outside this machine) replaced by one webhook to the sink, at the path of
    the receiver's name. Routes, grouping, inhibitions and time intervals stay as generated."""
    config = json.loads(json.dumps(config))
    for receiver in config["receivers"]:
        integrations = [key for key in receiver if key.endswith("_configs")]
        if not integrations:
            continue  # a receiver that notifies nobody ('null') stays silent
        resolved = any(item.get("send_resolved", False) for key in integrations for item in receiver[key])
        for key in integrations:
            del receiver[key]
        url = f"http://127.0.0.1:{webhook_port}/{urllib.parse.quote(receiver['name'])}"
        receiver["webhook_configs"] = [{"url": url, "send_resolved": resolved}]
    return config


def start_alertmanager(started: Callable[..., Any], binary: Path, config: dict[str, Any], workdir: Path) -> str:
    """A real Alertmanager (no gossip cluster) with `config`; its host:port."""
    path = workdir / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    address = f"127.0.0.1:{free_port()}"
    started([binary, f"--config.file={path}", f"--storage.path={workdir / 'alertmanager-data'}",
             f"--web.listen-address={address}", "--cluster.listen-address=", "--log.level=warn"],
            workdir / "alertmanager.log")
    return address


class RemoteWriteService:
    """The Receive Service on loopback, keeping a ledger of what the writers sent.

    Each remote-write request goes to the next replica that accepts a connection (round robin, a
    killed replica is skipped as Kubernetes drops a dead pod from the Service); the replica's answer
    goes back to the writer, so a request the replica failed or died in is retried by the writer.
    Every request body is also posted to `ledger` (a Prometheus remote-write receiver with an
    out-of-order window), which so holds every sample the writers sent, whatever Thanos kept."""

    def __init__(self, backends: list[str], ledger: str) -> None:
        self.backends, self.ledger = backends, ledger
        self.served: dict[str, int] = dict.fromkeys(backends, 0)  # requests each replica answered
        self.failed = 0  # requests answered with an error (or no answer)
        self._next = 0
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                service._post(f"http://{service.ledger}/api/v1/write", body, headers)
                status, answer = service._forward(self.path, body, headers)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the writer gave up on this request (its timeout) and will retry it

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @staticmethod
    def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def _forward(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for _ in range(len(self.backends)):
            with self._lock:
                backend = self.backends[self._next % len(self.backends)]
                self._next += 1
            try:
                status, answer = self._post(f"http://{backend}{path}", body, headers)
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, ConnectionRefusedError):
                    continue  # not in the Service any more: the next replica
                status, answer = 502, str(exc.reason).encode()
            except OSError as exc:  # the replica died with the request in flight
                status, answer = 502, str(exc).encode()
            with self._lock:
                self.served[backend] += 1
                self.failed += status >= 300
            return status, answer
        with self._lock:
            self.failed += 1
        return 503, b"no replica accepts connections"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RemoteWriteService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def hashring_file(path: Path, receives: list[Endpoint]) -> Path:
    """One hashring over every Receive replica's gRPC endpoint (the addresses replicas forward to)."""
    path.write_text(json.dumps([{"hashring": "default", "endpoints": [r.grpc for r in receives]}], indent=2))
    return path


def query_api(http: str, path: str, **params: str) -> Any:
    """`/api/v1/<path>` of Prometheus or Thanos Query; the `data` of a successful answer."""
    answer = get_json(f"http://{http}/api/v1/{path}?{urllib.parse.urlencode(params)}", timeout=10)
    assert answer["status"] == "success", answer
    return answer["data"]


def samples(http: str, selector: str, start: float, end: float, **params: str) -> dict[str, list[tuple[float, str]]]:
    """Every raw sample of `selector` between `start` and `end` (unix seconds), by series (its labels
    as sorted JSON): a range-vector instant query returns samples as stored, not re-sampled."""
    window = max(1, int(end - start) + 1)
    data = query_api(http, "query", query=f"{selector}[{window}s]", time=f"{end:.3f}", **params)
    return {json.dumps(series["metric"], sort_keys=True): [(float(t), v) for t, v in series["values"]
                                                           if float(t) >= start]
            for series in data["result"]}


def start_ledger(started: Callable[..., Any], prometheus: Path, workdir: Path) -> str:
    """A Prometheus receiving remote writes with a 30m out-of-order window: it keeps every sample it
    is sent, in whatever order; its host:port."""
    address = f"127.0.0.1:{free_port()}"
    config = workdir / "ledger.yml"
    config.write_text(yaml.safe_dump({"storage": {"tsdb": {"out_of_order_time_window": "30m"}}}))
    started([prometheus, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'ledger'}",
             f"--web.listen-address={address}", "--web.enable-remote-write-receiver", "--log.level=warn"],
            workdir / "ledger.log")
    return address


def without(labels: str, *names: str) -> str:
    """A series key (sorted JSON labels) without `names`: the labels a store adds to what was written."""
    return json.dumps({k: v for k, v in json.loads(labels).items() if k not in names}, sort_keys=True)
