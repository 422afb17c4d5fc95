"""Generated proofs: promtool unit tests that feed an SLO synthetic traffic at chosen burn rates
and assert exactly which burn-rate alerts fire and which stay silent.

Cases feed the SLO's 5m base series (so they hold for any SLI query) at a constant burn rate:
no traffic, 0.5x, and 10% below and above every alert factor (never at a factor: the alerts
compare with a strict `>`, as Sloth's do, and a case on the boundary would test float rounding).
A window fires iff the burn is above its factor, scaled to the SLO's period. Further cases: a
burn that stopped longer ago than every short window (silent), traffic below `min_event_rate`
(silent), and for latency SLIs the raw histogram in each `le` format (Prometheus 2.x and 3.x).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from obs.model.checks import duration_seconds
from obs.model.environment import Environment
from obs.model.rules import AlertRule, AlertTest, FiringAlert
from obs.model.slo import SLO, BurnRateWindow, LatencySLI, RawSLI, le_values, window_name
from obs.promql import series
from obs.slo.rules import BAD, RAW, TOTAL, description, identity, series_labels

STEPS = 20  # minutes of 1m samples before a case is evaluated
RATE = 10.0  # events per second in the synthetic traffic
_EQ_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"\\]*)"\s*$')


@dataclass(frozen=True)
class Scenario:
    """Synthetic traffic for `minutes` (then evaluated): `burn` x the budget (None: no traffic) at
    `rate` events/s, for the first `burn_minutes` only when set (then error-free traffic)."""

    name: str
    burn: float | None
    rate: float = RATE
    minutes: int = STEPS
    burn_minutes: int | None = None


def _fmt(value: float) -> str:
    return f"{value:.12g}"


def factors(slo: SLO) -> list[float]:
    """Every alert factor of the SLO, scaled to its period."""
    return sorted({w.factor_for(slo.period) for ws in slo.alerting.windows().values() for w in ws})


def burn_levels(slo: SLO) -> list[tuple[str, float]]:
    """(label, burn) pairs: 0.5x and 10% either side of each factor, away from every factor."""
    ceiling = 1 / float(slo.error_budget)  # burn at a 100% error ratio
    levels = [("half the sustainable rate", 0.5)]
    for factor in factors(slo):
        levels.append((f"just below the {factor:g}x threshold", factor * 0.9))
        levels.append((f"just above the {factor:g}x threshold", min(factor * 1.1, (factor + ceiling) / 2)))
    out = []
    for label, burn in levels:
        if abs((burn * 10) % 1 - 0.5) < 0.02:  # keep printf "%.1f" away from a rounding tie
            burn *= 1.01
        if all(abs(burn - f) / f > 0.02 for f in factors(slo)) and all(abs(burn - b) > 1e-9 for _, b in out):
            out.append((f"burn {burn:.4g}x ({label})", burn))
    return out


def scenarios(slo: SLO, windows: Sequence[BurnRateWindow]) -> list[Scenario]:
    """The cases for an alert with `windows`."""
    rate = max(RATE, slo.min_event_rate * 10)
    levels = burn_levels(slo)
    top = max(burn for _, burn in levels)
    # A burn that stopped longer ago than the alert's longest short window must not fire.
    quiet = max(int(duration_seconds(w.short)) // 60 for w in windows) + 10
    cases = [Scenario("no traffic", None, rate)]
    cases += [Scenario(label, burn, rate) for label, burn in levels]
    cases.append(Scenario(f"burn {top:.4g}x that stopped {quiet}m ago", top, rate, STEPS + quiet, STEPS))
    if slo.min_event_rate:
        cases.append(Scenario(f"burn {top:.4g}x on traffic below min_event_rate", top, slo.min_event_rate / 2))
    return cases


def cluster_labels(env: Environment) -> dict[str, str]:
    """The cluster label the input series carry, to prove every rule keeps it."""
    return {env.cluster_label: env.cluster}


def base_series(slo: SLO, env: Environment, case: Scenario) -> dict[str, str]:
    """Input for the 5m base series of a case (in the environment's cluster)."""
    ident = {**identity(slo, env), **cluster_labels(env)}
    budget = float(slo.error_budget)
    steady = f"0+0x{case.minutes}"

    def values(level: float) -> str:
        if case.burn_minutes is None:
            return f"{_fmt(level)}+0x{case.minutes}"
        return f"{_fmt(level)}+0x{case.burn_minutes - 1} 0+0x{case.minutes - case.burn_minutes}"

    if isinstance(slo.sli, RawSLI):
        raw = f"_x{case.minutes}" if case.burn is None else values(case.burn * budget)
        return {series(RAW, **ident): raw}
    if case.burn is None:
        return {series(TOTAL, **ident): steady, series(BAD, **ident): steady}
    return {series(TOTAL, **ident): f"{_fmt(case.rate)}+0x{case.minutes}",
            series(BAD, **ident): values(case.burn * budget * case.rate)}


def fired(slo: SLO, env: Environment, rule: AlertRule, windows: Sequence[BurnRateWindow],
          burn: float, carried: dict[str, str]) -> list[FiringAlert]:
    """The alerts a constant `burn` fires: one per window whose factor it exceeds, with the
    labels `carried` from the input series (the cluster)."""
    out = []
    for window in windows:
        if burn > window.factor_for(slo.period):
            long_, short = window_name(window.long), window_name(window.short)
            labels = {**series_labels(slo, env), **carried, "long_window": long_, "short_window": short}
            labels = {k: v for k, v in labels.items() if k not in rule.static_labels}
            out.append(FiringAlert(labels, description(slo.service, slo.name, f"{burn:.1f}", long_, short)))
    return out


def _firing(case: Scenario, slo: SLO) -> bool:
    return case.burn is not None and case.burn_minutes is None and case.rate >= slo.min_event_rate


def histogram_cases(slo: SLO, env: Environment, rule: AlertRule,
                    windows: Sequence[BurnRateWindow]) -> list[AlertTest]:
    """Latency SLIs: the raw histogram in every `le` spelling fires the alerts alike."""
    sli = slo.sli
    if not isinstance(sli, LatencySLI) or not set(sli.by) <= {env.cluster_label, "cluster"}:
        return []
    labels = {}
    for matcher in (m for m in sli.selector.split(",") if m.strip()):
        match = _EQ_MATCHER.match(matcher)
        if not match:
            return []  # only equality selectors can be synthesised
        labels[match[1]] = match[2]
    carried = cluster_labels(env) if env.cluster_label in sli.by else {}
    labels.update(carried)
    burn = max(b for _, b in burn_levels(slo))
    per_minute = max(RATE, slo.min_event_rate * 10) * 60
    good = per_minute * (1 - burn * float(slo.error_budget))
    cases = []
    for le in le_values(sli.threshold):
        data = {series(f"{sli.metric}_count", **labels): f"0+{_fmt(per_minute)}x{STEPS}",
                series(f"{sli.metric}_bucket", **labels, le=le): f"0+{_fmt(good)}x{STEPS}"}
        cases.append(AlertTest(f"histogram with le=\"{le}\" at burn {burn:.4g}x", data, at=f"{STEPS}m",
                               fires=fired(slo, env, rule, windows, burn, carried)))
    return cases


def proofs(slo: SLO, env: Environment, rule: AlertRule, windows: Sequence[BurnRateWindow]) -> list[AlertTest]:
    """Every generated test case for one of the SLO's alerts."""
    tests = []
    for case in scenarios(slo, windows):
        fires = fired(slo, env, rule, windows, case.burn, cluster_labels(env)) if _firing(case, slo) else []
        tests.append(AlertTest(case.name, base_series(slo, env, case), at=f"{case.minutes}m", fires=fires))
    return tests + histogram_cases(slo, env, rule, windows)
