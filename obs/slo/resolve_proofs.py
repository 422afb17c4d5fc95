"""Resolve-time proofs: promtool cases around the moment each burn-rate window pair starts and
stops alerting, against the SRE workbook's definition of a window (the events of exactly the
last W), plus a steady burn of exactly a threshold.

The expectation is the workbook's arithmetic, not obs's rules: with traffic at a constant rate,
the burn over a window W at time t is the burn of the minutes in (t - W, t] averaged over the
minutes that have traffic. A window pair (long L, short S, factor f) fires while both windows'
burns are above f. So a burn b > f that stops at T stops the pair at T + S(1 - f/b) (the short
window forgets first), and one that starts at T0 on clean traffic fires at T0 + L f/b. The cases
are evaluated one minute either side of those moments, with b chosen so each moment falls in the
middle of a minute: the rules must agree at both, i.e. resolve (and fire) within one evaluation.

Inputs are the SLO's per-minute tile series (obs.slo.rules), so the cases hold for any SLI query;
the tests also feed raw counters through the SLI queries. Cases are independent of proofs.py's
constant-burn model and are meant to be run once per window shape (they need up to L + S of
samples).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from obs.model.checks import duration_seconds
from obs.model.environment import Environment
from obs.model.rules import AlertRule, AlertTest, FiringAlert
from obs.model.slo import SLO, BurnRateWindow, RawSLI, window_name
from obs.promql import series
from obs.slo.rules import BAD, RAW, TOTAL, description, identity, series_labels

RATE = 10.0  # events per second
MARGIN = 1e-4  # a checked burn stays this far (relative) from every factor


def minutes(duration: str) -> int:
    return int(duration_seconds(duration)) // 60


@dataclass(frozen=True)
class Burn:
    """Traffic at RATE from minute 0 to `end_at`; a burn of `burn` x the budget on the minutes in
    (`start`, `stop`], none elsewhere."""

    burn: float
    start: int
    stop: int
    end_at: int

    def at(self, minute: int) -> float:
        return self.burn if self.start < minute <= self.stop else 0.0

    def window(self, t: int, window: str) -> float:
        """The workbook's burn over exactly the last `window` at minute t (minutes with traffic)."""
        held = [self.at(k) for k in range(max(0, t - minutes(window) + 1), t + 1)]
        return sum(held) / len(held)


def fires(burn: Burn, t: int, window: BurnRateWindow, factor: float) -> bool | None:
    """Whether the pair fires at t; None when a window's burn is within MARGIN of the factor."""
    values = [burn.window(t, w) for w in (window.long, window.short)]
    if any(abs(v - factor) <= MARGIN * factor for v in values):
        return None
    return all(v > factor for v in values)


def _in_minute(target: float, offset: float) -> float:
    """`target` moved into its minute at `offset` (0.5: the middle)."""
    return math.floor(target) + offset


def resolve_burn(window: BurnRateWindow, factor: float, ceiling: float, offset: float) -> Burn | None:
    """A burn over the first short window that fired the pair and stops; the pair must stop
    S(1 - f/b) later (the long window, over fewer minutes of traffic than L, stays above f)."""
    short = minutes(window.short)
    b = min(4 * factor, (factor + ceiling) / 2)
    moment = _in_minute(short * (1 - factor / b), offset)
    if moment <= 0.5 or moment >= short:
        return None
    b = factor / (1 - moment / short)  # the stop lands mid-minute
    if b >= ceiling:
        return None
    duration = short  # fills the short window; the long one, over ~2S of traffic, stays above f
    return Burn(b, 0, duration, duration + math.ceil(moment) + 1)


