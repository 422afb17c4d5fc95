"""A real Prometheus for the end-to-end tests: started on a free loopback port with the rendered
rule files, queried through its HTTP API."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable

import yaml

# The reference bundle's instrumented checkout service (its rendered SDK setup lives here).
SERVICE_DIR = "instrumentation/default/shop/checkout"


def start_prometheus(started: Callable[..., Any], prometheus_path: Path, files: dict[str, bytes], tmp_path: Path,
                     port: int, evaluation_interval: str = "1s") -> None:
    """A real Prometheus on 127.0.0.1:`port` evaluating the rendered rule files (global interval
    `evaluation_interval`; groups with their own interval keep it) and accepting remote writes
    (the gateway's prometheus_remote_write exporter)."""
    rules = sorted(path for path in files if path.startswith("prometheus/rules/"))
    for path in rules:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(files[path])
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"evaluation_interval": evaluation_interval},
        "rule_files": [str(tmp_path / path) for path in rules]}))
    started([prometheus_path, f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}",
             "--web.enable-remote-write-receiver"], tmp_path / "prometheus.log")


def prom_api(port: int, path: str, **params: str) -> Any:
    """The `data` of GET /api/v1/<path>?<params>."""
    url = f"http://127.0.0.1:{port}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)["data"]
