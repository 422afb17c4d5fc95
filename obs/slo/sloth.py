"""Import Sloth SLO specs into the obs model.

Reads Sloth's `prometheus/v1` spec files (`version: prometheus/v1`, snake_case keys) and
`PrometheusServiceLevel` manifests (`apiVersion: sloth.slok.dev/v1`, camelCase keys), one or
many YAML documents per file. Use `load_sloth(path)` in a bundle, or `obs import sloth FILE`
to write a Python module to own from then on.

Mapping: service/labels/slos[].labels -> SLO.labels (SLO's win), events -> EventsSLI,
raw -> RawSLI, alerting.name -> SLOAlerting.name (alerts `<name>Page` / `<name>Ticket`),
page/ticket `disable` -> no windows. Sloth's `--default-slo-period` is `period` here, and its
default Google windows are obs' defaults (scaled to the period the same way). What obs sets
itself is dropped with a note: the `severity` label (page -> critical, ticket -> warning),
summary/description annotations and per-severity annotations; plugin SLIs are rejected.

Clusters: Sloth specs usually aggregate with plain `sum(...)` and pin the cluster as a spec label
(`labels: {cluster: ...}`), one rule set per cluster. obs serves every cluster with one rule set,
so the importer adds the cluster label to each aggregation's `by` (every cluster keeps its own
SLI; on single-cluster data the label is simply empty) and drops a pinned cluster label, with a
note for each.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from obs.errors import DefinitionError
from obs.model.rules import RESERVED_ANNOTATIONS
from obs.model.slo import RESERVED_LABELS, SLO, EventsSLI, RawSLI, SLOAlerting
from obs.validate.lint import aggregations

SPEC_VERSION = "prometheus/v1"
K8S_API = "sloth.slok.dev/v1"
QUOTES = '"' * 3


def _get(data: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A key in either spelling: Sloth's spec uses snake_case, its CRD camelCase."""
    camel = re.sub(r"_([a-z])", lambda m: m[1].upper(), key)
    return data.get(key, data.get(camel, default))


def by_cluster(query: str, label: str = "cluster") -> tuple[str, int]:
    """`query` with `label` added to every aggregation that would drop it (`sum(x)` ->
    `sum by (label) (x)`, `sum by (a) (x)` -> `sum by (label, a) (x)`), and how many changed.
    `without` clauses are left alone."""
    edits = []
    for _, start, clause, names in aggregations(query):
        if clause is None:
            edits.append((start, start, f" by ({label}) "))
        elif clause[0] == "by" and label not in names:
            edits.append((clause[1], clause[1], f"{label}, " if names else label))
    for begin, end, text in sorted(edits, reverse=True):
        query = query[:begin] + text + query[end:]
    return query, len(edits)


