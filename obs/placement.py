"""Rule placement: which rule groups each cluster's Prometheus evaluates and which the global ruler
evaluates (docs/fleet.md).

Without a global store every group runs in each cluster. With one, a group runs where its
`tier` says; a group without a tier takes the default of its kind: the SLO generator places
budgets and burn-rate alerts on `global`, everything else stays on `cluster` unless it reads
series only the global store has, which moves it to `global`. `management` (only when a group
says so) is the Prometheus of the management cluster, where the environment-wide folder runs:
the global ruler's self-monitoring (obs.packs.thanos) reads what that Prometheus scrapes.
Series only the global store has move a group to `global`:

- series a global-tier group records (the global ruler keeps them; no cluster sees them);
- in the `receive` topology, series the collectors push (the gateways remote-write straight into
  Thanos Receive; the cluster's Prometheus never stores them).

The check: a cluster- or management-tier group must not read series only the global store has
(neither Prometheus sees them), a pack must not put groups both on `global` and `management`
(both tiers write the environment-wide folder, one rule file per pack), and a global
group must read only series that reach the global store: scraped or pushed series of a declared
source (obs.catalog) and series recorded on either tier (the sidecar uploads, or Prometheus
remote-writes, everything its cluster stores). Failures name the rule and the series.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from obs.catalog.catalogue import declared_sources, pushed_source_names, reads_of
from obs.catalog.promql import select
from obs.errors import DefinitionError
from obs.model.bundle import Definitions
from obs.model.environment import Environment
from obs.model.rules import RecordingRule, RuleGroup, RulePack

CLUSTER, GLOBAL, MANAGEMENT = "cluster", "global", "management"


@dataclass(frozen=True)
class Placement:
    """The tier of every rule group of one environment, keyed by (pack name, group name)."""

    tiers: Mapping[tuple[str, str], str]

    def tier(self, pack: RulePack, group: RuleGroup) -> str:
        return self.tiers[(pack.name, group.name)]

    def split(self, pack: RulePack) -> dict[str, RulePack]:
        """The pack's groups per tier, as packs of the same name (tiers without groups left out),
        cluster first."""
        out: dict[str, RulePack] = {}
        for tier in (CLUSTER, GLOBAL, MANAGEMENT):
            groups = [g for g in pack.groups if self.tier(pack, g) == tier]
            if len(groups) == len(pack.groups):
                out[tier] = pack
            elif groups:
                out[tier] = replace(pack, groups=groups)
        return out


def _global_only_metrics(env: Environment, defs: Definitions) -> dict[str, str]:
    """metric -> why only the global store has it, for series the collectors push straight into
    Thanos Receive (topology `receive`); nothing in the sidecar topology."""
    if env.global_store is None or env.global_store.topology != "receive":
        return {}
    pushed = pushed_source_names(env, defs)
    producers: dict[str, set[str]] = {}
    for source in declared_sources(env, defs):
        for metric in source.series:
            producers.setdefault(metric, set()).add(source.name)
    return {metric: f"the collectors push it (source {min(names)!r}) straight into Thanos Receive"
            for metric, names in producers.items() if names <= pushed}


Read = tuple[str, str, str]  # metric, the reading rule's expression, the rule's definition


def _reads(group: RuleGroup) -> list[Read]:
    """Every metric the group's rules select (worked out once per expression shape)."""
    found: dict[str, tuple[str, str]] = {}
    for rule in group.rules:
        for metric in reads_of(rule.expr)[1]:
            found.setdefault(metric, (rule.expr, rule.definition))
    return [(metric, expr, rule) for metric, (expr, rule) in found.items()]


def _equal_matchers(expr: str, metric: str) -> list[tuple[tuple[str, str], ...]]:
    """The equality matchers of each selector of `metric` in `expr` (parsed only when a recorded
    series of that name could be global: rarely)."""
    return [tuple((label, value) for label, op, value in sel.matchers if op == "=")
            for sel in select(expr).selectors if sel.metric == metric]


def _selects(equal: tuple[tuple[str, str], ...], labels: Mapping[str, str]) -> bool:
    """Whether a selector with these equality matchers can select a series recorded with `labels`
    (the SLO rules of every service record the same names, told apart by slo_service/slo_name)."""
    return all(labels.get(label, value) == value for label, value in equal)


def place(env: Environment, defs: Definitions) -> Placement:
    """Every group's tier; raises DefinitionError when a group reads what its tier never sees."""
    packs = defs.all_rule_packs()
    keys = [(pack, group) for pack in packs for group in pack.groups]
    if env.global_store is None:
        return Placement({(p.name, g.name): CLUSTER for p, g in keys})
    global_only = _global_only_metrics(env, defs)
    reads = {(p.name, g.name): _reads(g) for p, g in keys}
    tiers = {(p.name, g.name): g.tier or CLUSTER for p, g in keys}
    records: dict[str, list[tuple[Mapping[str, str], tuple[str, str]]]] = {}
    for pack, group in keys:
        for rule in group.rules:
            if isinstance(rule, RecordingRule):
                records.setdefault(rule.record, []).append((rule.labels, (pack.name, group.name)))

    def only_global(metric: str, expr: str) -> str | None:
        """Why only the global store has the series `expr` reads of `metric`, or None."""
        if metric in global_only:
            return global_only[metric]
        recorded = [(labels, key) for labels, key in records.get(metric, ()) if tiers[key] == GLOBAL]
        if not recorded:
            return None
        for equal in _equal_matchers(expr, metric):
            for labels, key in recorded:
                if _selects(equal, labels):
                    return f"group {key[1]!r} records it on the global tier"
        return None

    changed = True
    while changed:  # a group moved to global can move the groups reading its series
        changed = False
        for pack, group in keys:
            key = (pack.name, group.name)
            if tiers[key] == CLUSTER and group.tier is None and \
                    any(only_global(metric, expr) for metric, expr, _ in reads[key]):
                tiers[key] = GLOBAL
                changed = True
    produced = {m for s in declared_sources(env, defs) for m in s.series}
    for pack, group in keys:
        key = (pack.name, group.name)
        for metric, expr, reader in reads[key]:
            why = only_global(metric, expr) if tiers[key] != GLOBAL else None
            if why:
                raise DefinitionError(
                    f"{reader} (rule pack {pack.name!r}, group {group.name!r})", "tier",
                    f"is placed on the {tiers[key]} tier but reads {metric}, which only the global store has: {why}",
                    "place the group on the global tier (tier='global', or tier=None for the default)")
            if tiers[key] == GLOBAL and metric not in produced and metric not in records:
                raise DefinitionError(
                    f"{reader} (rule pack {pack.name!r}, group {group.name!r})", "expr",
                    f"is evaluated by the global ruler but reads {metric}, which reaches no store: no declared "
                    "source scrapes or pushes it and no rule records it",
                    "declare the source that produces it (Definitions.sources), or fix the metric name")
    for pack in packs:
        placed = {tiers[(pack.name, g.name)] for g in pack.groups}
        if {GLOBAL, MANAGEMENT} <= placed:
            raise DefinitionError(
                f"rule pack {pack.name!r}", "groups",
                "has groups on the global tier and on the management tier, which would share its rule file "
                "and PrometheusRule in the environment-wide folder",
                "put the management-tier groups in a pack of their own")
    return Placement(tiers)
