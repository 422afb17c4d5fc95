"""The generated rules and their unit tests also pass on Prometheus 3 (promtool built from v3 source):
float `le` labels, left-open range windows and the stricter parser must not break them."""
from __future__ import annotations

from pathlib import Path

from obs.pipeline import render
from obs.tools import promtool3, run_tool
from tests.support import require_tool


def test_reference_rules_and_unit_tests_pass_on_prometheus_3(reference_bundle, tmp_path):
    binary = require_tool(promtool3)
    files: dict[str, list[Path]] = {"rules": [], "tests": []}
    for result in render(reference_bundle):
        for path, content in result.files.items():
            segments = path.split("/")  # prometheus/rules/x.yaml, in a fleet also cluster-base/prometheus/...
            kind = segments[-2] if len(segments) >= 3 and segments[-3] == "prometheus" else None
            if kind in files:
                target = tmp_path / result.env.name / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                files[kind].append(target)
    assert files["rules"] and files["tests"]
    checked = run_tool([binary, "check", "rules", *files["rules"]])
    assert checked.returncode == 0, checked.output
    tested = run_tool([binary, "test", "rules", *files["tests"]], timeout=900)
    assert tested.returncode == 0, tested.output
    assert tested.output.count("SUCCESS") == len(files["tests"])