class _Importer:
    def __init__(self, source: str, period: str, cluster_label: str = "cluster") -> None:
        self.source = source
        self.period = period
        self.cluster_label = cluster_label
        self.notes: list[str] = []

    def query(self, query: Any, where: str) -> Any:
        """A Sloth query made to keep the cluster label (noted); non-strings pass to the model's checks."""
        if not isinstance(query, str):
            return query
        query, count = by_cluster(query, self.cluster_label)
        if count:
            self.notes.append(f"{where}: added `{self.cluster_label}` to {count} aggregation(s) so each cluster "
                              "keeps its own SLI (one rule set serves every cluster)")
        return query

    def error(self, field: str, problem: str, fix: str = "") -> DefinitionError:
        return DefinitionError(f"Sloth spec {self.source}", field, problem, fix)

    def document(self, doc: Any, index: int) -> list[SLO]:
        if not isinstance(doc, dict):
            raise self.error(f"document {index}", "is not a mapping", "give a Sloth spec or manifest")
        if doc.get("version") == SPEC_VERSION:
            spec, where = doc, f"document {index}"
        elif doc.get("apiVersion") == K8S_API and doc.get("kind") == "PrometheusServiceLevel":
            spec, where = doc.get("spec") or {}, f"document {index}.spec"
        else:
            raise self.error(f"document {index}", f"is neither `version: {SPEC_VERSION}` nor a {K8S_API} "
                             "PrometheusServiceLevel", "import Sloth prometheus/v1 specs or manifests only")
        service = spec.get("service")
        slos = spec.get("slos") or []
        if not slos:
            raise self.error(f"{where}.slos", "is empty", "list at least one SLO")
        return [self.slo(service, dict(spec.get("labels") or {}), item, f"{where}.slos[{i}]")
                for i, item in enumerate(slos)]

    def slo(self, service: Any, labels: dict[str, str], item: Mapping[str, Any], where: str) -> SLO:
        sli = item.get("sli") or {}
        if "events" in sli:
            events = sli["events"]
            sli_obj: EventsSLI | RawSLI = EventsSLI(
                bad=self.query(_get(events, "error_query"), f"{where}.sli.events.error_query"),
                total=self.query(_get(events, "total_query"), f"{where}.sli.events.total_query"))
        elif "raw" in sli:
            sli_obj = RawSLI(self.query(_get(sli["raw"], "error_ratio_query"), f"{where}.sli.raw.error_ratio_query"))
        else:
            raise self.error(f"{where}.sli", f"has {sorted(sli) or 'no SLI'}; obs imports events and raw SLIs",
                             "rewrite plugin SLIs as events or raw queries")
        return SLO(service=service, name=item.get("name"), objective=item.get("objective"), sli=sli_obj,
                   period=self.period, description=item.get("description") or "",
                   labels=self.slo_labels({**labels, **(item.get("labels") or {})}, where),
                   alerting=self.alerting(item.get("alerting") or {}, where))

    def alerting(self, spec: Mapping[str, Any], where: str) -> SLOAlerting:
        extra: dict[str, Any] = {}
        annotations = self.annotations(spec.get("annotations"), where, extra)
        kwargs: dict[str, Any] = {"name": spec.get("name"), "labels": self.labels(spec.get("labels"), where),
                                  "annotations": annotations, **extra}
        for severity in ("page", "ticket"):
            sub = _get(spec, f"{severity}_alert") or {}
            if sub.get("disable"):
                kwargs[f"{severity}_windows"] = ()
            kwargs[f"{severity}_labels"] = self.labels(sub.get("labels"), f"{where}.{severity}_alert")
            if sub.get("annotations"):
                self.notes.append(f"{where}.{severity}_alert.annotations dropped: obs alerts share one set")
        return SLOAlerting(**kwargs)

    def slo_labels(self, labels: dict[str, str], where: str) -> dict[str, str]:
        """The SLO's labels without a pinned cluster (noted): the cluster comes from the data."""
        if self.cluster_label in labels:
            value = labels.pop(self.cluster_label)
            self.notes.append(f"{where}: label {self.cluster_label}={value!r} dropped: the {self.cluster_label} "
                              "label comes from the data, so one rule set serves every cluster")
        return labels

    def labels(self, labels: Mapping[str, str] | None, where: str) -> dict[str, str]:
        out = {}
        for key, value in (labels or {}).items():
            if key in RESERVED_LABELS:
                self.notes.append(f"{where}: label {key}={value!r} dropped: obs sets {key} itself "
                                  "(severity: page -> critical, ticket -> warning)")
            else:
                out[key] = value
        return out

    def annotations(self, annotations: Mapping[str, str] | None, where: str,
                    extra: dict[str, Any]) -> dict[str, str]:
        out = {}
        for key, value in (annotations or {}).items():
            if key == "runbook_url":
                extra["runbook_url"] = value
            elif key in RESERVED_ANNOTATIONS:
                self.notes.append(f"{where}: annotation {key} dropped: obs writes a static summary and "
                                  "a templated description")
            else:
                out[key] = value
        return out

    def load(self, text: str) -> list[SLO]:
        try:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as exc:
            raise self.error("yaml", f"is not valid YAML: {exc}", "fix the file's syntax") from None
        if not docs:
            raise self.error("yaml", "is empty", "give a Sloth spec or manifest")
        return [slo for i, doc in enumerate(docs) for slo in self.document(doc, i)]


def parse_sloth(text: str, period: str = "30d", source: str = "<text>",
                cluster_label: str = "cluster") -> tuple[list[SLO], list[str]]:
    """SLOs from Sloth YAML text, and notes on what was changed or dropped."""
    importer = _Importer(source, period, cluster_label)
    return importer.load(text), importer.notes


def load_sloth(path: str | Path, period: str = "30d", cluster_label: str = "cluster") -> list[SLO]:
    """The SLOs of a Sloth spec file, for use in a bundle: Definitions(slos=load_sloth(...))."""
    return parse_sloth(Path(path).read_text(), period, str(path), cluster_label)[0]


def _py(value: Any, indent: int) -> str:
    """Python source for a model value (dataclasses list only non-default fields)."""
    pad = "    " * (indent + 1)
    if dataclasses.is_dataclass(value):
        parts = []
        for f in dataclasses.fields(value):
            if not f.init:
                continue
            current = getattr(value, f.name)
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING)
            if default is dataclasses.MISSING or _plain(current) != _plain(default):
                parts.append(f"{pad}{f.name}={_py(current, indent + 1)},\n")
        return f"{type(value).__name__}(\n{''.join(parts)}{'    ' * indent})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {_py(v, indent)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_py(v, indent) for v in value) + "]"
    return repr(value)


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def to_module(slos: list[SLO], notes: list[str], source: str) -> str:
    """A Python module defining SLOS, ready to be owned and edited."""
    names = sorted({"SLO", "SLOAlerting", *(type(s.sli).__name__ for s in slos)})
    header = [f'"""SLOs imported from {source} by `obs import sloth`.', "",
              "Use them in a bundle: Definitions(slos=SLOS)."]
    if notes:
        header += ["", "Changed or not imported:"] + [f"- {note}".replace(QUOTES, "'''") for note in notes]
    body = ",\n".join("    " + _py(slo, 1) for slo in slos)
    return "\n".join(header) + '\n"""\n' + f"from obs import {', '.join(names)}\n\nSLOS = [\n{body},\n]\n"


def import_command(file: Path, out: Path | None, period: str) -> int:
    """`obs import sloth FILE`: print the module, or write it to `out`."""
    if not file.is_file():
        raise DefinitionError("obs import sloth", "FILE", f"{file} is not a file", "give a Sloth spec file")
    slos, notes = parse_sloth(file.read_text(), period, file.name)
    module = to_module(slos, notes, file.name)
    if out is None:
        print(module, end="")
    else:
        out.write_text(module)
        print(f"wrote {out} ({len(slos)} SLOs{', ' + str(len(notes)) + ' notes' if notes else ''})")
    return 0
