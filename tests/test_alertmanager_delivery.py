"""Issue 21: a real Alertmanager (Debian's prometheus-alertmanager, the release amtool is) on
127.0.0.1 runs a config obs generated and delivers one alert through every receiver kind obs
generates (webhook, Slack, PagerDuty, e-mail) to local endpoints, the receivers' templates
rendered; an alert whose label value is not ASCII routes by a matcher on that value, and amtool's
routing proof (fed the same way obs feeds it) agrees with the real routing."""
from __future__ import annotations

import json
import socket
import socketserver
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from obs.alertmanager import Alertmanager, Email, Intent, PagerDuty, Receiver, Route, SecretRef, Slack, Webhook
from obs.alertmanager.config_file import render_config
from obs.serialize import to_yaml
from obs.validate import amtool
from tests.support import alertmanager_binary, require_tool, running_alertmanager

CITY = "Zürich-東京 café"  # routes by this value: non-ASCII, a space, written as Alertmanager reads it
TIMINGS = {"group_wait": "0s", "group_interval": "1s", "repeat_interval": "1h"}


class Sink:
    """What the local endpoints received: (path or 'smtp', body)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def add(self, where: str, body: str) -> None:
        with self.lock:
            self.items.append((where, body))

    def wait_for(self, where: str, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for got, body in self.items:
                    if got == where and text in body:
                        return body
            time.sleep(0.1)
        with self.lock:
            raise AssertionError(f"nothing with {text!r} reached {where}; received: {self.items!r}"[:3000])


def _http_server(sink: Sink) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            sink.add(self.path, body)
            self.send_response(202 if self.path.startswith("/pagerduty") else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "success", "message": "Event processed", "dedup_key": "x"}')

        def log_message(self, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def _smtp_server(sink: Sink) -> socketserver.ThreadingTCPServer:
    """A minimal SMTP sink: enough of RFC 5321 for Alertmanager's client (no TLS, no auth)."""
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 sink ESMTP")
            while True:
                line = self.rfile.readline().decode(errors="replace").strip()
                verb = line[:4].upper()
                if not line or verb == "QUIT":
                    self.reply("221 bye")
                    return
                if verb in ("EHLO", "HELO"):
                    self.reply("250 sink")
                elif verb == "DATA":
                    self.reply("354 go on")
                    data = []
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        data.append(chunk)
                    sink.add("smtp", b"".join(data).decode(errors="replace"))
                    self.reply("250 queued")
                else:
                    self.reply("250 ok")

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    return socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)


def _serve(server: socketserver.BaseServer) -> None:
    threading.Thread(target=server.serve_forever, daemon=True).start()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config(http_port: int, smtp_port: int) -> Alertmanager:
    """One receiver per integration kind, each routed by `kind`; one more by the non-ASCII city."""
    base = f"http://127.0.0.1:{http_port}"
    return Alertmanager(
        name="delivery", secrets_dir="/secrets",  # replaced by the test's folder below
        route=Route("webhook", group_by=("alertname", "kind", "city"), **TIMINGS, routes=[
            Route("city", match={"city": CITY}),
            Route("slack", match={"kind": "slack"}),
            Route("pagerduty", match={"kind": "pagerduty"}),
            Route("email", match={"kind": "email"}),
        ]),
        receivers=[
            Receiver("webhook", [Webhook(f"{base}/webhook")]),
            Receiver("city", [Webhook(f"{base}/city")]),
            Receiver("slack", [Slack(SecretRef("slack", "url"), "#{{ .CommonLabels.team | toLower }}",
                                     title="{{ .CommonLabels.alertname }} in {{ .CommonLabels.city }}",
                                     text="{{ range .Alerts }}{{ .Annotations.summary }}{{ end }}")]),
            Receiver("pagerduty", [PagerDuty(SecretRef("pagerduty", "key"),
                                             description="{{ .CommonLabels.alertname }}: {{ .CommonLabels.city }}")]),
            Receiver("email", [Email("{{ .CommonLabels.team }}@example.com", "am@example.com",
                                     f"127.0.0.1:{smtp_port}", require_tls=False,
                                     subject="[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
                                     html="<p>{{ .CommonLabels.city }}</p>")]),
        ],
        intents=[Intent({"city": CITY}, "city"), Intent({"kind": "slack"}, "slack"),
                 Intent({"kind": "pagerduty"}, "pagerduty"), Intent({"kind": "email"}, "email"),
                 Intent({}, "webhook")])


