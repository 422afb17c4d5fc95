"""`obs backtest`: the changed (or named) alerting rules of one environment replayed over history,
old and new side by side, through the Prometheus HTTP API.

Each rule's expression is evaluated with one range query (split to stay under Prometheus' points limit)
at its group's evaluation interval (or a coarser --step), and the results go through Prometheus' alert
state machine (obs.review.alertstate). For SLOs whose objective or period changed, the budget the range
consumed is computed from the SLI series the SLO rules record, under the old and the new objective.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from obs.errors import ObsError
from obs.model.checks import duration_seconds, format_duration
from obs.progress import progress
from obs.review.alertstate import Episode, replay
from obs.review.prometheus import Prometheus
from obs.review.semantics import PROMETHEUS_RULES, Alert, Scope, Slo

WEEK = 7 * 86400
PAGING = {("severity", "critical"), ("severity", "page"), ("slo_severity", "page")}


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    default_interval: float = 60.0  # Prometheus' global evaluation_interval default
    step: float | None = None  # coarser than the rule's interval: cheaper, less exact


@dataclass
class Side:
    label: str
    rule: Alert | None
    step: float = 0.0
    episodes: list[Episode] = field(default_factory=list)
    unexpanded: list[str] = field(default_factory=list)

    def firing_seconds(self, end: float) -> float:
        return sum(e.duration(end) for e in self.episodes)

    def pages(self) -> int:
        return sum(1 for e in self.episodes if set(e.labels) & PAGING)


@dataclass
class AlertResult:
    name: str
    base: Side
    head: Side


@dataclass
class SloResult:
    name: str
    base: Slo | None
    head: Slo | None
    error_ratio: float | None  # over the range, from the recorded SLI series

    def consumed(self, slo: Slo | None, range_seconds: float) -> float | None:
        """Share of the period's error budget the range used (traffic assumed steady over the period)."""
        if slo is None or self.error_ratio is None or slo.objective >= 1:
            return None
        return self.error_ratio * (range_seconds / (slo.period_days * 86400)) / (1 - slo.objective)


@dataclass
class Backtest:
    scope: str
    url: str
    window: Window
    base_label: str
    head_label: str
    alerts: list[AlertResult]
    slos: list[SloResult]
    queries: int = 0


def pick_scope(scopes: Mapping[str, Scope], env: str | None) -> str:
    """The one scope a Prometheus serves: --env NAME (or NAME/clusters/CLUSTER), needed when there are several."""
    if env is not None:
        if env not in scopes:
            raise ObsError(f"--env {env!r} is not in the build (fix: one of {', '.join(sorted(scopes))})")
        return env
    if len(scopes) != 1:
        raise ObsError(f"the build has {len(scopes)} environments or clusters (fix: pass --env, one of "
                       f"{', '.join(sorted(scopes))}: the one whose Prometheus --prometheus is)")
    return next(iter(scopes))


def _evaluated(scope: Scope) -> dict[str, Alert]:
    return {k: a for k, a in scope.alerts.items() if PROMETHEUS_RULES.search(a.file)}


def chosen_alerts(before: Scope, after: Scope, names: Sequence[str]) -> list[str]:
    """The alerts named (by name or key), else those whose rule differs between the two sides."""
    old, new = _evaluated(before), _evaluated(after)
    keys = sorted(set(old) | set(new))
    if names:
        slos = set(before.slos) | set(after.slos)
        unknown = [n for n in names if n not in slos and not any(n in (k, (old.get(k) or new[k]).name) for k in keys)]
        if unknown:
            raise ObsError(f"--rule {', '.join(unknown)}: no such alert or SLO in either build (fix: one of "
                           f"{', '.join(sorted({(old.get(k) or new[k]).name for k in keys} | slos))})")
        return [k for k in keys if any(n in (k, (old.get(k) or new[k]).name) for n in names)]
    return [k for k in keys if _behaviour(old.get(k)) != _behaviour(new.get(k))]


def _behaviour(alert: Alert | None) -> tuple[object, ...] | None:
    """What decides when an alert fires and with which labels (not its annotations or file)."""
    if alert is None:
        return None
    return alert.expr, alert.for_, alert.keep_firing_for, alert.interval, tuple(sorted(alert.labels.items()))


def chosen_slos(before: Scope, after: Scope, names: Sequence[str]) -> list[str]:
    keys = sorted(set(before.slos) | set(after.slos))
    if names:
        return [k for k in keys if k in names]
    return [k for k in keys if before.slos.get(k) != after.slos.get(k)]


def _times(window: Window, step: float) -> list[float]:
    first, last = math.ceil(window.start / step) * step, math.floor(window.end / step) * step
    return [first + i * step for i in range(int(round((last - first) / step)) + 1)] if last >= first else []


def run(prometheus: Prometheus, before: Scope, after: Scope, labels: tuple[str, str], window: Window,
        names: Sequence[str] = ()) -> Backtest:
    """Replay the chosen alerts of both sides (one query per distinct expression and step)."""
    alerts, slos = chosen_alerts(before, after, names), chosen_slos(before, after, names)
    old, new = _evaluated(before), _evaluated(after)
    cache: dict[tuple[str, float], Any] = {}
    results = []
    with progress("obs backtest", total=2 * len(alerts) + len(slos)) as step:
        for key in alerts:
            sides = []
            for label, rule in ((labels[0], old.get(key)), (labels[1], new.get(key))):
                side = Side(label, rule)
                if rule is not None:
                    interval = duration_seconds(rule.interval) if rule.interval else window.default_interval
                    side.step = max(interval, window.step or 0)
                    times = _times(window, side.step)
                    if (rule.expr, side.step) not in cache and times:
                        cache[(rule.expr, side.step)] = prometheus.query_range(
                            rule.expr, times[0], times[-1], side.step, f"the expression of alert {rule.name}")
                    replayed = replay(rule.name, rule.labels, duration_seconds(rule.for_),
                                      duration_seconds(rule.keep_firing_for), cache.get((rule.expr, side.step), {}),
                                      times)
                    side.episodes, side.unexpanded = replayed.episodes, sorted(replayed.unexpanded)
                step.advance(note=f"{key} ({label})")
                sides.append(side)
            results.append(AlertResult(key, sides[0], sides[1]))
        slo_results = []
        for key in slos:
            slo_results.append(SloResult(key, before.slos.get(key), after.slos.get(key),
                                         _error_ratio(prometheus, (after.slos.get(key) or before.slos[key]), window)))
            step.advance(note=key)
    return Backtest(after.name, prometheus.url, window, labels[0], labels[1], results, slo_results, prometheus.requests)


def _error_ratio(prometheus: Prometheus, slo: Slo, window: Window) -> float | None:
    selector = f'{{slo_service="{slo.service}", slo_name="{slo.name}"}}'
    span = format_duration(window.end - window.start)
    expr = (f"sum(sum_over_time(slo:sli_bad_events:rate1m{selector}[{span}]))"
            f" / sum(sum_over_time(slo:sli_total_events:rate1m{selector}[{span}]))")
    got = prometheus.query(expr, window.end, f"the error ratio of SLO {slo.service}/{slo.name}")
    return got[0][1] if got and not math.isnan(got[0][1]) else None
