"""Synthetic request series for the rule-evaluation benchmark (bench/evaluation.py).

Per service of the synthetic bundle (bench/synthetic.py): `http_server_request_duration_seconds`
counts and cumulative buckets (le 0.25, 0.5, 1, +Inf) for status 200 and 500, with the labels the
SLI selectors read (`job="shop/svcNNNN"`, `cluster="prod-eu1"`) and a fixed `instance`, so that
the live exporter and the OpenMetrics backfill write the very same series. 10 series per service.

Every value is a pure function of time (monotonic, integer-valued counters), so a backfilled day
and the live scrapes that follow it join without a counter reset. Request rates differ per service
(2-21 req/s); the 5xx share (0.05-0.25%) swings with a per-service period of a few hours, so the
availability SLOs burn a little and not all alike; 0.5% of requests are slower than 0.5 s.
"""
from __future__ import annotations

import http.server
import math
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from bench.synthetic import METRIC, service_name

CLUSTER = "prod-eu1"
INSTANCE = "synthetic:8080"
# Share of requests at or under each bucket bound (cumulative; +Inf is the count).
BUCKET_SHARES = (("0.25", 0.9), ("0.5", 0.995), ("1", 0.999), ("+Inf", 1.0))
STATUSES = ("200", "500")
SERIES_PER_SERVICE = len(STATUSES) * (1 + len(BUCKET_SHARES))


class Model:
    """The counters of `services` services; counting started at `origin` (Unix seconds)."""

    def __init__(self, services: int, origin: float) -> None:
        self.origin = origin
        self.rows = []  # per service: (label prefix, total rate, 5xx share, swing period)
        for index in range(services):
            labels = f'cluster="{CLUSTER}",instance="{INSTANCE}",job="shop/{service_name(index)}"'
            self.rows.append((labels, 2.0 + (index * 7) % 20, 0.0005 * (1 + index % 5), 3600.0 * (2 + index % 4)))

    def lines(self, now: float, suffix: str = "") -> list[str]:
        """Sample lines at time `now` (each ending in `suffix`, e.g. an OpenMetrics timestamp)."""
        elapsed = now - self.origin
        out = []
        for labels, rate, share, period in self.rows:
            # 5xx rate = rate * share * (1 + 0.8 sin(2 pi t / P)); its integral is monotonic.
            swing = 0.8 * period / (2 * math.pi)
            bad = rate * share * (elapsed + swing * (1 - math.cos(2 * math.pi * elapsed / period)))
            counts = {"200": rate * elapsed - bad, "500": bad}
            for status in STATUSES:
                count = counts[status]
                base = f'{labels},http_response_status_code="{status}"'
                out.append(f"{METRIC}_count{{{base}}} {math.floor(count)}{suffix}")
                for le, fraction in BUCKET_SHARES:
                    out.append(f'{METRIC}_bucket{{{base},le="{le}"}} {math.floor(count * fraction)}{suffix}')
        return out


def write_openmetrics(model: Model, path: Path, start: float, end: float, step: float = 15.0) -> int:
    """The model's samples every `step` seconds in [start, end) as an OpenMetrics file (what
    `promtool tsdb create-blocks-from openmetrics` reads); returns the number of samples."""
    samples = 0
    with path.open("w", buffering=1 << 20) as out:
        t = start
        while t < end:
            lines = model.lines(t, f" {int(t)}")
            out.write("\n".join(lines))
            out.write("\n")
            samples += len(lines)
            t += step
        out.write("# EOF\n")
    return samples


class Exporter:
    """An HTTP server on 127.0.0.1 (a free port) serving `/metrics?services=N` in the text format."""

    def __init__(self, origin: float, sizes: list[int]) -> None:
        models = {n: Model(n, origin) for n in sizes}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                import time
                query = parse_qs(urlparse(self.path).query)
                model = models.get(int(query.get("services", ["0"])[0]))
                if model is None:
                    self.send_error(404)
                    return
                body = ("\n".join(model.lines(time.time())) + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Exporter":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
