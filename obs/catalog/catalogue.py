"""The catalogue of one environment's definitions: every series the declared sources produce, with
their labels, plus every recording rule the bundle generates (SLO rules included)."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from obs.catalog.asserted import asserted_sources
from obs.catalog import cluster, otel, thanos
from obs.catalog.tempo import tempo_source
from obs.catalog.promql import Selection, remembered, select, shaped
from obs.catalog.source import MetricSource
from obs.model.bundle import Definitions
from obs.model.environment import Environment
from obs.model.rules import AlertRule, RecordingRule

ALERT_SERIES = ("ALERTS", "ALERTS_FOR_STATE")
# What the catalogue needs of an expression: the labels it aggregates by (None: it does not), the
# metrics it reads and the labels it creates.
Reads = tuple[frozenset[str] | None, tuple[str, ...], frozenset[str]]


def reads_of(expr: str) -> Reads:
    """What the catalogue needs of `expr` (the same for every expression of one shape whose metric
    and created-label literals are the same: worked out once for them)."""
    found = shaped(expr)
    if found is None:
        return selection_reads(select(expr))
    key = found.deciding(_reads_decides, _READS_POSITIONS)
    return remembered(_READS, _READS_POSITIONS, key, lambda: selection_reads(found.shape.fill(list(found.strings))),
                      65536)


def _reads_decides(use: tuple[str, ...] | None) -> bool:
    return use is not None and use[0] in ("metric", "created")


_READS: dict[tuple[str, tuple[str, ...]], Reads] = {}
_READS_POSITIONS: dict[str, tuple[int, ...]] = {}  # shape -> the literals `_reads_decides` picks


def selection_reads(selection: Selection) -> Reads:
    """What the catalogue needs of an expression, from its selection."""
    kept = selection.aggregates_by
    return (None if kept is None else frozenset(kept), tuple(s.metric for s in selection.selectors if s.metric),
            frozenset(selection.created))


@dataclass
class Catalogue:
    """metric -> labels, which source produced it, and known label values (e.g. collector jobs)."""

    labels: dict[str, set[str]] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    dropped: frozenset[str] = frozenset()  # labels the collectors delete from data points

    def add(self, source: MetricSource) -> None:
        for metric in source.series:
            self.labels.setdefault(metric, set()).update(source.labels_of(metric))
            self.origin.setdefault(metric, source.name)
            for label, values in source.values.items():
                known = self.values.setdefault(metric, {})
                known[label] = known.get(label, frozenset()) | frozenset(values)

    def _result_labels(self, reads: Reads) -> set[str]:
        """Labels the result of an expression can carry: the `by` labels when it aggregates, else
        its inputs' labels; plus labels label_replace/label_join create."""
        kept, metrics, created = reads
        if kept is None:
            return {label for metric in metrics if metric in self.labels for label in self.labels[metric]} | created
        return set(kept) | created

    def add_recording_rule(self, rule: RecordingRule, reads: Reads | None = None) -> bool:
        """A recording rule's series: what its expression keeps plus its static labels. Whether
        a label set grew."""
        grew = self._add_labels(rule.record, self._result_labels(reads or reads_of(rule.expr)), rule.labels)
        self.origin.setdefault(rule.record, rule.definition)
        return grew

    def add_alert_rule(self, rule: AlertRule, reads: Reads | None = None) -> bool:
        """ALERTS and ALERTS_FOR_STATE carry each alert's result labels and static labels. Whether
        a label set grew."""
        labels = self._result_labels(reads or reads_of(rule.expr))
        grew = [self._add_labels(metric, labels, rule.static_labels) for metric in ALERT_SERIES]
        return any(grew)

    def _add_labels(self, metric: str, *labels: Iterable[str]) -> bool:
        known = self.labels.setdefault(metric, set())
        size = len(known)
        known.update(*labels)
        return len(known) != size

    def add_rules(self, rules: Sequence[tuple[RecordingRule | AlertRule, Reads]]) -> None:
        """Every rule with its reads, in rule order: the recording rules (each after its inputs),
        then the alerts. A rule may read a
        rule recorded later in the file, so the recording rules are added twice; the second time
        only those that do not aggregate `by` (an aggregation keeps its `by` labels, whatever its
        inputs': adding it again changes nothing).

        Rules repeat: the SLO rules of a thousand services record the same series from
        expressions that read the same, with the same static label names. A rule like one added
        before (that series, reads and label names) is skipped when it aggregates `by`, or when
        no label set grew since (label sets only grow, so it would add nothing)."""
        done: dict[tuple, int] = {}  # rule like these -> `grown` when last added
        grown = 0  # how often a label set grew
        keyed: list[tuple[tuple, RecordingRule | AlertRule, Reads]] = [
            ((r.record, reads, tuple(r.labels)), r, reads) for r, reads in rules if isinstance(r, RecordingRule)]
        recorded = len(keyed)
        keyed += [((ALERT_SERIES, reads, tuple(a.static_labels)), a, reads) for a, reads in rules
                  if isinstance(a, AlertRule)]
        for key, rule, reads in [*keyed[:recorded], *keyed]:
            last = done.get(key)
            if last is not None and (last == grown or reads[0] is not None):
                continue  # it would add nothing
            if self.add_recording_rule(rule, reads) if isinstance(rule, RecordingRule) else \
                    self.add_alert_rule(rule, reads):
                grown += 1
            done[key] = grown

    def knows(self, metric: str) -> bool:
        return metric in self.labels

    def nearest_metric(self, metric: str) -> str | None:
        return _nearest(metric, self.labels)

    def nearest_label(self, label: str, metrics: Iterable[str]) -> str | None:
        return _nearest(label, {name for m in metrics for name in self.labels.get(m, ())})