@pytest.fixture(scope="module")
def delivery(tmp_path_factory) -> Iterator[tuple[str, Sink, Path]]:
    """(Alertmanager API URL, what the endpoints received, the config file)."""
    binary = require_tool(alertmanager_binary)
    sink = Sink()
    http, smtp = _http_server(sink), _smtp_server(sink)
    _serve(http)
    _serve(smtp)
    folder = tmp_path_factory.mktemp("delivery")
    secrets = folder / "secrets"
    for name, key, value in (("slack", "url", f"http://127.0.0.1:{http.server_address[1]}/slack"),
                             ("pagerduty", "key", "0123456789abcdef0123456789abcdef")):
        (secrets / name).mkdir(parents=True)
        (secrets / name / key).write_text(value)
    rendered = render_config(Alertmanager(**{**config(http.server_address[1], smtp.server_address[1]).__dict__,
                                             "secrets_dir": str(secrets)}))
    # Endpoints the generated config leaves at the vendors' defaults, pointed at the local sink.
    rendered["global"].update(pagerduty_url=f"http://127.0.0.1:{http.server_address[1]}/pagerduty",
                              smtp_from="am@example.com")
    config_file = folder / "alertmanager.yaml"
    config_file.write_bytes(to_yaml(rendered))
    try:
        with running_alertmanager(binary, config_file, folder / "data") as url:
            yield url, sink, config_file
    finally:
        http.shutdown()
        smtp.shutdown()


def _post(url: str, labels: dict[str, str], summary: str) -> None:
    body = json.dumps([{"labels": labels, "annotations": {"summary": summary}}]).encode()
    request = urllib.request.Request(f"{url}/alerts", data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()


def test_the_generated_config_passes_amtool(delivery, amtool_bin):
    _, _, config_file = delivery
    result = subprocess.run([str(amtool_bin), "check-config", str(config_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_webhook_receives_the_alert(delivery):
    url, sink, _ = delivery
    _post(url, {"alertname": "HookTest", "kind": "webhook", "team": "Shop"}, "hook summary")
    payload = json.loads(sink.wait_for("/webhook", "HookTest"))
    assert payload["alerts"][0]["annotations"]["summary"] == "hook summary"


def test_slack_receives_the_rendered_templates(delivery):
    url, sink, _ = delivery
    _post(url, {"alertname": "SlackTest", "kind": "slack", "team": "Shop", "city": "Genève"}, "slack summary")
    payload = json.loads(sink.wait_for("/slack", "SlackTest"))
    assert payload["channel"] == "#shop"
    attachment = payload["attachments"][0]
    assert attachment["title"] == "SlackTest in Genève" and attachment["text"] == "slack summary"


def test_pagerduty_receives_the_event_with_its_key_from_the_file(delivery):
    url, sink, _ = delivery
    _post(url, {"alertname": "PageTest", "kind": "pagerduty", "city": "Łódź"}, "page summary")
    event = json.loads(sink.wait_for("/pagerduty", "PageTest"))
    assert event["routing_key"] == "0123456789abcdef0123456789abcdef"
    assert event["payload"]["summary"] == "PageTest: Łódź"


def test_email_is_sent_with_the_rendered_subject(delivery):
    url, sink, _ = delivery
    _post(url, {"alertname": "MailTest", "kind": "email", "team": "ops", "city": "Malmö"}, "mail summary")
    message = sink.wait_for("smtp", "MailTest")
    assert "Subject: [FIRING] MailTest" in message and "To: ops@example.com" in message


def test_a_non_ascii_label_value_routes_by_its_matcher(delivery, amtool_bin):
    """The matcher `city="Zürich-東京 café"` is written raw (Alertmanager reads no \\u escapes): the real
    Alertmanager delivers the alert to the `city` receiver, and amtool, fed the labels the way obs's
    routing proof feeds them, names the same receiver."""
    url, sink, config_file = delivery
    _post(url, {"alertname": "CityTest", "kind": "webhook", "city": CITY}, "city summary")
    payload = json.loads(sink.wait_for("/city", "CityTest"))
    assert payload["alerts"][0]["labels"]["city"] == CITY
    assert amtool.resolve(config_file, {"alertname": "CityTest", "kind": "webhook", "city": CITY}) == ["city"]
    assert amtool.resolve(config_file, {"alertname": "CityTest", "kind": "webhook", "city": "Zurich"}) == ["webhook"]
