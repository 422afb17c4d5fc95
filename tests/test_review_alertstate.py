"""The alert state machine obs backtest replays (`for`, `keep_firing_for`, templated labels, an alert
that resolves and comes back) against Prometheus' own engine (promtool test rules) on the same samples."""
from __future__ import annotations

import json
import subprocess

import pytest

from obs.review.alertstate import firing_at, go_float, replay
from obs.review.backtest import chosen_alerts
from obs.review.semantics import load
from tests.review_week import firing_from_promtool

# x{job="a"} and x{job="b"}, one sample a minute: the rule fires on x > 1.
SAMPLES = {"a": [0, 2, 2, 2, 0, 2, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0],
           "b": [2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 0, 2, 2, 2, 2, 0, 0]}
RULE = {"alert": "Hot", "expr": "x > 1", "for": "2m", "keep_firing_for": "3m",
        "labels": {"severity": "{{ $labels.job }}-page", "value": "v{{ $value }}"}}


def test_replay_matches_promtool(tmp_path, promtool_bin):
    (tmp_path / "rules.yaml").write_text(json.dumps({"groups": [{"name": "g", "rules": [RULE]}]}))
    minutes = len(SAMPLES["a"])
    (tmp_path / "test.yaml").write_text(json.dumps({
        "rule_files": ["rules.yaml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m",
                   "input_series": [{"series": f'x{{job="{job}"}}', "values": " ".join(map(str, values))}
                                    for job, values in SAMPLES.items()],
                   "alert_rule_test": [{"eval_time": f"{m}m", "alertname": "Hot"} for m in range(minutes)]}]}))
    output = subprocess.run([str(promtool_bin), "test", "rules", "test.yaml"], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False).stdout
    expected = {t: sets for (_, t), sets in firing_from_promtool(output).items()}
    assert expected, output
    series = {(("__name__", "x"), ("job", job)): [(m * 60.0, float(v)) for m, v in enumerate(values) if v > 1]
              for job, values in SAMPLES.items()}
    times = [m * 60.0 for m in range(minutes)]
    result = replay("Hot", RULE["labels"], 120, 180, series, times)
    got = {t: sets for t, sets in firing_at(result.episodes, times).items() if sets}
    assert got == expected
    assert not result.unexpanded
    # keep_firing_for bridged job a's one-minute gap: one episode, not two
    assert len([e for e in result.episodes if ("job", "a") in e.labels]) == 2


# What promtool prints for {{ $value }} in a label (checked with promtool 2.42).
@pytest.mark.parametrize(("value", "text"), [(2.0, "2"), (0.5, "0.5"), (1e21, "1e+21"), (123456.0, "123456"),
                                             (1e6, "1e+06"), (123456789012.0, "1.23456789012e+11"),
                                             (1e-5, "1e-05"), (0.0001, "0.0001"), (-2.5, "-2.5"),
                                             (float("inf"), "+Inf")])
def test_values_print_as_go_does(value, text):
    assert go_float(value) == text


def test_backtest_picks_alerts_whose_behaviour_changed(tmp_path):
    sides = []
    for side, (threshold, summary) in {"base": ("1", "hot"), "head": ("2", "hotter")}.items():
        rules = tmp_path / side / "staging" / "prometheus" / "rules"
        rules.mkdir(parents=True)
        (tmp_path / side / "staging" / ".obs-manifest").write_text("# obs\n")
        (rules / "x.yaml").write_text(json.dumps({"groups": [{"name": "g", "rules": [
            {"alert": "Threshold", "expr": f"x > {threshold}"},
            {"alert": "Wording", "expr": "y > 1", "annotations": {"summary": summary}}]}]}))
        sides.append(load(tmp_path / side)["staging"])
    assert chosen_alerts(sides[0], sides[1], ()) == ["Threshold"]
    assert chosen_alerts(sides[0], sides[1], ["Wording"]) == ["Wording"]
