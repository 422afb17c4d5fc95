"""Generated proofs: promtool unit tests that feed an SLO synthetic traffic at chosen burn rates
and assert exactly which burn-rate alerts fire and which stay silent.

Cases feed the SLO's 5m base series (so they hold for any SLI query), one sample a minute:
- no traffic; a constant burn of 0.5x and 10% below and above every alert factor (never at a
  factor: the alerts compare with a strict `>`, as Sloth's do, and a case on the boundary would
  test float rounding); traffic below `min_event_rate`;
- per window, the two halves of "multi-window": a burn that stopped just longer ago than the
  short window while the long window still averages above the factor (the short window must
  hold the alert back), and a burn that started just longer ago than the short window on top
  of clean traffic that keeps the long window below the factor (the long window must hold it
  back). Without these a rule that dropped or shortened either window would pass;
- every burn case also feeds a second cluster with error-free traffic: each cluster alerts on
  its own ratio, so a rule that mixes clusters fails;
- for latency SLIs, the raw histogram in each `le` format (Prometheus 2.x and 3.x).

Expectations come from a small model of the rules (`seen`): a window's error ratio is the
traffic-weighted mean of the per-minute burns its range selection holds. Prometheus 2.x ranges
include the sample at the left edge and 3.x's do not; a case is only kept when both readings
agree, away from the factors and from a rounding tie in the description's "%.1f". The model
reads the ratios of the evaluation itself, so the test files fix the group order (SLI, metadata,
alerts: `group_eval_order`); a live Prometheus may alert one evaluation later.
"""
from __future__ import annotations

import functools
import math
import re
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from dataclasses import dataclass
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping, Sequence

from obs.model.checks import duration_seconds
from obs.model.environment import Environment
from obs.model.rules import AlertRule, AlertTest, FiringAlert
from obs.model.samples import preferred as owned
from obs.model.slo import BASE_WINDOW, SLO, BurnRateWindow, LatencySLI, RawSLI, le_values, window_name
from obs.promql import label_set, series
from obs.slo.series import BAD, RAW, TOTAL, description, identity, series_labels, window_labels

STEPS = 20  # minutes of 1m samples before a constant-burn case is evaluated
RATE = 10.0  # events per second in the synthetic traffic
MARGIN = 0.2  # window cases keep every window's burn 20% away from its factor
_EQ_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"\\]*)"\s*\Z')


@dataclass(frozen=True)
class Scenario:
    """Synthetic traffic: one burn (x the budget) per minute sample, at `rate` events/s, evaluated
    at the last sample; `burns` None is no traffic. `peer` also feeds a second cluster with
    error-free traffic."""

    name: str
    burns: tuple[float, ...] | None
    rate: float = RATE
    peer: bool = False
    samples: int = STEPS + 1

    @property
    def minutes(self) -> int:
        return (len(self.burns) if self.burns is not None else self.samples) - 1


def _fmt(value: float) -> str:
    return f"{value:.12g}"


@lru_cache(maxsize=None)
def _minutes(duration: str) -> int:
    return int(duration_seconds(duration)) // 60


@lru_cache(maxsize=None)
def _name(window: str) -> str:
    return window_name(window)


def _is_base(window: str) -> bool:
    return _name(window) == BASE_WINDOW


@lru_cache(maxsize=4096)
def _factor(window: BurnRateWindow, period: str) -> float:
    return window.factor_for(period)


def _windows(slo: SLO) -> tuple[BurnRateWindow, ...]:
    return tuple(w for ws in slo.alerting.windows().values() for w in ws)


@lru_cache(maxsize=4096)
def _factors(period: str, windows: tuple[BurnRateWindow, ...]) -> tuple[float, ...]:
    return tuple(sorted({_factor(w, period) for w in windows}))


def factors(slo: SLO) -> list[float]:
    """Every alert factor of the SLO, scaled to its period."""
    return list(_factors(slo.period, _windows(slo)))


def _tie(value: float) -> bool:
    """Whether printf "%.1f" of `value` is too close to a rounding tie to predict."""
    return abs((value * 10) % 1 - 0.5) < 0.02


def burn_levels(slo: SLO) -> list[tuple[str, float]]:
    """(label, burn) pairs: 0.5x and 10% either side of each factor, away from every factor."""
    return list(_burn_levels(float(slo.error_budget), _factors(slo.period, _windows(slo))))


