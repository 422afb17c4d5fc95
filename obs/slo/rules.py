"""SLO -> Prometheus rules: SLI recording rules, metadata rules and burn-rate alerts.

How windows are computed (exact windows)
----------------------------------------
Each SLO records two series per one-minute tile from its own queries, in a group evaluated every
tile (`interval: 1m`): the bad-event rate and the total-event rate (`slo:sli_bad_events:rate1m`,
`slo:sli_total_events:rate1m`). The queries read `[1m + scrape_interval]`: the first and last
samples in that range are exactly one tile apart, so consecutive tiles measure consecutive
minutes of the counters, without gaps or overlap. A window W is then

    sum_over_time(bad_rate1m[W - 30s]) / sum_over_time(total_rate1m[W - 30s])

the W/1m most recent tiles, i.e. the events of exactly the last W: a ratio of sums, weighted by
traffic (a quiet night cannot outvote a busy day; Sloth's 30d rule averages 5m ratios). The range
is half a tile short of W so that Prometheus 2.x (ranges closed on the left) and 3.x (open) read
the same tiles. An alert therefore resolves within one evaluation of the workbook's window of
exactly W (proved by obs.slo.resolve_proofs), where a 5m rate summed over W read W+5m. Reads stay
cheap: one small pre-aggregated series per window instead of re-running `rate()` over every raw
series for 30 days, and the raw series are read over 90s instead of 5m. Raw SLIs have no event
counts: their windows average the per-tile ratio (approximate, like Sloth).

Thresholds: an alert fires when the burn rate is above its factor; a burn within one part per
million of the factor counts as at it (`> factor * 1.000001`), so a steady burn of exactly the
factor, whose ratio of float sums lands a hair either side of it, never flaps. The rule compares
each window's ratio with `factor * 1.000001 * budget` (exact decimals) and divides by the budget
only what passes, so a quiet SLO costs two series lookups per condition (like Sloth's rules).

Cost: the SLI ratios and the alerts are evaluated every minute; the period's ratio and the
metadata (constants, burn rates, budget remaining) only feed dashboards and are evaluated every
`META_INTERVAL` (2m: below the 5m lookback even with one evaluation missed).

Edges: a window with no traffic has no ratio (`> 0` filter) instead of NaN, so nothing pages and
budgets never show NaN/+Inf; with no traffic over the period the budget remaining is 1. Range
selections read only the tile series, which carry the SLO's identity labels (service, name) and
never its free labels, so changing `SLO.labels` cannot yield two series with the same label set
once the rule labels are applied; rules reading outputs select them by their full current label
set, so an output the previous labels left behind is never read.

Clusters: no rule pins the cluster label to a value. The SLI queries aggregate `by (cluster)`
(lint checks it) and every later rule carries the label through, so one rule set serves many
clusters in a Thanos/Mimir ruler, one SLO series per cluster. The metadata constants are
derived from the SLO's tile series (`0 * base + c`) rather than `vector(c)`, so they carry
the cluster too and a dashboard can filter them by it.

Sloth compatibility (`SLO.sloth_labels`): every series and alert also carries `sloth_id`,
`sloth_service` and `sloth_slo`, alerts `sloth_severity`, and `sloth_slo_info` is recorded, so
Sloth's Grafana dashboards read obs's rules unchanged.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Callable, Iterable, Mapping, Sequence

from obs.errors import DefinitionError
from obs.labels import LONG_WINDOW, SHORT_WINDOW, SLO_NAME, SLO_SERVICE, SLO_SEVERITY, SLOTH_SEVERITY
from obs.model.environment import Environment
from obs.model.rules import AlertRule, RecordingRule, RuleGroup, RulePack
from obs.model.samples import preferring
from obs.model.checks import duration_seconds, fit_k8s_name, format_duration
from obs.model.slo import (
    BASE_WINDOW, SEVERITY_OF, SLO, TILE, BurnRateWindow, EventsSLI, RawSLI, window_name, with_window,
)
from obs.slo.proofs import deferred_proofs, once_per_shape
from obs.slo.series import BAD, RAW, TOTAL, description, identity, series_labels

META_INTERVAL = "2m"
TOLERANCE = Decimal("0.000001")  # a burn within 1 ppm of a factor is at it (and does not alert)
SLOTH_INFO = "sloth_slo_info"


def ratio_metric(window: str) -> str:
    """The SLI error-ratio series for a window, Sloth's name: slo:sli_error:ratio_rate1h."""
    return f"slo:sli_error:ratio_rate{window_name(window)}"


@functools.lru_cache(maxsize=1024)  # an SLO's few constants, the same for every SLO of an objective
def number(value: Decimal | float) -> str:
    """A constant as PromQL text, without float noise (Decimal('0.0010') -> '0.001')."""
    return format(Decimal(str(value)).normalize(), "f")


