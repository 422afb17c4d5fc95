"""Import OpenSLO SLO (and SLI) documents into the obs model.

`openslo/v1alpha`, as Sloth reads it: `kind: SLO` with `spec.service`, `spec.description`,
`budgetingMethod: Occurrences`, `timeWindows: [{count: N, unit: Day}]` and `objectives`, each a
`ratioMetrics` of Prometheus `good` and `total` PromQL queries (with Sloth's `{{.window}}`) and a
`target` ratio. Like Sloth, objective i becomes the SLO `<metadata.name>-<i>` with no alerts.

`openslo/v1`: `kind: SLO` with an inline `indicator` or an `indicatorRef` to a `kind: SLI`
document of the same import, `timeWindow: [{duration: 28d, isRolling: true}]`,
`budgetingMethod: Occurrences` and `objectives` with `target` or `targetPercent`. The SLI is a
`ratioMetric` of Prometheus sources (`metricSource.type: Prometheus`, `spec.query`) with `good`
or `bad` and `total`; a query with `{{.window}}` is used as written, a plain counter selector is
read as `sum(rate(<selector>[{{window}}]))`. No alerts either, like v1alpha.

Good/total ratios become EventsSLI(bad = total - good): the same error ratio over every window
as Sloth's `1 - good/total`, but the period's ratio is a ratio of sums. What obs cannot reproduce
(calendar windows, Timeslices budgeting, threshold metrics, alert policies, other sources) is an
error, or dropped with --allow-dropped.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from obs.model.slo import SLO, EventsSLI, SLOAlerting
from obs.slo.importer import Importer
from obs.slo.sloth import by_cluster

V1ALPHA = "openslo/v1alpha"
V1 = "openslo/v1"
_SELECTOR = re.compile(r"^\s*[a-zA-Z_:][a-zA-Z0-9_:]*\s*(\{[^{}]*\})?\s*\Z")
_UNITS = {"minute": "m", "hour": "h", "day": "d", "week": "w"}


def is_openslo(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("apiVersion") in (V1ALPHA, V1)


class OpenSLOImporter(Importer):
    """Reads the OpenSLO documents of one file; SLI documents are found by name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indicators: dict[str, Mapping[str, Any]] = {}

    def load(self, docs: list[tuple[int, Any]]) -> list[SLO]:
        for index, doc in docs:
            if doc.get("kind") == "SLI":
                name = (doc.get("metadata") or {}).get("name")
                if not isinstance(name, str):
                    raise self.error(self.where(f"document {index}"), "metadata.name", "is missing",
                                     "name the SLI so SLOs can reference it")
                self.indicators[name] = doc.get("spec") or {}
        out: list[SLO] = []
        for index, doc in docs:
            kind = doc.get("kind")
            where = self.where(f"document {index}", (doc.get("metadata") or {}).get("name"))
            if kind == "SLI":
                continue
            if kind != "SLO":
                self.unsupported(where, "kind", f"OpenSLO {kind!r} documents (obs imports SLO and SLI)",
                                 "import its SLOs and write alerting in Python")
                continue
            out.extend(self.slos(doc, where))
        self.refuse()  # every refusal of the file at once
        return out

    def slos(self, doc: Mapping[str, Any], where: str) -> list[SLO]:
        spec = doc.get("spec") or {}
        name = (doc.get("metadata") or {}).get("name")
        v1 = doc.get("apiVersion") == V1
        method = spec.get("budgetingMethod", "Occurrences")
        if method != "Occurrences":
            self.unsupported(where, "spec.budgetingMethod", f"{method!r} budgeting (obs counts events: Occurrences)",
                             "use budgetingMethod: Occurrences")
        period = self.period_of(spec, where, v1)
        if spec.get("alertPolicies"):
            self.unsupported(where, "spec.alertPolicies", "OpenSLO alert policies", "write the alerting as "
                             "SLOAlerting windows in the generated module")
        objectives = spec.get("objectives") or []
        if not objectives:
            raise self.error(where, "spec.objectives", "is empty", "give at least one objective with a target")
        self.notes.append(f"{where}: no burn-rate alerts, as Sloth imports OpenSLO; add SLOAlerting windows in "
                          "the module to alert")
        out = []
        for i, objective in enumerate(objectives):
            at = f"spec.objectives[{i}]"
            ratio = self.ratio(spec, objective, where, at, v1)
            if ratio is None:
                continue
            bad, total = ratio
            out.append(self.build(where, service=spec.get("service"), name=f"{name}-{i}",
                                  objective=self.target(objective, where, at),
                                  sli=EventsSLI(bad=bad, total=total), period=period,
                                  description=spec.get("description") or "",
                                  labels=self.labels((doc.get("metadata") or {}).get("labels"), where,
                                                     "metadata.labels"),
                                  alerting=SLOAlerting(page_windows=(), ticket_windows=())))
        return out

    def period_of(self, spec: Mapping[str, Any], where: str, v1: bool) -> str:
        windows = spec.get("timeWindow" if v1 else "timeWindows") or []
        if not windows:
            return self.options.period
        if len(windows) > 1:
            raise self.error(where, "spec.timeWindow", "has several windows", "keep one time window")
        window = windows[0]
        if v1:
            if window.get("isRolling") is False or window.get("calendar"):
                self.unsupported(where, "spec.timeWindow[0]", "a calendar-aligned window (obs's periods roll)",
                                 "use isRolling: true")
            return self.duration(window.get("duration"), where, "spec.timeWindow[0].duration")
        unit = _UNITS.get(str(window.get("unit", "")).lower())
        count = window.get("count")
        if unit is None or not isinstance(count, int) or count <= 0:
            raise self.error(where, "spec.timeWindows[0]", f"{window!r} is not a count of days",
                             "e.g. {count: 30, unit: Day}")
        return f"{count}{unit}"

    def target(self, objective: Mapping[str, Any], where: str, at: str) -> Any:
        if "targetPercent" in objective:
            return objective["targetPercent"]
        target = objective.get("target")
        if isinstance(target, bool) or not isinstance(target, (int, float)):
            raise self.error(where, f"{at}.target", f"{target!r} is not a ratio", "e.g. target: 0.999")
        return float(f"{target * 100:.10g}")

    def ratio(self, spec: Mapping[str, Any], objective: Mapping[str, Any], where: str, at: str,
              v1: bool) -> tuple[str, str] | None:
        """(bad, total) queries of an objective, or None when dropped."""
        if not v1:
            metrics = objective.get("ratioMetrics")
            if not metrics:
                self.unsupported(where, at, "an objective without ratioMetrics", "give good and total queries")
                return None
            good = self.v1alpha_query(metrics.get("good"), where, f"{at}.ratioMetrics.good")
            total = self.v1alpha_query(metrics.get("total"), where, f"{at}.ratioMetrics.total")
            return f"({total})\n-\n({good})", total
        indicator = spec.get("indicator")
        if indicator is None and spec.get("indicatorRef"):
            indicator = {"spec": self.indicators.get(spec["indicatorRef"])}
            if indicator["spec"] is None:
                raise self.error(where, "spec.indicatorRef", f"no SLI named {spec['indicatorRef']!r} in this import",
                                 "import the SLI document in the same file")
        metric = ((indicator or {}).get("spec") or {}).get("ratioMetric")
        if not metric:
            self.unsupported(where, "spec.indicator", "an SLI without ratioMetric (threshold metrics)",
                             "write the SLI as good/total or bad/total ratio")
            return None
        counter = metric.get("counter", True)
        total = self.v1_query(metric.get("total"), counter, where, "spec.indicator.ratioMetric.total")
        if metric.get("bad"):
            return self.v1_query(metric["bad"], counter, where, "spec.indicator.ratioMetric.bad"), total
        good = self.v1_query(metric.get("good"), counter, where, "spec.indicator.ratioMetric.good")
        return f"({total})\n-\n({good})", total

    def v1alpha_query(self, source: Any, where: str, at: str) -> str:
        if not isinstance(source, dict) or source.get("source") not in ("prometheus", "sloth") \
                or source.get("queryType") != "promql":
            raise self.error(where, at, f"{source!r} is not a Prometheus PromQL query",
                             "give {source: prometheus, queryType: promql, query: ...}")
        return self.query(source.get("query"), where, at)

    def v1_query(self, source: Any, counter: Any, where: str, at: str) -> str:
        metric = (source or {}).get("metricSource") if isinstance(source, dict) else None
        if not isinstance(metric, dict) or str(metric.get("type", "")).lower() != "prometheus":
            raise self.error(where, at, f"{source!r} is not a Prometheus metric source",
                             "give metricSource: {type: Prometheus, spec: {query: ...}}")
        query = (metric.get("spec") or {}).get("query")
        if isinstance(query, str) and "window" not in query:
            if not _SELECTOR.match(query):
                raise self.error(where, f"{at}.metricSource.spec.query", f"{query!r} is neither a series selector "
                                 "nor a query with a {{.window}} range", "give a counter selector such as "
                                 'http_requests_total{code!~"5.."}, or a query with [{{.window}}]')
            if counter is False:
                self.unsupported(where, at, "a gauge (counter: false) ratio metric", "give counters")
            query = f"sum(rate({query.strip()}[{{{{window}}}}]))"
        return self.query(query, where, at)

    def query(self, query: Any, where: str, at: str) -> str:
        if not isinstance(query, str) or not query.strip():
            raise self.error(where, at, f"{query!r} is not a query", "give a PromQL query")
        query, count = by_cluster(query.strip(), self.options.cluster_label)
        if count:
            self.notes.append(f"{where}: {at}: added `{self.options.cluster_label}` to {count} aggregation(s) so "
                              "each cluster keeps its own SLI")
        return query
