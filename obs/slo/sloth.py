"""Import Sloth SLO specs and alert-window specs into the obs model.

Reads Sloth's `prometheus/v1` spec files (`version: prometheus/v1`, snake_case keys), its
`PrometheusServiceLevel` manifests (`apiVersion: sloth.slok.dev/v1`, camelCase keys) and its
`AlertWindows` specs (`--slo-period-windows-path`), one or many YAML documents per file.

Mapping: service/labels/slos[].labels -> SLO.labels (SLO's win), events -> EventsSLI,
raw -> RawSLI, alerting.name -> SLOAlerting.name in CamelCase (alerts `<name>Page` /
`<name>Ticket`), page/ticket `disable` -> no windows, annotations `runbook`/`runbook_url` ->
runbook_url, `summary` -> SLOAlerting.summary. Sloth's `--default-slo-period` is the import's
period; its windows are Google's for 28d and 30d, or an AlertWindows spec for the period.

Plugins (`slo_plugins`/`sloPlugins` and per-SLO `plugins` chains): the core rule generators and
validator (obs's own rules do their job), debug and noop have no effect on the rules;
`sloth.dev/contrib/denominator_corrected_rules/v1` -> EventsSLI(denominator_corrected=True);
`sloth.dev/contrib/info_labels/v1` -> SLO.info_labels (Sloth labels on). Every other plugin, SLI
plugins, per-severity annotations and `description` overrides are features obs cannot reproduce:
errors, or dropped and listed with --allow-dropped.

Changed with a note: the `severity` label (page -> critical, ticket -> warning), non-string label
values (written as strings), alert names (CamelCase). Clusters: Sloth specs usually aggregate with
plain `sum(...)` and pin the cluster as a spec label; obs serves every cluster with one rule set,
so the importer adds the cluster label to each aggregation's `by` and drops a pinned cluster label.
"""
from __future__ import annotations

import functools
from typing import Any, Mapping

from obs.errors import DefinitionError
from obs.model.checks import duration_seconds, split_plain_strings
from obs.model.rules import RESERVED_ANNOTATIONS
from obs.model.slo import RESERVED_LABELS, SLO, BurnRateWindow, EventsSLI, RawSLI, SLOAlerting
from obs.slo.importer import AlertWindowSet, Importer
from obs.validate.lint import aggregations

SPEC_VERSION = "prometheus/v1"
K8S_API = "sloth.slok.dev/v1"
# Plugins whose effect obs's own rules already have (rule generation, validation) or that have
# none on the rules (logging).
NEUTRAL_PLUGINS = {
    "sloth.dev/core/sli_rules/v1": "obs writes its own SLI rules",
    "sloth.dev/core/metadata_rules/v1": "obs writes its own metadata rules",
    "sloth.dev/core/alert_rules/v1": "obs writes its own burn-rate alerts",
    "sloth.dev/core/validate/v1": "obs validates the spec and checks the rules with promtool",
    "sloth.dev/core/debug/v1": "it only logs",
    "sloth.dev/core/noop/v1": "it does nothing",
}
DENOMINATOR_CORRECTED = "sloth.dev/contrib/denominator_corrected_rules/v1"
INFO_LABELS = "sloth.dev/contrib/info_labels/v1"
NOT_REPRODUCED = {
    "sloth.dev/contrib/rule_intervals/v1": "obs evaluates SLIs and alerts every minute (exact windows) and "
                                           "metadata every 2m; drop the plugin",
    "sloth.dev/contrib/remove_labels/v1": "drop the SLO's labels in the spec instead",
    "sloth.dev/contrib/error_budget_exhausted_alert/v1": "write the alert as an obs AlertRule on "
                                                         "slo:period_error_budget_remaining:ratio",
    "sloth.dev/contrib/validate_victoria_metrics/v1": "obs writes PromQL for Prometheus; rewrite the queries in "
                                                      "PromQL",
}


