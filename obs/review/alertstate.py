"""Prometheus' alert state machine (rules/alerting.go), replayed over the results of a range query.

At each evaluation an alert is keyed by its full label set: the series' labels without __name__, the
rule's labels (templated per series: `{{ $labels.x }}`, `{{ $value }}`) over them, and `alertname`.
A new key becomes pending at that evaluation and firing at the first evaluation at least `for` after it
became active (at once when `for` is 0). A key missing from the result is resolved, unless it was firing
and `keep_firing_for` has not passed since it first went missing; a resolved key that comes back starts
pending again. A firing episode runs from the evaluation that fired to the first one that did not.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping, Sequence

from obs.review.prometheus import Labels, Series

_TEMPLATE = re.compile(r"{{\s*(?:\$labels|\.Labels)\.(\w+)\s*}}|{{\s*(?:\$value|\.Value)\s*}}")


@dataclass(frozen=True)
class Episode:
    labels: Labels
    start: float
    end: float | None  # None: still firing at the end of the range

    def duration(self, until: float) -> float:
        return (self.end if self.end is not None else until) - self.start


@dataclass
class _Active:
    state: str  # pending, firing, inactive
    active_at: float
    keep_firing_since: float | None = None
    fired_at: float | None = None


@dataclass
class Replay:
    """Episodes per label set, and label templates the replay could not expand (kept verbatim)."""
    episodes: list[Episode] = field(default_factory=list)
    unexpanded: set[str] = field(default_factory=set)


def go_float(value: float) -> str:
    """A float as Go's fmt prints it (%v: the shortest digits, exponent form below 1e-4 and from 1e6)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    number = Decimal(repr(value)).normalize()
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    exp = len(digits) + exponent - 1
    if -4 <= exp < 6:
        return format(number, "f")
    mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def template(value: str, labels: Mapping[str, str], sample: float, unexpanded: set[str]) -> str:
    if "{{" not in value:
        return value
    expanded = _TEMPLATE.sub(lambda m: labels.get(m[1], "") if m[1] else go_float(sample), value)
    if "{{" in expanded:
        unexpanded.add(value)
    return expanded


def alert_labels(name: str, rule_labels: Mapping[str, str], series: Labels, sample: float,
                 unexpanded: set[str]) -> Labels:
    base = {k: v for k, v in series if k != "__name__"}
    labels = dict(base)
    for key, value in rule_labels.items():
        labels[key] = template(value, base, sample, unexpanded)
    labels = {k: v for k, v in labels.items() if v != ""}
    labels["alertname"] = name
    return tuple(sorted(labels.items()))


def by_time(series: Series) -> dict[float, list[tuple[Labels, float]]]:
    """A range query's matrix as the vector of each evaluation."""
    out: dict[float, list[tuple[Labels, float]]] = {}
    for labels, points in series.items():
        for t, v in points:
            out.setdefault(t, []).append((labels, v))
    return out


def replay(name: str, rule_labels: Mapping[str, str], hold: float, keep_firing_for: float,
           series: Series, times: Sequence[float]) -> Replay:
    """Evaluate the alert at each of `times` (ascending) over the range query result `series`."""
    vectors = by_time(series)
    result = Replay()
    active: dict[Labels, _Active] = {}
    started: dict[Labels, float] = {}
    for ts in times:
        present = set()
        for labels, value in vectors.get(ts, ()):
            key = alert_labels(name, rule_labels, labels, value, result.unexpanded)
            present.add(key)
            alert = active.get(key)
            if alert is None or alert.state == "inactive":
                active[key] = _Active("pending", ts)
        for key, alert in list(active.items()):
            if key not in present:
                keep = False
                if alert.state == "firing" and keep_firing_for > 0:
                    if alert.keep_firing_since is None:
                        alert.keep_firing_since = ts
                    keep = ts - alert.keep_firing_since < keep_firing_for
                if not keep:
                    if alert.state == "firing":
                        result.episodes.append(Episode(key, started.pop(key), ts))
                    if alert.state == "pending":
                        del active[key]
                    else:
                        alert.state = "inactive"
                    continue
            else:
                alert.keep_firing_since = None
            if alert.state == "pending" and ts - alert.active_at >= hold:
                alert.state, alert.fired_at = "firing", ts
                started[key] = ts
    result.episodes += [Episode(key, start, None) for key, start in started.items()]
    result.episodes.sort(key=lambda e: (e.start, e.labels))
    return result


def firing_at(episodes: Sequence[Episode], times: Sequence[float]) -> dict[float, set[Labels]]:
    """The label sets firing at each evaluation (what promtool's alert_rule_test reports)."""
    out: dict[float, set[Labels]] = {t: set() for t in times}
    for episode in episodes:
        for t in times:
            if episode.start <= t and (episode.end is None or t < episode.end):
                out[t].add(episode.labels)
    return out