def onset_burn(window: BurnRateWindow, factor: float, ceiling: float, offset: float) -> tuple[Burn, float] | None:
    """A burn after the clean minutes 0..`clean`, and the moment the pair must fire: when the
    long window's burn b x / (clean + 1 + x) passes f (the window holds fewer than L minutes)."""
    long_, short = minutes(window.long), minutes(window.short)
    clean = min(long_ // 2, short // 2)
    moment = short + offset  # the short window is full of burn by then: the long one decides
    b = factor * (1 + (clean + 1) / moment)
    if clean + moment >= long_ or b >= ceiling:
        return None
    return Burn(b, clean, clean + long_, clean + math.ceil(moment) + 1), moment


@dataclass(frozen=True)
class Check:
    """Evaluate at `minute`, where the pair `window` must be `firing`."""

    name: str
    burn: Burn
    minute: int


def checks(slo: SLO, windows: Sequence[BurnRateWindow]) -> list[Check]:
    """For every pair, the minutes either side of its resolve and onset moments, with burns
    placed so that every pair's verdict there is clear and its printed burn not a rounding tie."""
    out = []
    for window in windows:
        for make in (_resolve_checks, _onset_checks):
            for offset in (0.5, 0.4, 0.6, 0.3, 0.7):
                found = make(slo, window, offset)
                if found and all(_decided(slo, windows, c) for c in found):
                    out.extend(found)
                    break
    return out


def _resolve_checks(slo: SLO, window: BurnRateWindow, offset: float) -> list[Check]:
    factor = window.factor_for(slo.period)
    burn = resolve_burn(window, factor, 1 / float(slo.error_budget), offset)
    if burn is None:
        return []
    pair = f"{window_name(window.long)}/{window_name(window.short)}"
    moment = minutes(window.short) * (1 - factor / burn.burn)
    return [Check(f"{pair}: burn {burn.burn:.4g}x stopped {minute}m ago; the workbook window resolves it after "
                  f"{moment:.4g}m, so it {state}", burn, burn.stop + minute)
            for minute, state in ((math.floor(moment), "still fires"), (math.ceil(moment), "has resolved"))]


def _onset_checks(slo: SLO, window: BurnRateWindow, offset: float) -> list[Check]:
    onset = onset_burn(window, window.factor_for(slo.period), 1 / float(slo.error_budget), offset)
    if onset is None:
        return []
    burn, moment = onset
    pair = f"{window_name(window.long)}/{window_name(window.short)}"
    return [Check(f"{pair}: burn {burn.burn:.4g}x started {minute}m ago after {burn.start + 1}m of clean traffic; "
                  f"the workbook window fires after {moment:.4g}m, so it {state}", burn, burn.start + minute)
            for minute, state in ((math.floor(moment), "is silent"), (math.ceil(moment), "fires"))]


def _decided(slo: SLO, windows: Sequence[BurnRateWindow], check: Check) -> bool:
    for window in windows:
        if fires(check.burn, check.minute, window, window.factor_for(slo.period)) is None:
            return False
        if _tie(check.burn.window(check.minute, window.long)):
            return False
    return True


def tile_series(slo: SLO, env: Environment, burn: Burn, cluster: dict[str, str]) -> dict[str, str]:
    """promtool input for the SLO's tile series: one sample a minute up to the case's end."""
    budget = float(slo.error_budget)
    ident = {**identity(slo, env), **cluster}
    burns = [burn.at(k) for k in range(burn.end_at + 1)]
    if isinstance(slo.sli, RawSLI):
        return {series(RAW, **ident): _runs([b * budget for b in burns])}
    return {series(TOTAL, **ident): f"{RATE:g}+0x{burn.end_at}",
            series(BAD, **ident): _runs([b * budget * RATE for b in burns])}


def _runs(values: Sequence[float]) -> str:
    """promtool values, runs of equal values compressed."""
    out: list[list[float]] = []
    for value in values:
        if out and out[-1][0] == value:
            out[-1][1] += 1
        else:
            out.append([value, 1])
    return " ".join(f"{v:.12g}+0x{int(n) - 1}" for v, n in out)


def resolve_proofs(slo: SLO, env: Environment, rule: AlertRule, windows: Sequence[BurnRateWindow]) -> list[AlertTest]:
    """The resolve and onset cases of one alert: at each checked minute, every window pair of the
    alert fires exactly when the workbook's windows say."""
    cluster = {env.cluster_label: env.sample_cluster}
    tests = []
    for check in checks(slo, windows):
        expected: list[FiringAlert] = []
        for window in windows:
            if fires(check.burn, check.minute, window, window.factor_for(slo.period)):
                long_, short = window_name(window.long), window_name(window.short)
                burn = check.burn.window(check.minute, window.long)
                labels = {**series_labels(slo, env), **cluster, "long_window": long_, "short_window": short}
                expected.append(FiringAlert({k: v for k, v in labels.items() if k not in rule.static_labels},
                                            description(slo.service, slo.name, f"{burn:.1f}", long_, short)))
        tests.append(AlertTest(check.name, tile_series(slo, env, check.burn, cluster), at=f"{check.minute}m",
                               fires=expected))
    return tests


def _tie(value: float) -> bool:
    """Whether printf "%.1f" of `value` is too close to a rounding tie to predict."""
    return abs((value * 10) % 1 - 0.5) < 0.01