def _nearest(name: str, known: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return found[0] if found else None


def default_sources(env: Environment, defs: Definitions) -> list[MetricSource]:
    """What a bundle that declares no `sources` is taken to have: the standard cluster exporters,
    and, unless it declares its instrumentation, services instrumented outside obs with the
    OpenTelemetry HTTP/RPC/DB semantic conventions."""
    defaults = list(cluster.cluster_exporters(env.cluster_label))
    if not defs.instrumentation:
        defaults.append(otel.semconv_source(cluster_label=env.cluster_label))
    return defaults


def declared_sources(env: Environment, defs: Definitions) -> list[MetricSource]:
    """The sources a bundle declares or implies: its `sources` (default: `default_sources`),
    Prometheus' own series, the instrumented services, the collectors' receivers and
    connectors, target_info, the collectors' own telemetry, Tempo's metrics generator and, with a
    global store, its components' own telemetry."""
    explicit = getattr(defs, "sources", None)
    sources = list(default_sources(env, defs) if explicit is None else explicit)
    sources.append(cluster.prometheus(env.cluster_label))
    if env.global_store is not None:
        sources += thanos.thanos_sources(env.cluster_label, receive=env.global_store.topology == "receive")
    sources += pushed_sources(defs)
    sources += asserted_sources(defs.slos, env.cluster_label)
    for derived in (otel.collector_source(defs.collectors, env.cluster_label),
                    tempo_source(defs.tempo, env.cluster_label)):
        if derived:
            sources.append(derived)
    return sources


def pushed_sources(defs: Definitions) -> list[MetricSource]:
    """The sources whose series arrive through the collectors' remote write (instrumented services,
    the collectors' receivers and connectors, target_info), not through a Prometheus scrape."""
    promoted, dropped = otel.promoted_labels(defs.collectors), otel.dropped_labels(defs.collectors)
    sources = [otel.without(s, dropped) for s in (*otel.service_sources(defs.instrumentation, promoted),
                                                  *otel.receiver_sources(defs.collectors, promoted))]
    if defs.collectors:
        sources.append(otel.target_info(promoted))
    return sources


def pushed_source_names(env: Environment, defs: Definitions) -> frozenset[str]:
    """Names of the declared sources pushed through the collectors (`pushed_sources`, and the
    default OTel semantic-convention services): where the gateways write decides who sees them."""
    names = {s.name for s in pushed_sources(defs)}
    if getattr(defs, "sources", None) is None:
        names |= {s.name for s in default_sources(env, defs) if s.name == otel.semconv_source().name}
    return frozenset(names)


def source_catalogue(env: Environment, defs: Definitions,
                     sources: Iterable[MetricSource] | None = None) -> Catalogue:
    """The catalogue of the sources `defs` declares or implies in `env` (default: `declared_sources`),
    before any rule: its known label `values` are final (rules add none)."""
    catalogue = Catalogue(dropped=otel.dropped_labels(defs.collectors))
    for source in declared_sources(env, defs) if sources is None else sources:
        catalogue.add(source)
    return catalogue


def build_catalogue(env: Environment, defs: Definitions,
                    sources: Iterable[MetricSource] | None = None) -> Catalogue:
    """The catalogue of `defs` in `env`: its sources and every rule's series (`Catalogue.add_rules`)."""
    catalogue = source_catalogue(env, defs, sources)
    rules = [r for p in defs.all_rule_packs() for g in p.groups for r in g.rules]
    catalogue.add_rules([(r, reads_of(r.expr)) for r in rules])
    return catalogue


def value_matches(op: str, pattern: str, values: Iterable[str]) -> bool:
    """Whether any of `values` satisfies the matcher (Prometheus anchors regexes)."""
    for value in values:
        if op == "=" and value == pattern:
            return True
        if op == "=~":
            try:
                if re.fullmatch(pattern, value):
                    return True
            except re.error:
                return True  # RE2 syntax Python cannot read: do not guess
    return op in ("!=", "!~")