@lru_cache(maxsize=4096)
def _burn_levels(budget: float, all_factors: tuple[float, ...]) -> tuple[tuple[str, float], ...]:
    ceiling = 1 / budget  # burn at a 100% error ratio
    levels = [("half the sustainable rate", 0.5)]
    for factor in all_factors:
        levels.append((f"just below the {factor:g}x threshold", factor * 0.9))
        levels.append((f"just above the {factor:g}x threshold", min(factor * 1.1, (factor + ceiling) / 2)))
    out: list[tuple[str, float]] = []
    for label, burn in levels:
        if _tie(burn):
            burn *= 1.01
        if all(abs(burn - f) / f > 0.02 for f in all_factors) and all(abs(burn - b) > 1e-9 for _, b in out):
            out.append((f"burn {burn:.4g}x ({label})", burn))
    return tuple(out)


def seen(burns: Sequence[float], window: str, left_closed: bool) -> float:
    """The burn a window's ratio shows at the last sample (constant traffic): the base window is
    the last sample itself; longer windows average the samples their range holds (2.x ranges
    hold the left edge, `left_closed`; 3.x ranges do not)."""
    if _is_base(window):
        return burns[-1]
    held = burns[-(_minutes(window) + (1 if left_closed else 0)):]
    return sum(held) / len(held)


def window_burns(burns: Sequence[float], window: BurnRateWindow) -> tuple[float, float] | None:
    """(long, short) burns of a window, or None when 2.x and 3.x range semantics could disagree
    on the value printed in the description."""
    readings = [(seen(burns, window.long, closed), seen(burns, window.short, closed)) for closed in (True, False)]
    if any(_tie(long_) for long_, _ in readings) or len({f"{long_:.1f}" for long_, _ in readings}) > 1:
        return None
    return readings[0]


@lru_cache(maxsize=8192)
def _firing_windows(period: str, windows: tuple[BurnRateWindow, ...],
                    burns: tuple[float, ...]) -> tuple[tuple[BurnRateWindow, float], ...] | None:
    out = []
    for window in windows:
        factor = _factor(window, period)
        verdicts = set()
        for closed in (True, False):
            values = [seen(burns, w, closed) for w in (window.long, window.short)]
            if any(v < 0.98 * factor for v in values):
                verdicts.add(False)
            elif all(v > 1.02 * factor for v in values):
                verdicts.add(True)
            else:
                return None
        if verdicts == {True}:
            burn = window_burns(burns, window)
            if burn is None:
                return None
            out.append((window, burn[0]))
        elif verdicts != {False}:
            return None
    return tuple(out)


def window_cases(slo: SLO, windows: Sequence[BurnRateWindow], rate: float) -> list[Scenario]:
    """Per window, a case where only the short window and one where only the long window keeps
    the alert from firing (each burn at least MARGIN away from the factor)."""
    ceiling = 1 / float(slo.error_budget)
    above, below = 1 + MARGIN, 1 - MARGIN
    cases = []
    for window in windows:
        factor = _factor(window, slo.period)
        long_, short = _name(window.long), _name(window.short)
        held = _minutes(window.short) + 2  # samples that fill the short window in 2.x and 3.x
        burn = min(10 * factor, (factor + ceiling) / 2)
        if burn > above * factor:  # burned long enough to lift the long window, stopped `held` ago
            before = math.ceil(above * factor * held / (burn - above * factor)) + 1
            burns = (burn,) * before + (0.0,) * held
            if _shows(burns, window, factor, long_high=True):
                cases.append(Scenario(f"{long_}/{short}: burn {burn:.4g}x for {before}m that stopped {held}m ago "
                                      "(the short window holds it back)", burns, rate, peer=True))
        burn = min((above + 0.1) * factor, (factor + ceiling) / 2)
        if burn > above * factor:  # burning for `held` minutes after clean traffic
            before = math.ceil(held * (burn / (below * factor) - 1)) + 1
            burns = (0.0,) * before + (burn,) * held
            if _shows(burns, window, factor, long_high=False):
                cases.append(Scenario(f"{long_}/{short}: burn {burn:.4g}x for the last {held}m after {before}m "
                                      "without errors (the long window holds it back)", burns, rate, peer=True))
    return cases