def _get(data: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A key in either spelling: Sloth's spec uses snake_case, its CRD camelCase."""
    return data.get(key, data.get(_camel_key(key), default))


@functools.lru_cache(maxsize=256)  # the spec's few key names, looked up for every SLO
def _camel_key(key: str) -> str:
    return "".join(p if i == 0 else p[:1].upper() + p[1:] for i, p in enumerate(key.split("_")))


def by_cluster(query: str, label: str = "cluster") -> tuple[str, int]:
    """`query` with `label` added to every aggregation that would drop it (`sum(x)` ->
    `sum by (label) (x)`, `sum by (a) (x)` -> `sum by (label, a) (x)`), and how many changed.
    `without` clauses are left alone. The edits never fall inside a string literal, so they are
    worked out once per shape (the query with its literals emptied: the specs of a thousand
    services differ only in them) and the literals put back."""
    parts = split_plain_strings(query)
    if parts is None or '"' in label:
        return _by_cluster(query, label)
    shape, count = _by_cluster_shape('""'.join(parts[::2]), label)
    if not count:
        return query, 0
    filled = shape.split('"')
    filled[1::2] = parts[1::2]
    return '"'.join(filled), count


@functools.lru_cache(maxsize=1024)
def _by_cluster_shape(shape: str, label: str) -> tuple[str, int]:
    return _by_cluster(shape, label)


def _by_cluster(query: str, label: str) -> tuple[str, int]:
    edits = []
    for _, start, clause, names in aggregations(query):
        if clause is None:
            edits.append((start, start, f" by ({label}) "))
        elif clause[0] == "by" and label not in names:
            edits.append((clause[1], clause[1], f"{label}, " if names else label))
    for begin, end, text in sorted(edits, reverse=True):
        query = query[:begin] + text + query[end:]
    return query, len(edits)


def is_sloth(doc: Any) -> bool:
    return isinstance(doc, dict) and (doc.get("version") == SPEC_VERSION or doc.get("apiVersion") == K8S_API)


class SlothImporter(Importer):
    """Reads Sloth documents of one file."""

    def query(self, query: Any, where: str, field_name: str) -> Any:
        """A Sloth query made to keep the cluster label (noted); non-strings pass to the model's checks."""
        if not isinstance(query, str):
            return query
        label = self.options.cluster_label
        query, count = by_cluster(query, label)
        if count:
            self.notes.append(f"{where}: {field_name}: added `{label}` to {count} aggregation(s) so each cluster "
                              "keeps its own SLI (one rule set serves every cluster)")
        return query

    def document(self, doc: dict, index: int) -> list[SLO]:
        document = f"document {index}"
        if doc.get("version") == SPEC_VERSION:
            spec = doc
        elif doc.get("kind") == "PrometheusServiceLevel":
            spec = doc.get("spec") or {}
            document += f" ({doc.get('metadata', {}).get('name', 'PrometheusServiceLevel')})"
            if {"name", "namespace"} & set(doc.get("metadata") or {}):
                self.notes.append(f"{self.where(document)}: metadata.name/namespace (the PrometheusServiceLevel's "
                                  "own) not kept: obs names its PrometheusRule slo-<service> and puts it in the "
                                  "environment's namespace")
            if (doc.get("metadata") or {}).get("labels"):
                self.notes.append(f"{self.where(document)}: metadata.labels (labels of Sloth's generated "
                                  "PrometheusRule) not imported: obs labels its PrometheusRules from the environment")
        elif doc.get("kind") == "AlertWindows":
            return []  # read by load_windows; allowed next to the SLOs
        else:
            raise self.error(self.where(document), "version", f"is neither `version: {SPEC_VERSION}` nor a {K8S_API} "
                             "PrometheusServiceLevel", "import Sloth prometheus/v1 specs or manifests")
        if not isinstance(spec, dict):
            raise self.error(self.where(document), "spec", "is not a mapping", "give a Sloth spec")
        slos = spec.get("slos") or []
        if not isinstance(slos, list) or not slos:
            raise self.error(self.where(document), "slos", "is empty", "list at least one SLO")
        group_plugins = _get(spec, "slo_plugins") or {}
        labels = self.labels(spec.get("labels"), self.where(document), "labels")
        out = []
        for i, item in enumerate(slos):
            if not isinstance(item, dict):
                raise self.error(self.where(document), f"slos[{i}]", "is not a mapping", "give name, objective, sli")
            try:
                slo = self.slo(spec.get("service"), labels, item, document, f"slos[{i}]", group_plugins)
            except DefinitionError as exc:
                if exc.definition.startswith(self.source):
                    raise
                name = item.get("name") if isinstance(item.get("name"), str) else None
                raise DefinitionError(f"{self.where(document, name)} ({exc.definition})", exc.field, exc.problem,
                                      exc.fix) from None
            if slo is not None:
                out.append(slo)
        return out

    def plugins(self, chains: list[tuple[str, Any]], where: str) -> dict[str, Any]:
        """What the SLO's plugin chains ask for: {'denominator_corrected': bool, 'info_labels': {...}}."""
        found: dict[str, Any] = {}
        for field_name, spec in chains:
            if not spec:
                continue
            chain = spec.get("chain") if isinstance(spec, dict) else None
            if not isinstance(chain, list):
                raise self.error(where, field_name, "has no `chain` list", "write plugins as chain: [{id: ...}]")
            if spec.get("overridePrevious"):
                self.notes.append(f"{where}: {field_name}.overridePrevious: obs's own rules replace Sloth's default "
                                  "chain either way")
            for i, plugin in enumerate(chain):
                plugin_id = plugin.get("id") if isinstance(plugin, dict) else None
                config = (plugin.get("config") if isinstance(plugin, dict) else None) or {}
                at = f"{field_name}.chain[{i}]"
                if plugin_id in NEUTRAL_PLUGINS:
                    self.notes.append(f"{where}: {at}: plugin {plugin_id} has no effect here: "
                                      f"{NEUTRAL_PLUGINS[plugin_id]}")
                elif plugin_id == DENOMINATOR_CORRECTED:
                    found["denominator_corrected"] = True
                    self.notes.append(f"{where}: {at}: {plugin_id}: each window's bad events are divided by the "
                                      "period's traffic (EventsSLI(denominator_corrected=True)); the period ratio is "
                                      "exact, as with disableOptimized: true")
                elif plugin_id == INFO_LABELS and not config.get("metricName"):
                    found["info_labels"] = {**found.get("info_labels", {}),
                                            **self.labels(config.get("labels"), where, f"{at}.config.labels")}
                else:
                    fix = NOT_REPRODUCED.get(str(plugin_id), "remove the plugin from the spec")
                    if plugin_id == INFO_LABELS:
                        fix = "drop metricName: obs writes the labels on sloth_slo_info"
                    self.unsupported(where, at, f"plugin {plugin_id!r}", fix)
        return found

    def slo(self, service: Any, labels: dict[str, str], item: Mapping[str, Any], document: str, at: str,
            group_plugins: Any) -> SLO | None:
        name = item.get("name")
        where = self.where(document, name if isinstance(name, str) else None)
        plugins = self.plugins([("slo_plugins", group_plugins), (f"{at}.plugins", item.get("plugins"))], where)
        sli = item.get("sli") or {}
        if "events" in sli:
            events = sli["events"] or {}
            sli_obj: EventsSLI | RawSLI = EventsSLI(
                bad=self.query(_get(events, "error_query"), where, f"{at}.sli.events.error_query"),
                total=self.query(_get(events, "total_query"), where, f"{at}.sli.events.total_query"),
                denominator_corrected=bool(plugins.get("denominator_corrected")))
        elif "raw" in sli:
            if plugins.get("denominator_corrected"):
                raise self.error(where, f"{at}.sli", f"{DENOMINATOR_CORRECTED} needs an events SLI",
                                 "write the SLI as events (error_query, total_query)")
            sli_obj = RawSLI(self.query(_get(sli["raw"] or {}, "error_ratio_query"), where,
                                        f"{at}.sli.raw.error_ratio_query"))
        elif "plugin" in sli:
            plugin_id = (sli.get("plugin") or {}).get("id")
            self.unsupported(where, f"{at}.sli.plugin", f"SLI plugin {plugin_id!r} (Go code loaded by Sloth at run "
                             "time; without its SLI the whole SLO)", "write the SLI the plugin generates as events or raw "
                             "queries")
            return None
        else:
            raise self.error(where, f"{at}.sli", f"has {sorted(sli) or 'no SLI'}",
                             "give an events (error_query, total_query) or raw (error_ratio_query) SLI")
        slo_labels = self.slo_labels({**labels, **self.labels(item.get("labels"), where, f"{at}.labels")}, where)
        period = self.options.period
        return self.build(where, service=service, name=name, objective=item.get("objective"), sli=sli_obj,
                          period=period, description=item.get("description") or "", labels=slo_labels,
                          alerting=self.alerting(item.get("alerting") or {}, where, f"{at}.alerting", period),
                          info_labels=plugins.get("info_labels", {}),
                          **({"sloth_labels": True} if plugins.get("info_labels") else {}))

    def alerting(self, spec: Mapping[str, Any], where: str, at: str, period: str) -> SLOAlerting:
        kwargs: dict[str, Any] = {"name": self.alert_name(spec.get("name"), where),
                                  "labels": self.alert_labels(spec.get("labels"), where, f"{at}.labels"),
                                  **self.window_kwargs(period, where)}
        kwargs.update(self.annotations(spec.get("annotations"), where, f"{at}.annotations"))
        for severity in ("page", "ticket"):
            sub = _get(spec, f"{severity}_alert") or {}
            if sub.get("disable"):
                kwargs[f"{severity}_windows"] = ()
            kwargs[f"{severity}_labels"] = self.alert_labels(sub.get("labels"), where, f"{at}.{severity}_alert.labels")
            if sub.get("annotations"):
                self.unsupported(where, f"{at}.{severity}_alert.annotations", "annotations for one severity only "
                                 "(obs's page and ticket alerts share one set)", "move them to alerting.annotations")
        return SLOAlerting(**kwargs)

    def slo_labels(self, labels: dict[str, str], where: str) -> dict[str, str]:
        """The SLO's labels without a pinned cluster (noted): the cluster comes from the data."""
        label = self.options.cluster_label
        if label in labels:
            value = labels.pop(label)
            self.notes.append(f"{where}: label {label}={value!r} dropped: the {label} label comes from the data, "
                              "so one rule set serves every cluster")
        return labels

    def alert_labels(self, labels: Any, where: str, field_name: str) -> dict[str, str]:
        out = {}
        for key, value in self.labels(labels, where, field_name).items():
            if key in RESERVED_LABELS:
                self.notes.append(f"{where}: {field_name}: {key}={value!r} dropped: obs sets {key} itself "
                                  "(severity: page -> critical, ticket -> warning)")
            else:
                out[key] = value
        return out

    def annotations(self, annotations: Any, where: str, field_name: str) -> dict[str, Any]:
        """SLOAlerting keywords from Sloth's alert annotations: runbook (Sloth's spelling) and
        runbook_url become runbook_url, summary the summary; description is not reproduced."""
        out: dict[str, Any] = {}
        extra = {}
        for key, value in self.labels(annotations, where, field_name).items():
            if key in ("runbook", "runbook_url"):
                if out.get("runbook_url") not in (None, value):
                    raise self.error(where, f"{field_name}.{key}", "a second, different runbook",
                                     "keep one of runbook and runbook_url")
                out["runbook_url"] = value
                if key == "runbook":
                    self.notes.append(f"{where}: {field_name}.runbook written as runbook_url (obs's annotation)")
            elif key == "summary":
                out["summary"] = value
            elif key in RESERVED_ANNOTATIONS:
                self.unsupported(where, f"{field_name}.{key}", f"a custom {key} annotation (obs writes a templated "
                                 "one with the burn rate and windows)", f"drop {key}")
            else:
                extra[key] = value
        if extra:
            out["annotations"] = extra
        return out

    def load(self, docs: list[tuple[int, Any]]) -> list[SLO]:
        slos = [slo for i, doc in docs for slo in self.document(doc, i)]
        self.refuse()  # every refusal of the file at once
        if any(slo.alerting.windows() for slo in slos):
            self.notes.append(f"{self.source}: Sloth's `title` annotation on burn alerts is not written: obs writes "
                              "`summary` and a `description` naming the burn rate and windows")
        return slos


def parse_windows(doc: Any, source: str) -> AlertWindowSet:
    """A Sloth AlertWindows document: page/ticket quick/slow windows for one SLO period, each
    stated as the share of the budget spent over the long window."""
    where = f"AlertWindows {source}"
    spec = doc.get("spec") if isinstance(doc, dict) else None
    if not isinstance(spec, dict):
        raise DefinitionError(where, "spec", "is missing", "give spec.sloPeriod, spec.page and spec.ticket")
    period = spec.get("sloPeriod")
    if not isinstance(period, str) or not duration_seconds(period or ""):
        raise DefinitionError(where, "spec.sloPeriod", f"{period!r} is not a period", "e.g. sloPeriod: 7d")
    sets = {}
    for severity in ("page", "ticket"):
        windows = []
        for speed in ("quick", "slow"):
            at = f"spec.{severity}.{speed}"
            w = (spec.get(severity) or {}).get(speed)
            if not isinstance(w, dict) or not all(w.get(k) for k in ("errorBudgetPercent", "shortWindow", "longWindow")):
                raise DefinitionError(where, at, "needs errorBudgetPercent, shortWindow and longWindow",
                                      "e.g. {errorBudgetPercent: 2, shortWindow: 5m, longWindow: 1h}")
            try:
                windows.append(BurnRateWindow.budget_share(w["longWindow"], w["shortWindow"],
                                                           w["errorBudgetPercent"], period))
            except DefinitionError as exc:
                raise DefinitionError(where, f"{at}.{exc.field}", exc.problem, exc.fix) from None
        sets[severity] = tuple(windows)
    return AlertWindowSet(period, sets["page"], sets["ticket"], source)


def is_windows(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("apiVersion") == K8S_API and doc.get("kind") == "AlertWindows"
