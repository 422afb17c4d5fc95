"""The backtest proof's moving parts: a real Prometheus holding a backfilled history, recording rules
written into it as a live rule engine writes them, and the comparison of `obs backtest`'s episodes with
the ones Prometheus' own rule engine (promtool) gives over the same samples."""
from __future__ import annotations

import subprocess
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from obs.review.prometheus import Prometheus
from tests.remote_write import STALE_NAN, push
from tests.support import free_port, wait_for

MINUTE = 60
Labels = tuple[tuple[str, str], ...]
Firing = dict[float, set[Labels]]


@contextmanager
def backfilled_prometheus(prometheus: Path, promtool: Path, openmetrics: str, work: Path) -> Iterator[str]:
    """A Prometheus on a free loopback port over `openmetrics` turned into blocks, which also takes
    remote writes into that past (an out-of-order window longer than the history): the URL."""
    (work / "history.om").write_text(openmetrics)
    data = work / "data"
    subprocess.run([str(promtool), "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(work / "history.om"),
                    str(data)], check=True, capture_output=True, timeout=300)
    (work / "prometheus.yml").write_text("global: {}\nstorage:\n  tsdb:\n    out_of_order_time_window: 5200w\n")
    port, log = free_port(), work / "prometheus.log"
    server = subprocess.Popen([str(prometheus), f"--config.file={work / 'prometheus.yml'}",
                               f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{port}",
                               "--storage.tsdb.retention.time=100y", "--web.enable-remote-write-receiver"],
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if server.poll() is not None:
            pytest.fail(f"prometheus exited: {log.read_text()[-2000:]}")
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2):
            return True
    try:
        wait_for("prometheus to be ready", ready, attempts=240)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def record_rules(url: str, rule_files: list[Path], end: int, step: int = MINUTE) -> tuple[int, int]:
    """Write what the recording rules of `rule_files` would have recorded from 0 to `end` into the
    Prometheus at `url`, as promtool's rule engine evaluates them: every group at every `step`, in file
    and group order, each rule seeing the rules before it at the same instant, and a staleness marker
    at the first evaluation a recorded series is missing from. Backfilled recordings
    (`promtool tsdb create-blocks-from rules`) lack those markers, so a series that stopped stays
    visible for the 5-minute lookback and alerts on it fire longer than Prometheus' would.
    Returns (samples, staleness markers) written."""
    client = Prometheus(url, timeout=300, max_series=100_000)
    # Prometheus needs a newest sample before it takes older ones out of order.
    push(f"{url}/api/v1/write", [((("__name__", "backfill_horizon"),), [((end + 3600) * 1000, 1.0)])])
    samples = markers = 0
    for path in rule_files:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "record" not in rule:
                    continue
                result = client.query_range(rule["expr"], 0, end, step, f"recording rule {rule['record']}")
                series: dict[Labels, list[tuple[int, float]]] = {}
                for labels, points in result.items():
                    out = {**dict(labels), **(rule.get("labels") or {}), "__name__": rule["record"]}
                    timeline = series.setdefault(tuple(sorted(out.items())), [])
                    timeline += [(int(t) * 1000, v) for t, v in points]
                for timeline in series.values():
                    timeline.sort()
                    present = {t for t, _ in timeline}
                    gone = [(t + step * 1000, STALE_NAN) for t, _ in timeline
                            if t + step * 1000 not in present and t + step * 1000 <= end * 1000]
                    markers += len(gone)
                    timeline += gone
                    timeline.sort()
                    samples += len(timeline)
                push(f"{url}/api/v1/write", list(series.items()))
    return samples, markers


def firing_minutes(episodes: list[dict], end: float) -> Firing:
    """Each evaluation (minute) at which `obs backtest`'s episodes fire, with the label sets."""
    out: Firing = {}
    for episode in episodes:
        t, stop = episode["start"], episode["end"] if episode["end"] is not None else end + MINUTE
        while t < stop:
            out.setdefault(t, set()).add(tuple(sorted(episode["labels"].items())))
            t += MINUTE
    return out


def episodes(points: Firing, step: float = MINUTE) -> set[tuple]:
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


def agreement(backtest: dict, expected: dict[tuple[str, float], set[Labels]], names: list[str],
              with_incidents: set[str], end: float) -> tuple[int, int, int]:
    """Assert that `obs backtest`'s episodes of every alert in `names` match the rule engine's one to
    one (start and end within one evaluation interval): returns (episodes, identical evaluations,
    evaluations at which either fired something). An alert built once per owning team
    ("Name (file, group)") is one alert name to the engine, whose label sets carry `team`."""
    by_alert: dict[str, list[dict]] = {}
    for alert in backtest["alerts"]:
        by_alert.setdefault(alert["name"].split(" (", 1)[0], []).append(alert)
    assert sorted(by_alert) == names
    agreed = episodes_total = compared = 0
    for name in names:
        ours: Firing = {}
        for copy in by_alert[name]:
            head = copy["head"]
            assert head == {**copy["base"], "label": head["label"]}  # the same rules on both sides
            for t, sets in firing_minutes(head["episodes"], end).items():
                ours.setdefault(t, set()).update(sets)
        theirs = {t: sets for (alert, t), sets in expected.items() if alert == name}
        if name in with_incidents:
            assert theirs, f"{name}: the history holds its incident but Prometheus never fired it"
        mine, engine_episodes = episodes(ours), episodes(theirs)
        unmatched = [e for e in engine_episodes if not any(
            m[0] == e[0] and abs(m[1] - e[1]) <= MINUTE and abs(m[2] - e[2]) <= MINUTE for m in mine)]
        assert not unmatched and len(mine) == len(engine_episodes), (name, sorted(mine), sorted(engine_episodes))
        fired = set(ours) | set(theirs)
        differing = sorted(t for t in fired if ours.get(t, set()) != theirs.get(t, set()))
        assert not differing, (name, [(t, sorted(ours.get(t, set()) ^ theirs.get(t, set()))) for t in differing[:5]])
        agreed += len(fired) - len(differing)
        compared += len(fired)
        episodes_total += len(engine_episodes)
    return episodes_total, agreed, compared