def _shows(burns: Sequence[float], window: BurnRateWindow, factor: float, long_high: bool) -> bool:
    """Whether, in 2.x and 3.x alike, one of the window's ratios is above the factor by MARGIN
    and the other below it by MARGIN (the long one above when `long_high`)."""
    for closed in (True, False):
        long_, short = seen(burns, window.long, closed), seen(burns, window.short, closed)
        high, low = (long_, short) if long_high else (short, long_)
        if not (high > (1 + MARGIN) * factor and low < (1 - MARGIN) * factor):
            return False
    return True


def scenarios(slo: SLO, windows: Sequence[BurnRateWindow]) -> list[Scenario]:
    """The cases for an alert with `windows`."""
    rate = max(RATE, slo.min_event_rate * 10)
    levels = burn_levels(slo)
    top = max(burn for _, burn in levels)
    constant = STEPS + 1
    cases = [Scenario("no traffic", None, rate)]
    cases += [Scenario(label, (burn,) * constant, rate, peer=True) for label, burn in levels]
    if slo.min_event_rate:
        cases.append(Scenario(f"burn {top:.4g}x on traffic below min_event_rate", (top,) * constant,
                              slo.min_event_rate / 2))
    return cases + window_cases(slo, windows, rate)


def cluster_labels(env: Environment) -> dict[str, str]:
    """The cluster label the input series carry, to prove every rule keeps it."""
    return {env.cluster_label: env.sample_cluster}


def peer_labels(env: Environment) -> dict[str, str]:
    """A second cluster, with error-free traffic, that must never alert."""
    return {env.cluster_label: f"{env.sample_cluster}-peer"}


def _values(levels: Sequence[float]) -> str:
    """promtool values for one sample a minute, runs of equal values compressed."""
    runs: list[list[float]] = []
    for level in levels:
        if runs and runs[-1][0] == level:
            runs[-1][1] += 1
        else:
            runs.append([level, 1])
    return " ".join(f"{_fmt(value)}+0x{int(count) - 1}" for value, count in runs)


def base_series(slo: SLO, env: Environment, case: Scenario) -> dict[str, str]:
    """Input for the 5m base series of a case: the environment's cluster at the case's burns, and
    with `peer` a second cluster at the same traffic without errors."""
    out: dict[str, str] = {}
    clusters = [(cluster_labels(env), case.burns)]
    if case.peer and case.burns is not None:
        clusters.append((peer_labels(env), (0.0,) * len(case.burns)))
    for cluster, burns in clusters:
        out.update(_cluster_series(slo, env, cluster, burns, case.rate, case.minutes))
    return out


def _cluster_series(slo: SLO, env: Environment, cluster: dict[str, str], burns: Sequence[float] | None,
                    rate: float, minutes: int) -> dict[str, str]:
    """The 5m base series of one cluster at `burns` (None: no traffic)."""
    ident = {**identity(slo, env), **cluster}
    return {series(metric, **ident): values for metric, values in _cluster_values(slo, burns, rate, minutes)}


def _cluster_values(slo: SLO, burns: Sequence[float] | None, rate: float, minutes: int) -> list[tuple[str, str]]:
    """(base series, values) of one cluster at `burns` (None: no traffic): the same for every SLO
    of a budget and SLI kind."""
    budget = float(slo.error_budget)
    if isinstance(slo.sli, RawSLI):
        return [(RAW, f"_x{minutes}" if burns is None else _values([b * budget for b in burns]))]
    if burns is None:
        return [(TOTAL, f"0+0x{minutes}"), (BAD, f"0+0x{minutes}")]
    return [(TOTAL, f"{_fmt(rate)}+0x{minutes}"), (BAD, _values([b * budget * rate for b in burns]))]


Firing = tuple[tuple[str, str, str], ...]  # (long, short, burn "%.1f") of each window that fires


def fired(slo: SLO, env: Environment, rule: AlertRule, windows: Sequence[BurnRateWindow],
          burns: Sequence[float], carried: dict[str, str], check: bool = False) -> list[FiringAlert] | None:
    """The alerts the model fires for `burns`, with the labels `carried` from the input series
    (the cluster); None when the case is too close to call. `check` when `carried` holds label
    names the SLO did not validate (a latency SLI's `by`)."""
    firing = _firing(slo.period, tuple(windows), tuple(burns))
    return None if firing is None else _alerts(slo, series_labels(slo, env), rule, carried, firing, check)


