"""A metric source: the series one exporter, instrumentation or pipeline puts into Prometheus, and
how OpenTelemetry instruments are named once the collector's prometheus_remote_write exporter
(or Prometheus' OTLP endpoint) stores them."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Literal, Mapping

from obs.errors import DefinitionError
from obs.model.checks import check_label_name, check_metric_name

InstrumentKind = Literal["counter", "updowncounter", "gauge", "histogram"]


@dataclass(frozen=True)
class MetricSource:
    """Series a source produces: `series` maps each metric name to its own labels; `labels` are
    carried by every series of the source (scrape or resource labels such as job, instance,
    cluster); `values` optionally lists the only values a label can take (e.g. the collectors'
    `job`s), so a matcher no value satisfies is reported.

        MetricSource("payments-exporter", {"payments_settled_total": ["currency", "psp"]},
                     labels=["job", "instance", "namespace", "cluster"])
    """

    name: str
    series: Mapping[str, Iterable[str]]
    labels: Iterable[str] = ()
    values: Mapping[str, Iterable[str]] = field(default_factory=dict)

    @property
    def definition(self) -> str:
        return f"metric source {self.name!r}"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise DefinitionError("metric source", "name", "is empty", "name the exporter, e.g. 'node-exporter'")
        if not isinstance(self.series, Mapping):
            raise DefinitionError(self.definition, "series", f"{self.series!r} is not a mapping",
                                  "map each metric name to its labels: {'x_total': ['code']}")
        series = {}
        for metric, labels in self.series.items():
            check_metric_name(self.definition, "series", metric)
            labels = (labels,) if isinstance(labels, str) else tuple(labels)
            for label in labels:
                check_label_name(self.definition, f"series[{metric!r}]", label)
            series[metric] = frozenset(labels)
        object.__setattr__(self, "series", series)
        common = (self.labels,) if isinstance(self.labels, str) else tuple(self.labels)
        for label in common:
            check_label_name(self.definition, "labels", label)
        object.__setattr__(self, "labels", frozenset(common))
        object.__setattr__(self, "values", {k: frozenset((v,) if isinstance(v, str) else v)
                                            for k, v in dict(self.values).items()})

    def labels_of(self, metric: str) -> frozenset[str]:
        """Every label a series of `metric` can carry."""
        return self.series[metric] | self.labels  # type: ignore[operator]


# The Prometheus translation of UCUM units (OpenTelemetry's prometheus translator), the common ones.
UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds", "min": "minutes",
              "h": "hours", "d": "days", "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes",
              "GiBy": "gibibytes", "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes",
              "By/s": "bytes_per_second", "m": "meters", "V": "volts", "A": "amperes", "J": "joules",
              "W": "watts", "g": "grams", "Cel": "celsius", "Hz": "hertz", "%": "percent"}


def unit_suffix(unit: str, kind: InstrumentKind) -> str:
    """The name suffix for a UCUM unit: annotations ({request}) vanish, '1' is `ratio` on gauges."""
    unit = re.sub(r"\{[^}]*\}", "", unit).strip()
    if unit == "1":
        return "ratio" if kind == "gauge" else ""
    if "/" in unit and unit not in UNIT_WORDS:
        per, _, over = unit.partition("/")
        return "_per_".join(w for w in (UNIT_WORDS.get(per, per), UNIT_WORDS.get(over, over)) if w)
    return UNIT_WORDS.get(unit, unit)


@dataclass(frozen=True)
class Instrument:
    """An OpenTelemetry instrument (semantic-convention name, UCUM unit, kind, attributes)."""

    name: str
    unit: str
    kind: InstrumentKind
    attributes: tuple[str, ...] = ()

    def prometheus_names(self) -> dict[str, frozenset[str]]:
        """The series Prometheus stores for this instrument and their labels: dots become
        underscores, the unit word and `_total` (monotonic counters) are appended, histograms
        become _bucket (with `le`), _count and _sum."""
        base = re.sub(r"[^a-zA-Z0-9_:]", "_", self.name)
        suffix = unit_suffix(self.unit, self.kind)
        if suffix and not base.endswith(suffix):
            base = f"{base}_{suffix}"
        labels = frozenset(re.sub(r"[^a-zA-Z0-9_]", "_", a) for a in self.attributes)
        if self.kind == "histogram":
            return {f"{base}_bucket": labels | {"le"}, f"{base}_count": labels, f"{base}_sum": labels}
        if self.kind == "counter":
            return {base if base.endswith("_total") else f"{base}_total": labels}
        return {base: labels}


def instrument_series(instruments: Iterable[Instrument]) -> dict[str, frozenset[str]]:
    """Every Prometheus series of these instruments."""
    out: dict[str, frozenset[str]] = {}
    for instrument in instruments:
        for metric, labels in instrument.prometheus_names().items():
            out[metric] = out.get(metric, frozenset()) | labels
    return out
