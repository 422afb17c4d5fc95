"""obs backtest against a real Prometheus: a backfilled week made of the reference bundle's own promtool
cases (one known incident or quiet spell every 3 hours), replayed by `obs backtest` through the HTTP API,
must give the firing episodes Prometheus' rule engine itself gives for the same rules over the same
samples (promtool test rules, the engine with a simulated clock: `create-blocks-from rules` does not
evaluate alerting rules).

The SLO burn-rate alerts are left out: they read recording rules, which a backfilled Prometheus does not
have (their own promtool proofs cover them)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from obs.tools import find_tool
from tests.support import REPO, require_tool
from tests.review_week import (
    MINUTE,
    firing_from_promtool,
    promtool_reference,
    week_from_tests,
)

# Every non-SLO pack of the reference staging (namespaced packs are built once per owning team).
PACKS = ("cluster", "kubernetes-workloads-platform", "kubernetes-workloads-shop", "opentelemetry-collector",
         "opentelemetry-services-platform", "opentelemetry-services-shop", "web-platform", "web-shop")
OBS = [sys.executable, "-m", "obs"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, proc: subprocess.Popen, log: Path) -> None:
    for _ in range(240):
        if proc.poll() is not None:
            pytest.fail(f"prometheus exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail("prometheus did not become ready")


def _minutes(episodes: list[dict], end: float) -> dict[float, set]:
    out: dict[float, set] = {}
    for episode in episodes:
        t, stop = episode["start"], episode["end"] if episode["end"] is not None else end + MINUTE
        while t < stop:
            out.setdefault(t, set()).add(tuple(sorted(episode["labels"].items())))
            t += MINUTE
    return out


def _episodes(points: dict[float, set], step: float = MINUTE) -> set[tuple]:
    """(labels, start, end) from the label sets firing at each evaluation."""
    out = set()
    for labels in {ls for sets in points.values() for ls in sets}:
        times = sorted(t for t, sets in points.items() if labels in sets)
        start = prev = times[0]
        for t in times[1:] + [None]:
            if t is None or t - prev > step:
                out.add((labels, start, prev + step))
                if t is not None:
                    start = t
            if t is not None:
                prev = t
    return out


@pytest.mark.tools
def test_backtest_matches_prometheus_rule_engine_over_a_backfilled_week(tmp_path, promtool_bin):
    prometheus = require_tool(lambda: find_tool("prometheus", "OBS_PROMETHEUS", "apt-get install prometheus"))
    build = tmp_path / "build"
    subprocess.run([*OBS, "-q", "build", "--no-validate", "--env", "staging", "--out", str(build)], cwd=REPO,
                   check=True, capture_output=True, timeout=600)
    staging = build / "staging"
    week = week_from_tests([staging / f"prometheus/tests/{p}.test.yaml" for p in PACKS])
    rules = [staging / f"prometheus/rules/{p}.yaml" for p in PACKS]
    names = sorted({r["alert"] for path in rules for g in yaml.safe_load(path.read_text())["groups"]
                    for r in g["rules"] if "alert" in r})
    assert week.alerts_with_incidents <= set(names)
    end = week.minutes * MINUTE  # the week starts at 0, where promtool's clock starts

    # Prometheus' own engine over the same samples, in the background (JSON is YAML, and quicker to write).
    reference = tmp_path / "reference.test.yaml"
    reference.write_text(json.dumps(promtool_reference(week, rules, names, week.minutes)))
    engine = subprocess.Popen([str(promtool_bin), "test", "rules", str(reference)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)

    # The SLI series the checkout availability SLO records, steady at a 0.1% error ratio all week.
    sli = "".join(f'slo:sli_{kind}_events:rate1m{{slo_name="availability",slo_service="checkout"}} {value} {m * MINUTE}\n'
                  for kind, value in (("bad", 0.01), ("total", 10.0)) for m in range(week.minutes + 1))
    (tmp_path / "week.om").write_text(week.openmetrics().replace("# EOF\n", sli + "# EOF\n"))
    data = tmp_path / "data"
    subprocess.run([str(promtool_bin), "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                    str(tmp_path / "week.om"), str(data)], check=True, capture_output=True, timeout=300)
    (tmp_path / "prometheus.yml").write_text("global: {}\n")
    port, log = _free_port(), tmp_path / "prometheus.log"
    server = subprocess.Popen([str(prometheus), f"--config.file={tmp_path / 'prometheus.yml'}",
                               f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{port}",
                               "--storage.tsdb.retention.time=100y"], stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        _wait_ready(port, server, log)
        command = [*OBS, "backtest", "--prometheus", f"http://127.0.0.1:{port}", "--base", str(build),
                   "--head", str(build), "--env", "staging", "--end", str(end), "--range", f"{week.minutes // 60}h", "--format", "json",
                   "--plot", str(tmp_path / "week.svg")]
        for name in [*names, "checkout/availability"]:
            command += ["--rule", name]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False,
                                env={**os.environ, "CI": ""})
        assert result.returncode == 0, result.stderr
        assert "obs backtest" in result.stderr  # progress on stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    backtest = json.loads(result.stdout)
    output, _ = engine.communicate(timeout=600)
    assert "FAILED" in output or "SUCCESS" in output, output[-2000:]
    expected = firing_from_promtool(output)

    # A pack built once per owning team has one copy of an alert per team ("Name (file, group)"):
    # Prometheus' engine sees them as one alert name whose label sets carry `team`.
    by_alert: dict[str, list[dict]] = {}
    for alert in backtest["alerts"]:
        by_alert.setdefault(alert["name"].split(" (", 1)[0], []).append(alert)
    assert sorted(by_alert) == names
    agreed = episodes_total = 0
    for name in names:
        ours: dict[float, set] = {}
        for copy in by_alert[name]:
            head = copy["head"]
            assert head == {**copy["base"], "label": head["label"]}  # the same rules on both sides
            for t, sets in _minutes(head["episodes"], end).items():
                ours.setdefault(t, set()).update(sets)
        theirs = {t: sets for (alert, t), sets in expected.items() if alert == name}
        if name in week.alerts_with_incidents:
            assert theirs, f"{name}: the week holds its incident but Prometheus never fired it"
        mine, engine_episodes = _episodes(ours), _episodes(theirs)
        # Episodes match one to one, start and end within one evaluation interval.
        unmatched = [e for e in engine_episodes if not any(
            m[0] == e[0] and abs(m[1] - e[1]) <= MINUTE and abs(m[2] - e[2]) <= MINUTE for m in mine)]
        assert not unmatched and len(mine) == len(engine_episodes), (name, sorted(mine), sorted(engine_episodes))
        agreed += sum(ours.get(t, set()) == theirs.get(t, set()) for t in set(ours) | set(theirs))
        episodes_total += len(engine_episodes)
    points = len(expected)
    print(f"\nbacktest agreement: {len(names)} alerts, {episodes_total} episodes, "
          f"{agreed}/{points} firing evaluations identical")
    assert agreed == points
    assert (tmp_path / "week.svg").read_text().startswith("<?xml")
    # The SLO: 0.1% errors against a 99.9% objective burns the budget at 1x: the range's share of 30 days
    # (the "week" is as long as the reference cases laid end to end, 3 hours each).
    slo = backtest["slos"][0]
    assert slo["name"] == "checkout/availability" and slo["error_ratio"] == pytest.approx(0.001)
    assert slo["head"]["consumed"] == pytest.approx(week.minutes / (30 * 24 * 60), rel=1e-3)  # range / period