@lru_cache(maxsize=8192)
def _firing(period: str, windows: tuple[BurnRateWindow, ...], burns: tuple[float, ...]) -> Firing | None:
    """The windows that fire for `burns`, as the alerts show them (the same for every SLO of a
    shape)."""
    found = _firing_windows(period, windows, burns)
    if found is None:
        return None
    return tuple((_name(w.long), _name(w.short), f"{burn:.1f}") for w, burn in found)


def _alerts(slo: SLO, labels: Mapping[str, str], rule: AlertRule, carried: Mapping[str, str],
            firing: Firing, check: bool = False) -> list[FiringAlert]:
    """The expected alerts of the windows that fire: the SLO's series `labels`, those `carried`
    from the input and the windows', less the rule's own (obs adds them). Built unchecked
    (FiringAlert.generated: every label comes from the validated SLO and environment) unless
    `check`."""
    if not firing:  # (most clusters of a selection case)
        return []
    static = rule.static_labels
    base = {k: v for k, v in {**labels, **carried}.items() if k not in static}
    make = FiringAlert if check else FiringAlert.generated
    out = []
    for long_, short, burn in firing:
        windows = {k: v for k, v in window_labels(long_, short).items() if k not in static}
        out.append(make({**base, **windows}, description(slo.service, slo.name, burn, long_, short)))
    return out


def histogram_cases(slo: SLO, env: Environment, rule: AlertRule,
                    windows: Sequence[BurnRateWindow], steps: int = STEPS) -> list[AlertTest]:
    """Latency SLIs: the raw histogram in every `le` spelling fires the alerts alike."""
    sli = slo.sli
    if not isinstance(sli, LatencySLI):
        return []
    labels = {}
    for matcher in (m for m in sli.selector.split(",") if m.strip()):
        match = _EQ_MATCHER.match(matcher)
        if not match:
            return []  # only equality selectors can be synthesised
        labels[match[1]] = match[2]
    # Every `by` label the SLI keeps (e.g. namespace) gets a sample value the alerts must carry.
    # The owner's real value where one is known (obs.model.team), else the label's name.
    carried = {**{label: next(iter(owned(label)), label) for label in sli.by},
               **(cluster_labels(env) if env.cluster_label in sli.by else {})}
    labels.update(carried)
    burn = max(b for _, b in burn_levels(slo))
    per_minute = max(RATE, slo.min_event_rate * 10) * 60
    good = per_minute * (1 - burn * float(slo.error_budget))
    # The `by` labels are the user's, which the SLI does not check: the expected alerts do.
    fires = fired(slo, env, rule, windows, (burn,) * (steps + 1), carried, check=True) or []
    cases = []
    for le in le_values(sli.threshold):
        data = {series(f"{sli.metric}_count", **labels): f"0+{_fmt(per_minute)}x{steps}",
                series(f"{sli.metric}_bucket", **labels, le=le): f"0+{_fmt(good)}x{steps}"}
        cases.append(AlertTest.generated(f"histogram with le=\"{le}\" at burn {burn:.4g}x", data, at=f"{steps}m",
                                         fires=fires))
    return cases


def _tests(slo: SLO, env: Environment, rule: AlertRule, windows: Sequence[BurnRateWindow],
           cases: Sequence[Scenario]) -> list[AlertTest]:
    """The cases as promtool tests, expectations from the model (cases too close to call dropped)."""
    tests = []
    for case in cases:
        fires: list[FiringAlert] | None = []
        if case.burns is not None and case.rate >= slo.min_event_rate:
            fires = fired(slo, env, rule, windows, case.burns, cluster_labels(env))
        if fires is not None:
            tests.append(AlertTest.generated(case.name, base_series(slo, env, case), at=f"{case.minutes}m",
                                             fires=fires))
    return tests


def full_proof(slo: SLO, env: Environment, rule: AlertRule, windows: Sequence[BurnRateWindow]) -> list[AlertTest]:
    """Every generated case for one of the SLO's alerts: the burn-rate proof of its rule shape."""
    return _tests(slo, env, rule, windows, scenarios(slo, windows)) + histogram_cases(slo, env, rule, windows)


