"""A real Prometheus for the end-to-end tests: started on a free loopback port with the rendered
rule files, queried through its HTTP API."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from obs.render.grafana import STACK_VALUES

# The reference bundle's instrumented checkout service (its rendered SDK setup lives here).
SERVICE_DIR = "instrumentation/default/shop/checkout"


def operator_flags(spec: Mapping[str, Any]) -> list[str]:
    """The Prometheus flags prometheus-operator derives from a generated `prometheusSpec`
    (`enableRemoteWriteReceiver`, `enableFeatures`): the generated values, not the test, decide
    whether Prometheus accepts the gateway's remote writes and keeps their exemplars."""
    flags = ["--web.enable-remote-write-receiver"] if spec.get("enableRemoteWriteReceiver") else []
    return flags + ([f"--enable-feature={','.join(spec['enableFeatures'])}"] if spec.get("enableFeatures") else [])


def start_prometheus(started: Callable[..., Any], prometheus_path: Path, files: Mapping[str, bytes], tmp_path: Path,
                     port: int, evaluation_interval: str = "1s") -> None:
    """A real Prometheus on 127.0.0.1:`port` evaluating the rendered rule files (global interval
    `evaluation_interval`; groups with their own interval keep it), run with the flags the
    operator gives it for the rendered kube-prometheus-stack values (`operator_flags`): whether it
    accepts the gateway's remote writes and stores exemplars is the generated values' doing."""
    rules = sorted(path for path in files if path.startswith("prometheus/rules/"))
    for path in rules:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(files[path])
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"evaluation_interval": evaluation_interval},
        "rule_files": [str(tmp_path / path) for path in rules]}))
    started([prometheus_path, f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}",
             *operator_flags(yaml.safe_load(files[STACK_VALUES])["prometheus"]["prometheusSpec"])],
            tmp_path / "prometheus.log")


def prom_api(port: int, path: str, **params: str) -> Any:
    """The `data` of GET /api/v1/<path>?<params>."""
    url = f"http://127.0.0.1:{port}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)["data"]