def matchers(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


@dataclass(frozen=True)
class SLOLabels:
    """An SLO's two label sets (read-only, shared by its rules) and their selectors, worked out
    once for its twenty-odd rules: `ident` (the tile series, obs.slo.series.identity) and
    `series` (every output, series_labels)."""

    ident: Mapping[str, str]
    series: Mapping[str, str]
    ident_sel: str
    series_sel: str

    @classmethod
    def of(cls, slo: SLO, env: Environment) -> SLOLabels:
        ident, labels = identity(slo, env), series_labels(slo, env)
        return cls(MappingProxyType(ident), MappingProxyType(labels), matchers(ident), matchers(labels))


def _rule(record: str, expr: str, labels: Mapping[str, str]) -> RecordingRule:
    """A recording rule of an SLO, not checked again: its record is one of obs's series names and
    its labels are the validated SLO's (see obs.model.rules.RecordingRule.generated)."""
    return RecordingRule.generated(record, expr, labels)


def sli_rules(slo: SLO, env: Environment, names: SLOLabels | None = None) -> list[RecordingRule]:
    """The per-tile series, from the SLO's own queries."""
    ident = (names or SLOLabels.of(slo, env)).ident
    window = slo.query_window
    if isinstance(slo.sli, RawSLI):
        # NaN (0/0 without traffic) and negative ratios are dropped, not recorded.
        return [_rule(RAW, f"({with_window(slo.sli.error_ratio, window)}) >= 0", ident)]
    total = with_window(slo.sli.total, window)
    bad = with_window(slo.sli.bad, window)
    if isinstance(slo.sli, EventsSLI):
        # A bad-events counter that was never incremented often does not exist: count it as 0.
        bad = f"({bad}) or (0 * ({total}))"
    return [_rule(TOTAL, total, ident), _rule(BAD, bad, ident)]


@functools.lru_cache(maxsize=1024)
def tiles(window: str) -> str:
    """The range that holds exactly the window's most recent tiles, in Prometheus 2.x and 3.x
    alike: half a tile short of the window (1h -> 59m30s)."""
    return format_duration(duration_seconds(window) - duration_seconds(TILE) / 2)


def ratio_expr(slo: SLO, env: Environment, window: str, names: SLOLabels | None = None) -> str:
    """The error ratio over exactly `window`, from the tile series (see the module docstring)."""
    sel = (names or SLOLabels.of(slo, env)).ident_sel
    if isinstance(slo.sli, RawSLI):
        return f"avg_over_time({RAW}{sel}[{tiles(window)}])"
    if getattr(slo.sli, "denominator_corrected", False):  # bad events over W against the period's traffic
        return f"avg_over_time({BAD}{sel}[{tiles(window)}])\n/ (avg_over_time({TOTAL}{sel}[{tiles(slo.period)}]) > 0)"
    return f"sum_over_time({BAD}{sel}[{tiles(window)}])\n/ (sum_over_time({TOTAL}{sel}[{tiles(window)}]) > 0)"


def alert_windows(slo: SLO) -> tuple[str, ...]:
    """The windows evaluated every tile: those the alerts read, and the current-burn window."""
    return _alert_windows(slo.windows(), slo.period, (*slo.alerting.page_windows, *slo.alerting.ticket_windows))


@functools.lru_cache(maxsize=1024)
def _alert_windows(recorded: tuple[str, ...], period: str, alerting: tuple[BurnRateWindow, ...]) -> tuple[str, ...]:
    read = {window_name(w) for window in alerting for w in (window.long, window.short)}
    return tuple(w for w in recorded if w != window_name(period) or w in read)


def ratio_rules(slo: SLO, env: Environment, names: SLOLabels | None = None) -> list[RecordingRule]:
    names = names or SLOLabels.of(slo, env)
    return [_rule(ratio_metric(w), ratio_expr(slo, env, w, names), names.series) for w in alert_windows(slo)]


def presence(slo: SLO, env: Environment, names: SLOLabels | None = None) -> str:
    """A base series that exists (per cluster) whenever the SLO's metrics do: constants hang off it."""
    return f"{RAW if isinstance(slo.sli, RawSLI) else TOTAL}{(names or SLOLabels.of(slo, env)).ident_sel}"


def ignoring_free_labels(slo: SLO) -> str:
    """Vector matching between outputs (free labels) and base series (identity labels only)."""
    return f" ignoring ({', '.join(sorted(slo.labels))})" if slo.labels else ""


def metadata_rules(slo: SLO, env: Environment, names: SLOLabels | None = None) -> list[RecordingRule]:
    """For dashboards: the period's ratio (unless an alert reads it), objective, budget and period
    constants, and burn rates; with `sloth_labels`, `sloth_slo_info`."""
    names = names or SLOLabels.of(slo, env)
    labels = names.series
    sel = names.series_sel  # the current labels: never an output the previous labels left behind
    budget = number(slo.error_budget)
    period_ratio = f"{ratio_metric(slo.period)}{sel}"
    base = presence(slo, env, names)
    rules = [] if window_name(slo.period) in alert_windows(slo) else \
        [_rule(ratio_metric(slo.period), ratio_expr(slo, env, slo.period, names), labels)]
    rules += [
        _rule("slo:objective:ratio", f"0 * {base} + {number(slo.objective_ratio)}", labels),
        _rule("slo:error_budget:ratio", f"0 * {base} + {budget}", labels),
        _rule("slo:time_period:days", f"0 * {base} + {number(slo.period_days)}", labels),
        _rule("slo:current_burn_rate:ratio", f"{ratio_metric(BASE_WINDOW)}{sel} / {budget}", labels),
        _rule("slo:period_burn_rate:ratio", f"{period_ratio} / {budget}", labels),
        # No traffic in the whole period spent no budget: 1, never NaN.
        _rule("slo:period_error_budget_remaining:ratio",
              f"(1 - {period_ratio} / {budget}) or{ignoring_free_labels(slo)} (0 * {base} + 1)", labels),
    ]
    if slo.sloth_labels:
        info = {**slo.info_labels, **labels, "sloth_mode": "cli-gen-prom", "sloth_spec": "prometheus/v1", "sloth_version": "obs",
                "sloth_objective": number(Decimal(str(slo.objective)))}
        rules.append(_rule(SLOTH_INFO, f"0 * {base} + 1", info))
    return rules


@functools.lru_cache(maxsize=1024)  # a few factors and budgets, the same for every SLO of an objective
def threshold(factor: float, budget: Decimal) -> str:
    """The error ratio a window must exceed to alert: the factor plus the 1 ppm tolerance, times
    the budget (exact decimals)."""
    return number(Decimal(str(factor)) * (1 + TOLERANCE) * budget)


def condition(slo: SLO, env: Environment, window: BurnRateWindow, names: SLOLabels | None = None) -> str:
    """One multi-window condition; its value is the burn rate over the long window. The ratios
    are compared with the threshold first and only what passes is divided by the budget: when
    nothing burns (nearly always) the rule reads two series and stops."""
    names = names or SLOLabels.of(slo, env)
    sel = names.series_sel  # outputs are read with their current labels
    budget = slo.error_budget
    limit = threshold(window.factor_for(slo.period), budget)
    long_, short = window_name(window.long), window_name(window.short)
    expr = (f"(({ratio_metric(long_)}{sel} > {limit})\n"
            f"  and ({ratio_metric(short)}{sel} > {limit})")
    if slo.min_event_rate:
        base = names.ident_sel
        expr += (f"\n  and{ignoring_free_labels(slo)} (avg_over_time({TOTAL}{base}[{tiles(long_)}]) >= "
                 f"{number(slo.min_event_rate)})")
    return (f'label_replace(label_replace(\n  {expr}) / {number(budget)},\n'
            f'  "{LONG_WINDOW}", "{long_}", "", ""), "{SHORT_WINDOW}", "{short}", "", "")')


DESCRIPTION = description(f"{{{{ $labels.{SLO_SERVICE} }}}}", f"{{{{ $labels.{SLO_NAME} }}}}",
                          '{{ printf "%.1f" $value }}', f"{{{{ $labels.{LONG_WINDOW} }}}}",
                          f"{{{{ $labels.{SHORT_WINDOW} }}}}")
SUMMARY = {"page": "SLO error budget is burning fast", "ticket": "SLO error budget is burning steadily"}


def alert_name(slo: SLO, severity: str) -> str:
    return f"{slo.alert_stem}{severity.capitalize()}"


def alert_labels(slo: SLO, severity: str) -> dict[str, str]:
    extra = slo.alerting.page_labels if severity == "page" else slo.alerting.ticket_labels
    sloth = {SLOTH_SEVERITY: severity} if slo.sloth_labels else {}
    return {**slo.alerting.labels, **extra, SLO_SEVERITY: severity, **sloth}


def alert_rules(slo: SLO, env: Environment, with_tests: bool = True, names: SLOLabels | None = None) -> list[AlertRule]:
    """The page and ticket alerts (each an `or` of its windows), with generated proofs. The rules
    are checked like any user's (their labels, annotations and texts are the SLO's alerting
    settings, which only the rule checks as templates); their proofs are not (obs generates them)."""
    names = names or SLOLabels.of(slo, env)
    rules = []
    for severity, windows in slo.alerting.windows().items():
        rule = AlertRule(
            name=alert_name(slo, severity),
            expr="\nor\n".join(condition(slo, env, w, names) for w in windows),
            severity=SEVERITY_OF[severity],
            summary=slo.alerting.summary or SUMMARY[severity],
            description=DESCRIPTION,
            labels=alert_labels(slo, severity),
            annotations=slo.alerting.annotations,
            runbook_url=slo.alerting.runbook_url,
            dashboard=slo.alerting.dashboard,
        )
        if with_tests:  # made when first read (the unit tests, the linters): see AlertRule.with_deferred_tests
            rule = rule.with_deferred_tests(deferred_proofs(slo, env, rule, windows))
        rules.append(rule)
    return rules


def group_prefix(slo: SLO) -> str:
    return f"slo-{slo.service}-{slo.name}"


def slo_groups(slo: SLO, env: Environment, with_tests: bool = True) -> list[RuleGroup]:
    """Three groups per SLO, like Sloth: SLI ratios and alerts every tile, metadata every
    META_INTERVAL. With a global store the SLI is recorded in each cluster (where its series are,
    obs.placement) and the budget and burn-rate alerts are evaluated globally, over every cluster."""
    prefix = group_prefix(slo)
    names = SLOLabels.of(slo, env)
    groups = [RuleGroup.generated(f"{prefix}-sli", [*sli_rules(slo, env, names), *ratio_rules(slo, env, names)], TILE),
              RuleGroup.generated(f"{prefix}-meta", metadata_rules(slo, env, names), META_INTERVAL, tier="global")]
    alerts = alert_rules(slo, env, with_tests, names)
    if alerts:
        groups.append(RuleGroup.generated(f"{prefix}-alerts", alerts, TILE, tier="global"))
    return groups


def pack_name(service: str) -> str:
    """`slo-<service>` as a file and Kubernetes name: lower case, '-' for anything else, at most
    63 characters (a hash suffix when cut); services that merge are refused by slo_rule_packs."""
    slug = "-".join(part for part in re.split(r"[^a-z0-9]+", service.lower()) if part)
    return fit_k8s_name(f"slo-{slug}")


def slo_rule_packs(slos: Sequence[SLO], env: Environment, with_tests: bool = True,
                   examples: Callable[[SLO], Mapping[str, Sequence[str]]] | None = None) -> tuple[RulePack, ...]:
    """One rule pack per service (`slo-<service>`), its SLOs in definition order; `with_tests`
    generates the alerts' proofs, whose labels take the values `examples(slo)` gives (the owning
    team's real namespaces and jobs, obs.model.team)."""
    seen: set[tuple[str, str]] = set()
    by_pack: dict[str, list[SLO]] = {}
    services: dict[str, str] = {}
    for slo in slos:
        if not isinstance(slo, SLO):
            raise DefinitionError("definitions", "slos", f"{slo!r} is not an SLO",
                                  "list obs.SLO objects (see obs.slo.formats.load_sloth for Sloth specs)")
        _check_cluster_not_pinned(slo, env)
        if (slo.service, slo.name) in seen:
            raise DefinitionError("definitions", "slos", f"duplicate {slo.definition}",
                                  "give each SLO of a service a unique name")
        seen.add((slo.service, slo.name))
        name = pack_name(slo.service)
        other = services.setdefault(name, slo.service)
        if other != slo.service:
            raise DefinitionError(slo.definition, "service", f"services {other!r} and {slo.service!r} both give the "
                                  f"rule pack name {name!r} (file and PrometheusRule names are lower case, '-' for "
                                  "other characters)", "name the services so they differ in letters or digits")
        by_pack.setdefault(name, []).append(slo)
    with once_per_shape():  # the full burn-rate proof once per rule shape, see obs.slo.proofs
        return tuple(RulePack(name, _groups(members, env, with_tests, examples),
                              description=f"SLOs of {members[0].service}") for name, members in by_pack.items())


def _check_cluster_not_pinned(slo: SLO, env: Environment) -> None:
    """A cluster label among an SLO's labels would overwrite the data's on every series and
    alert: in a ruler that sees several clusters, they would collide or be mislabelled."""
    for field_name, labels in (("labels", slo.labels), ("alerting.labels", slo.alerting.labels),
                               ("alerting.page_labels", slo.alerting.page_labels),
                               ("alerting.ticket_labels", slo.alerting.ticket_labels)):
        if env.cluster_label in labels:
            raise DefinitionError(slo.definition, field_name,
                                  f"sets {env.cluster_label}={labels[env.cluster_label]!r}, pinning the SLO to "
                                  "one cluster", f"drop it: the {env.cluster_label} label comes from the data "
                                  f"(the SLI aggregates by ({env.cluster_label})), so one rule set serves every "
                                  "cluster")


def _groups(slos: Iterable[SLO], env: Environment, with_tests: bool,
            examples: Callable[[SLO], Mapping[str, Sequence[str]]] | None) -> list[RuleGroup]:
    out = []
    for slo in slos:
        with preferring(examples(slo) if examples else {}):
            out += slo_groups(slo, env, with_tests)
    return out