SELECTION_SAMPLES = 7  # constant burns read alike in every window after a few samples


def _below_lowest(slo: SLO) -> list[float]:
    """Per severity, the burn level just below its lowest factor (silent for that alert)."""
    levels = [burn for _, burn in burn_levels(slo)]
    out = set()
    for windows in slo.alerting.windows().values():
        lowest = min(_factor(w, slo.period) for w in windows)
        below = [burn for burn in levels if burn < lowest * 0.98]
        if below:
            out.add(max(below))
    return sorted(out)


def selection_cases(slo: SLO, env: Environment, rule: AlertRule,
                    windows: Sequence[BurnRateWindow]) -> list[AlertTest]:
    """For an SLO whose rule shape another SLO proves in full: one case, shared by all its alerts,
    in which the environment's cluster burns just above every factor (each window of each alert
    fires, with this SLO's labels), a second cluster burns nothing, and one more cluster per
    severity burns just below that severity's lowest factor. It proves this SLO's rules read this
    SLO's series, keep clusters apart, and put each threshold between those burns."""
    plan = _selection_plan(slo, env)
    if plan is None:
        return []
    labels, series_in, silent, name, selection = plan
    fires: list[FiringAlert] = []
    for cluster, firing in selection.fires(tuple(windows)):
        if firing is None:
            return []
        fires += _alerts(slo, labels, rule, cluster, firing)
    return [silent, AlertTest.generated(name, series_in, at=f"{SELECTION_SAMPLES - 1}m", fires=fires)]


@dataclass(frozen=True)
class Selection:
    """What the selection case of an SLO shares with every SLO of the same burn levels, windows,
    traffic floor and SLI kind (`_selection`): the clusters and their burns, each cluster's input
    values per base series, and the case's name. Only the SLO's identity labels differ, so this is
    worked out once per shape and the labels filled in per SLO (`_selection_plan`)."""

    clusters: tuple[tuple[dict[str, str], float], ...]
    inputs: tuple[tuple[dict[str, str], tuple[tuple[str, str], ...]], ...]  # cluster labels, (base series, values)
    name: str
    period: str
    alerts: tuple[tuple[BurnRateWindow, ...], ...]  # the windows of each of the shape's alerts

    def fires(self, windows: tuple[BurnRateWindow, ...]) -> tuple[tuple[dict[str, str], Firing | None], ...]:
        """Per cluster, the windows of an alert that fire (None: too close to call)."""
        for alert, found in zip(self.alerts, self._fires, strict=True):
            if alert == windows:
                return found
        return self._fires_of(windows)

    @cached_property
    def _fires(self) -> tuple[tuple[tuple[dict[str, str], Firing | None], ...], ...]:
        return tuple(self._fires_of(windows) for windows in self.alerts)

    def _fires_of(self, windows: tuple[BurnRateWindow, ...]) -> tuple[tuple[dict[str, str], Firing | None], ...]:
        return tuple((labels, _firing(self.period, windows, (burn,) * SELECTION_SAMPLES))
                     for labels, burn in self.clusters)


def _selection_plan(slo: SLO, env: Environment) -> tuple[Mapping[str, str], Mapping[str, str], AlertTest, str,
                                                          Selection] | None:
    """The SLO's series labels, the input series of its selection case, the case without traffic
    yet, the name of the case with it and its shape's Selection (the same for every alert of the
    SLO: worked out once per SLO within `once_per_shape`)."""
    proved = _proved.get()
    key = ("selection", slo.service, slo.name, env.name)
    if proved is not None and key in proved:
        return proved[key]
    selection = _selection(slo, env)
    plan = None
    if selection is not None:
        ident = identity(slo, env)
        series_in: dict[str, str] = {}
        for cluster, inputs in selection.inputs:
            label_text = label_set({**ident, **cluster})
            series_in.update((metric + label_text, values) for metric, values in inputs)
        plan = (series_labels(slo, env), MappingProxyType(series_in),
                AlertTest.generated("no traffic yet", series_in, at="0m"),
                selection.name, selection)
    if proved is not None:
        proved[key] = plan
    return plan


