"""obs backtest against a real Prometheus: a backfilled history made of the reference bundle's own
promtool cases (one known incident or quiet spell after another), replayed by `obs backtest` through the
HTTP API, must give the firing episodes Prometheus' rule engine itself gives for the same rules over the
same samples (promtool test rules: the engine with a simulated clock; `create-blocks-from rules` does
not evaluate alerting rules).

Two histories: every non-SLO pack's cases (alerts on raw series), and the SLO packs' cases, whose
burn-rate alerts read recording rules: those are written into the Prometheus as a live rule engine
writes them, staleness markers included (tests.backtest_harness.record_rules)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from obs.tools import find_tool
from tests.backtest_harness import MINUTE, agreement, backfilled_prometheus, record_rules
from tests.review_week import firing_from_promtool, promtool_reference, week_from_tests
from tests.support import REPO, require_tool

# Every non-SLO pack of the reference staging (namespaced packs are built once per owning team).
PACKS = ("cluster", "kubernetes-workloads-platform", "kubernetes-workloads-shop", "opentelemetry-collector",
         "opentelemetry-services-platform", "opentelemetry-services-shop", "web-platform", "web-shop")
SLO_PACKS = ("slo-checkout", "slo-otel-collector")
OBS = [sys.executable, "-m", "obs"]


@pytest.fixture(scope="module")
def staging(tmp_path_factory) -> Path:
    build = tmp_path_factory.mktemp("backtest") / "build"
    subprocess.run([*OBS, "-q", "build", "--no-validate", "--env", "staging", "--out", str(build)], cwd=REPO,
                   check=True, capture_output=True, timeout=600)
    return build


@pytest.fixture(scope="module")
def prometheus_bin() -> Path:
    return require_tool(lambda: find_tool("prometheus", "OBS_PROMETHEUS", "apt-get install prometheus"))


def _alert_names(rules: list[Path]) -> list[str]:
    return sorted({r["alert"] for path in rules for g in yaml.safe_load(path.read_text())["groups"]
                   for r in g["rules"] if "alert" in r})


def _start_reference(promtool: Path, week, rules: list[Path], names: list[str], where: Path,
                     in_file_order: bool = False) -> subprocess.Popen:
    """Prometheus' own engine over the same samples, in the background (JSON is YAML, and quicker to write)."""
    where.write_text(json.dumps(promtool_reference(week, rules, names, week.minutes, in_file_order)))
    return subprocess.Popen([str(promtool), "test", "rules", str(where)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _reference_firing(engine: subprocess.Popen) -> dict:
    output, _ = engine.communicate(timeout=900)
    assert "FAILED" in output or "SUCCESS" in output, output[-2000:]
    return firing_from_promtool(output)


def _backtest(url: str, build: Path, end: int, minutes: int, rules: list[str], plot: Path | None = None) -> dict:
    command = [*OBS, "backtest", "--prometheus", url, "--base", str(build), "--head", str(build), "--env", "staging",
               "--end", str(end), "--range", f"{minutes // 60}h", "--format", "json"]
    command += ["--plot", str(plot)] if plot else []
    for rule in rules:
        command += ["--rule", rule]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False,
                            env={**os.environ, "CI": ""})
    assert result.returncode == 0, result.stderr
    assert "obs backtest" in result.stderr  # progress on stderr
    return json.loads(result.stdout)


@pytest.mark.tools
def test_backtest_matches_prometheus_rule_engine_over_a_backfilled_week(tmp_path, staging, promtool_bin,
                                                                       prometheus_bin):
    folder = staging / "staging"
    week = week_from_tests([folder / f"prometheus/tests/{p}.test.yaml" for p in PACKS])
    rules = [folder / f"prometheus/rules/{p}.yaml" for p in PACKS]
    names = _alert_names(rules)
    assert week.alerts_with_incidents <= set(names)
    end = week.minutes * MINUTE  # the week starts at 0, where promtool's clock starts
    engine = _start_reference(promtool_bin, week, rules, names, tmp_path / "reference.test.yaml")

    # The SLI series the checkout availability SLO records, steady at a 0.1% error ratio all week.
    sli = "".join(f'slo:sli_{kind}_events:rate1m{{slo_name="availability",slo_service="checkout"}} {value} {m * MINUTE}\n'
                  for kind, value in (("bad", 0.01), ("total", 10.0)) for m in range(week.minutes + 1))
    with backfilled_prometheus(prometheus_bin, promtool_bin, week.openmetrics().replace("# EOF\n", sli + "# EOF\n"),
                               tmp_path) as url:
        backtest = _backtest(url, staging, end, week.minutes, [*names, "checkout/availability"], tmp_path / "week.svg")
    episodes, agreed, compared = agreement(backtest, _reference_firing(engine), names, week.alerts_with_incidents, end)
    print(f"\nbacktest agreement: {len(names)} alerts, {episodes} episodes, "
          f"{agreed}/{compared} firing evaluations identical")
    assert agreed == compared
    assert (tmp_path / "week.svg").read_text().startswith("<?xml")
    # The SLO: 0.1% errors against a 99.9% objective burns the budget at 1x: the range's share of 30 days
    # (the "week" is as long as the reference cases laid end to end, 3 hours each).
    slo = backtest["slos"][0]
    assert slo["name"] == "checkout/availability" and slo["error_ratio"] == pytest.approx(0.001)
    assert slo["head"]["consumed"] == pytest.approx(week.minutes / (30 * 24 * 60), rel=1e-3)  # range / period


@pytest.mark.tools
def test_slo_burn_rate_alerts_match_prometheus_rule_engine(tmp_path, staging, promtool_bin, prometheus_bin):
    """The SLO packs' own cases laid end to end (an hour at least each; their long windows reach back
    over earlier cases, the same for both engines): the engine evaluates the SLI and burn-rate
    recording rules from the raw series, the backtest reads them as recorded, staleness included."""
    folder = staging / "staging"
    week = week_from_tests([folder / f"prometheus/tests/{p}.test.yaml" for p in SLO_PACKS], slot=60)
    rules = [folder / f"prometheus/rules/{p}.yaml" for p in SLO_PACKS]
    names = _alert_names(rules)
    assert week.alerts_with_incidents == set(names)  # every burn-rate alert pages or tickets somewhere
    end = week.minutes * MINUTE
    # The engine evaluates the groups in file order, as record_rules records them (SLI, meta, alerts).
    engine = _start_reference(promtool_bin, week, rules, names, tmp_path / "reference.test.yaml", in_file_order=True)
    with backfilled_prometheus(prometheus_bin, promtool_bin, week.openmetrics(), tmp_path) as url:
        samples, markers = record_rules(url, rules, end)
        backtest = _backtest(url, staging, end, week.minutes, names)
    assert markers > 0  # series stop between cases: without the markers, alerts would fire up to 5 minutes longer
    episodes, agreed, compared = agreement(backtest, _reference_firing(engine), names, week.alerts_with_incidents, end)
    print(f"\nSLO backtest agreement: {len(names)} burn-rate alerts over {week.minutes} minutes ({samples} recorded "
          f"samples, {markers} staleness markers), {episodes} episodes, {agreed}/{compared} firing evaluations identical")
    assert agreed == compared
