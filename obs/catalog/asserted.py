"""Sources the user asserts: an SLO imported from Sloth or OpenSLO, or read from a team's YAML
file, selects metrics obs has no exporter for. Its `asserted_source` says who vouches for them;
the metrics its queries select become a source with the labels the queries *match on* (plus the
cluster label), and a grouping label only when every query of the SLO groups by it: a `by (code)`
in the bad query and `by (status)` in the total one is still reported by the coherence check."""
from __future__ import annotations

from typing import Sequence

from obs.catalog.promql import Selection, remembered, select, shape_of
from obs.catalog.source import MetricSource
from obs.model.slo import SLO, EventsSLI, LatencySLI, with_window


def sli_queries(slo: SLO) -> list[str]:
    """The SLI's queries with a concrete window."""
    sli = slo.sli
    if isinstance(sli, (EventsSLI, LatencySLI)):
        queries = [sli.bad, sli.total]
    else:
        queries = [sli.error_ratio]
    return [with_window(q, "5m") for q in queries]


def asserted_source(slo: SLO, cluster_label: str) -> MetricSource | None:
    """The source `slo.asserted_source` vouches for, or None when the SLO asserts nothing."""
    if not slo.asserted_source:
        return None
    series, common = _asserted_series(sli_queries(slo))
    return MetricSource(f"asserted by {slo.asserted_source} (SLO {slo.service}/{slo.name})",
                        {metric: list(labels) for metric, labels in series},
                        labels=sorted(common | {cluster_label}))


Asserted = tuple[tuple[tuple[str, tuple[str, ...]], ...], frozenset[str]]  # (metric, labels) sorted, common


def _asserted_series(queries: list[str]) -> Asserted:
    """The metrics the queries select with the labels they match on, and the labels every query
    groups by. Worked out once per query shapes and the literals that name metrics and labels
    (the SLOs of a thousand services differ only in label values)."""
    found = [shape_of(query) for query in queries]
    if any(shaped is None for shaped in found):
        return _series_of([select(query) for query in queries])
    key = tuple(shaped.deciding(_names_metric_or_label, _POSITIONS) for shaped in found if shaped)
    return remembered(_ASSERTED, _POSITIONS, key, lambda: _series_of(
        [shaped.shape.fill(list(shaped.strings)) for shaped in found if shaped]), 1024)


def _names_metric_or_label(use: tuple[str, ...] | None) -> bool:
    return use is not None and use[0] in ("metric", "label")


_ASSERTED: dict[tuple, Asserted] = {}
_POSITIONS: dict[str, tuple[int, ...]] = {}  # shape -> the literals `_names_metric_or_label` picks


def _series_of(selections: list[Selection]) -> Asserted:
    series: dict[str, set[str]] = {}
    grouped: list[set[str]] = []
    for selection in selections:
        for selector in selection.selectors:
            if selector.metric:
                series.setdefault(selector.metric, set()).update(
                    name for name, _, _ in selector.matchers if name != "__name__")
        grouped.append({label for labels in selection.grouping.values() for label in labels})
    common = set.intersection(*grouped) if grouped else set()
    return tuple((metric, tuple(sorted(labels))) for metric, labels in sorted(series.items())), frozenset(common)


def asserted_sources(slos: Sequence[SLO], cluster_label: str) -> list[MetricSource]:
    """One source per SLO that asserts its metrics."""
    return [source for slo in slos if (source := asserted_source(slo, cluster_label)) is not None]
