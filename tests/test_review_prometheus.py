"""The backtest's Prometheus client: clear errors for an unreachable or unauthorised server, credentials
sent but never echoed, long ranges split under Prometheus' points limit."""
from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from obs.errors import ObsError
from obs.review.prometheus import Prometheus, auth

SECRET = "s3cr3t-token-value"


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict]]]:
    """A stand-in API on a free loopback port: 401 without the token, else one series per range query."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            seen.append({"auth": self.headers.get("Authorization"), **query})
            if self.headers.get("Authorization") != f"Bearer {SECRET}":
                self.send_response(401)
                self.end_headers()
                return
            start, end, step = float(query["start"]), float(query["end"]), float(query["step"])
            values = [[start + i * step, "1"] for i in range(int((end - start) / step) + 1)]
            body = {"status": "success", "data": {"resultType": "matrix",
                                                  "result": [{"metric": {"job": "a"}, "values": values}]}}
            self.send_response(200)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()


def test_unauthorised_says_how_to_authenticate_and_never_echoes(server, tmp_path, monkeypatch):
    url, _ = server
    monkeypatch.delenv("OBS_PROMETHEUS_TOKEN", raising=False)
    wrong = tmp_path / "token"
    wrong.write_text("wrong-" + SECRET + "\n")
    with pytest.raises(ObsError) as error:
        Prometheus(url, auth(bearer_token_file=wrong)).query_range("up", 0, 60, 60, "alert X")
    assert "HTTP 401" in str(error.value) and "--bearer-token-file" in str(error.value)
    assert SECRET not in str(error.value) and SECRET not in repr(auth(bearer_token_file=wrong))


def test_token_from_the_environment_and_ranges_split(server, monkeypatch):
    url, seen = server
    monkeypatch.setenv("OBS_PROMETHEUS_TOKEN", SECRET)
    client = Prometheus(url, auth(), max_points=100)
    series = client.query_range("up", 0, 60 * 250, 60, "alert X")
    assert [(q["start"], q["end"]) for q in seen] == [("0", "5940"), ("6000", "11940"), ("12000", "15000")]
    points = series[(("job", "a"),)]
    assert [t for t, _ in points] == [i * 60.0 for i in range(251)]


def test_unreachable_and_bad_urls(tmp_path):
    with pytest.raises(ObsError, match="cannot reach Prometheus at http://127.0.0.1:1"):
        Prometheus("http://127.0.0.1:1", timeout=5).query("up", 0, "x")
    with pytest.raises(ObsError, match="credentials in the URL") as error:
        Prometheus(f"http://user:{SECRET}@127.0.0.1:9090")
    assert SECRET not in str(error.value)
    with pytest.raises(ObsError, match="not an http"):
        Prometheus("ftp://x")
    with pytest.raises(ObsError, match="cannot read the bearer token file"):
        auth(bearer_token_file=Path(tmp_path / "missing"))