def _selection(slo: SLO, env: Environment) -> Selection | None:
    """The Selection of the SLO's shape (None: no burn is above every factor), once per shape
    within `once_per_shape`."""
    proved = _proved.get()
    key = ("selection shape", isinstance(slo.sli, RawSLI), slo.error_budget, slo.period, slo.min_event_rate,
           slo.alerting.page_windows, slo.alerting.ticket_windows, env.cluster_label, env.sample_cluster)
    if proved is not None and key in proved:
        return proved[key]
    factors_all = factors(slo)
    above = [burn for _, burn in burn_levels(slo) if burn > max(factors_all) * 1.02]
    found = None
    if above:
        rate = max(RATE, slo.min_event_rate * 10)
        minutes = SELECTION_SAMPLES - 1
        clusters = [(cluster_labels(env), min(above)), (peer_labels(env), 0.0)]
        clusters += [({env.cluster_label: f"{env.sample_cluster}-below{i}"}, burn)
                     for i, burn in enumerate(_below_lowest(slo), 1)]
        inputs = []
        for labels, burn in clusters:
            # The first sample has no traffic: nothing may fire then (ratios need traffic), and
            # since ratios weigh samples by traffic, every window later reads exactly `burn`.
            burns = (burn,) * SELECTION_SAMPLES
            inputs.append((labels, tuple((metric, ("_ " if metric == RAW else "0 ") + values) for metric, values in
                                         _cluster_values(slo, burns[1:], rate, minutes - 1))))
        name = "own series: " + ", ".join(f"{labels[env.cluster_label]} at {burn:.4g}x" for labels, burn in clusters)
        found = Selection(tuple(clusters), tuple(inputs), name, slo.period,
                          tuple(tuple(ws) for ws in slo.alerting.windows().values()))
    if proved is not None:
        proved[key] = found
    return found


def shape(slo: SLO, rule: AlertRule, windows: Sequence[BurnRateWindow]) -> tuple:
    """What the burn-rate proof of an alert depends on: the SLI kind, objective, period, windows,
    traffic floor, and the label names that change the rules' vector matching."""
    sli = slo.sli
    latency = (sli.threshold, sli.by) if isinstance(sli, LatencySLI) else None
    return (sli.kind, str(slo.objective), slo.period, tuple(windows), slo.min_event_rate, latency,
            tuple(sorted(slo.labels)), tuple(sorted(rule.labels)), rule.severity)


_proved: ContextVar[dict[tuple, Any] | None] = ContextVar("obs_slo_proved_shapes", default=None)


@contextmanager
def once_per_shape() -> Iterator[None]:
    """Within this block, the first SLO of each rule shape gets the full proof and the others
    the cases that show their rules select their own series (see `proofs`)."""
    token = _proved.set({})
    try:
        yield
    finally:
        _proved.reset(token)


def proofs(slo: SLO, env: Environment, rule: AlertRule, windows: Sequence[BurnRateWindow]) -> list[AlertTest]:
    """The generated test cases of one of the SLO's alerts. Outside `once_per_shape()`, or for the
    first SLO of its shape inside it: the full proof. Otherwise the selection cases, plus (latency
    SLIs) the raw histogram in one `le` spelling, which proves the SLO's own query selects it."""
    return deferred_proofs(slo, env, rule, windows)()


def deferred_proofs(slo: SLO, env: Environment, rule: AlertRule,
                    windows: Sequence[BurnRateWindow]) -> Callable[[], list[AlertTest]]:
    """`proofs`, to be made later (AlertRule.with_deferred_tests): which SLO proves its shape in
    full is decided now, in definition order, and the maker runs in a copy of this context (the
    shape caches of `once_per_shape`, the preferred label values), so the cases are the same
    whenever, and in whichever process, they are made."""
    proved = _proved.get()
    make = full_proof
    if proved is not None and proved.setdefault(shape(slo, rule, windows), (slo.service, slo.name)) != \
            (slo.service, slo.name):
        make = _selection_proof
    return functools.partial(copy_context().run, make, slo, env, rule, windows)


def _selection_proof(slo: SLO, env: Environment, rule: AlertRule, windows: Sequence[BurnRateWindow]) -> list[AlertTest]:
    """The proof of an SLO whose shape another proves in full (see `proofs`)."""
    return selection_cases(slo, env, rule, windows) + \
        histogram_cases(slo, env, rule, windows, steps=SELECTION_SAMPLES - 1)[:1]
