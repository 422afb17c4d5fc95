"""Durations as obs computes with them (SLO windows, tiles, alert `for`): every unit counted at its
Prometheus size, checked against sums written here, and the shortest spelling round-trips."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from obs.model.checks import duration_seconds, format_duration

UNITS = (("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1), ("ms", 0.001))


@settings(max_examples=200, derandomize=True, database=None)
@given(st.lists(st.integers(0, 500), min_size=len(UNITS), max_size=len(UNITS)), st.sets(st.sampled_from(UNITS)))
def test_every_unit_counts_at_its_size(counts, used):
    parts = [(count, unit, size) for count, (unit, size) in zip(counts, UNITS, strict=True) if (unit, size) in used]
    text = "".join(f"{count}{unit}" for count, unit, _ in parts) or "0s"
    assert abs(duration_seconds(text) - sum(count * size for count, _, size in parts)) < 1e-6, text


def test_known_durations():
    assert duration_seconds("1h30m") == 5400
    assert duration_seconds("1m30s500ms") == 90.5
    assert duration_seconds("28d") == 28 * 86400 and duration_seconds("1y") == 365 * 86400


@settings(max_examples=200, derandomize=True, database=None)
@given(st.integers(0, 10 * 365 * 86400))
def test_the_shortest_spelling_round_trips(seconds):
    text = format_duration(seconds)
    assert duration_seconds(text) == seconds
    assert text == "0s" or not any(part.startswith("0") for part in re.findall(r"[0-9]+[a-z]+", text)), text
