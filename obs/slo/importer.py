"""What every SLO import shares: options, notes and dropped features, label and alert-name
normalisation, alert windows per period, the import-time build check, and the Python module
written for the user to own.

Errors name the file and document, the SLO and the field. A feature obs cannot reproduce exactly
(a plugin, a per-severity annotation, an OpenSLO alert policy...) is an error unless the user passes
`allow_dropped` (`--allow-dropped`): then the feature (or the SLO, when nothing of it can be kept)
is left out and listed in the module's DROPPED list. Changes that keep the meaning (a label value
written as a string, an alert name in CamelCase, obs's severity labels) are NOTES.

The module quotes every imported string with repr(), never inside a docstring or comment, so
no file name or spec text can end a string and run as code when the module is imported.
"""
from __future__ import annotations

import dataclasses
import functools
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from obs.errors import DefinitionError, ToolMissingError, ValidationError
from obs.model.checks import DURATION_RE, duration_seconds
from obs.model.slo import SLO, BurnRateWindow, RawSLI, google_windows
from obs.serialize import to_yaml


@dataclass(frozen=True)
class AlertWindowSet:
    """Page and ticket windows designed for one SLO period (Sloth's AlertWindows spec)."""

    period: str
    page: tuple[BurnRateWindow, ...]
    ticket: tuple[BurnRateWindow, ...]
    source: str = ""


@dataclass
class ImportOptions:
    """How to import: the default period, alert windows per period (from --windows), whether to
    scale windows designed for another period, to drop what obs cannot reproduce, to write Sloth's
    labels; the cluster label the SLI queries keep; the SLI series' scrape interval."""

    period: str = "30d"
    windows: dict[float, AlertWindowSet] = field(default_factory=dict)
    scale_windows: bool = False
    allow_dropped: bool = False
    sloth_labels: bool = False
    cluster_label: str = "cluster"
    scrape_interval: str = "30s"
    check_build: bool = True
    # Who vouches for the imported SLOs' metrics (SLO.asserted_source); default `obs import <file>`.
    asserted_source: str | None = None


class Importer:
    """Collects notes and dropped features while reading one file."""

    def __init__(self, source: str, options: ImportOptions) -> None:
        self.source = source
        self.options = options
        self.notes: list[str] = []
        self.dropped: list[str] = []
        self.refused: list[DefinitionError] = []

    def where(self, document: str, slo: str | None = None) -> str:
        return f"{self.source} {document}" + (f" SLO {slo!r}" if slo else "")

    def error(self, where: str, field_name: str, problem: str, fix: str = "") -> DefinitionError:
        return DefinitionError(where, field_name, problem, fix)

    def unsupported(self, where: str, field_name: str, feature: str, fix: str) -> None:
        """A feature obs cannot reproduce exactly: with allow_dropped listed as dropped; otherwise
        a refusal, collected so that `refuse()` reports every refusal of the file in one error."""
        if not self.options.allow_dropped:
            self.refused.append(self.error(where, field_name, f"{feature}: obs cannot reproduce it exactly",
                                           f"{fix}; or pass --allow-dropped to import the rest and list it as dropped"))
            return
        self.dropped.append(f"{where}: {field_name}: {feature}")

    def refuse(self) -> None:
        """Raise the file's refusals: the only one as it is, several in one error listing each."""
        if len(self.refused) == 1:
            raise self.refused[0]
        if self.refused:
            raise DefinitionError(self.source, "refused", f"{len(self.refused)} features obs cannot reproduce "
                                  "exactly:\n  " + "\n  ".join(str(e) for e in self.refused),
                                  "drop them from the spec, or pass --allow-dropped to import the rest and list "
                                  "them as dropped")

    def labels(self, labels: Any, where: str, field_name: str) -> dict[str, str]:
        """Labels as strings; a non-string value is written as YAML spells it, with a note."""
        if labels is None:
            return {}
        if not isinstance(labels, Mapping):
            raise self.error(where, field_name, f"{labels!r} is not a mapping of labels", "write `name: value` pairs")
        out = {}
        for key, value in labels.items():
            if not isinstance(value, str):
                text = yaml_scalar(value)
                if text is None:
                    raise self.error(where, f"{field_name}.{key}", f"{value!r} is not a label value",
                                     "give a string, number or boolean")
                self.notes.append(f"{where}: {field_name}.{key}: {value!r} written as the string {text!r}")
                value = text
            out[str(key)] = value
        return out

    def alert_name(self, name: Any, where: str) -> str | None:
        """An alert name stem in CamelCase (`myServiceAlert` -> `MyServiceAlert`), noted when changed."""
        if name is None or name == "":
            return None
        if not isinstance(name, str):
            raise self.error(where, "alerting.name", f"{name!r} is not an alert name", "give a CamelCase name")
        camel = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^a-zA-Z0-9]+", name) if part)
        if not camel or not camel[0].isalpha():
            raise self.error(where, "alerting.name", f"{name!r} has no letters to start an alert name",
                             "give a CamelCase name such as MyServiceHighErrorRate")
        if camel != name:
            self.notes.append(f"{where}: alert name {name!r} written as {camel!r} (alert names are CamelCase)")
        return camel

    def period(self, value: Any, where: str, field_name: str) -> str:
        return self.duration(value, where, field_name) if value is not None else self.options.period

    def duration(self, value: Any, where: str, field_name: str) -> str:
        if not isinstance(value, str) or not DURATION_RE.match(value) or not duration_seconds(value):
            raise self.error(where, field_name, f"{value!r} is not a duration", "write e.g. 30d, 7d or 1h")
        return value

    def window_kwargs(self, period: str, where: str) -> dict[str, Any]:
        """SLOAlerting keywords for `period`: windows from --windows, Google's (28d, 30d), or
        scaling on request; otherwise an error, as Sloth refuses a period it has no windows for."""
        chosen = self.options.windows.get(duration_seconds(period))
        if chosen is not None:
            return {"page_windows": chosen.page, "ticket_windows": chosen.ticket}
        if google_windows(period) is not None:
            return {}
        if self.options.scale_windows:
            self.notes.append(f"{where}: Google's 30d windows scaled to the {period} period (--scale-windows): "
                              "the same budget shares, at factors nobody designed for this period")
            return {"scale_windows": True}
        raise self.error(where, "period", f"no alert windows are designed for a {period} period (Sloth has "
                         "windows for 28d and 30d only)", "pass --windows with a Sloth AlertWindows spec for "
                         f"{period} (sloPeriod: {period}), or --scale-windows to scale Google's 30d windows")

    def build(self, where: str, **kwargs: Any) -> SLO:
        """The SLO with the import's options, noting what it changed (e.g. a window pair dropped
        because it could never fire)."""
        kwargs["sloth_labels"] = bool(kwargs.get("sloth_labels")) or self.options.sloth_labels
        kwargs.setdefault("scrape_interval", self.options.scrape_interval)
        # The spec's metrics are the user's word: asserted, so Definitions(slos=SLOS) builds under the
        # coherence check, which still checks the labels the queries use against each other.
        kwargs.setdefault("asserted_source", self.options.asserted_source or f"obs import {Path(self.source).name}")
        try:
            slo = SLO(**kwargs)
        except DefinitionError as exc:
            raise DefinitionError(f"{where} ({exc.definition})", exc.field, exc.problem, exc.fix) from None
        self.notes.extend(f"{where}: {note}" for note in slo.notes)
        self.notes.extend(f"{where}: {note}" for note in parity_notes(slo))
        return slo


def parity_notes(slo: SLO) -> list[str]:
    """Where obs deliberately differs from Sloth for this SLO (issue 18), said in NOTES."""
    notes = []
    if isinstance(slo.sli, RawSLI):
        notes.append("raw SLI: obs records the error ratio once a minute and a window is the average of its "
                     "1-minute values (each minute weighs the same); Sloth evaluates the query over the whole "
                     "window, which weighs each sample as the query does: the two differ when the number of "
                     "series changes within a window")
    if not slo.alerting.windows():
        notes.append("no alerts: obs records the 5m and period ratios only (dashboards read those); Sloth writes "
                     "8 windows (5m, 30m, 1h, 2h, 6h, 1d, 3d and the period) whatever the alerts")
    if slo.sloth_labels:
        notes.append("sloth_slo_info and slo:objective:ratio follow the SLI's series (one per cluster): with no "
                     "traffic they are absent, where Sloth's constants are always there; with several clusters "
                     "Sloth's dashboard 14348 month-budget panel needs `max by (sloth_id)` around them")
    return notes


def yaml_scalar(value: Any) -> str | None:
    """A YAML scalar as its text (True -> 'true', 90 -> '90', 0.2 -> '0.2'); None for collections."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if value is None:
        return ""
    return None


def check_builds(slos: list[SLO], source: str, options: ImportOptions) -> None:
    """Render the SLOs' rules and run the lint and `promtool check rules` on them, so an imported
    spec builds or fails here, naming the SLO (skipped with a note when promtool is missing)."""
    from obs.model.environment import Environment
    from obs.render.prometheus import render_rule_groups
    from obs.slo.rules import group_prefix, slo_rule_packs
    from obs.validate import promtool
    from obs.validate.lint import lint_pack

    env = Environment("import", cluster="import", cluster_label=options.cluster_label)
    packs = slo_rule_packs(slos, env, with_tests=False)  # the build's job; here only the rules
    by_prefix = {group_prefix(slo): slo for slo in slos}
    for pack in packs:
        for issue in lint_pack(env, pack):
            if issue.level == "error":
                slo = next((s for p, s in by_prefix.items() if p in issue.definition), None)
                raise DefinitionError(f"{source} SLO {slo.definition if slo else issue.definition}", issue.check,
                                      issue.message, "fix the spec's query")
    if not options.check_build:
        return
    with tempfile.TemporaryDirectory(prefix="obs-import-") as tmp:
        files = []
        for pack in packs:
            path = Path(tmp) / f"{pack.name}.yaml"
            # A scratch file for promtool only, written by the build's own YAML writer (PyYAML's
            # representer, even over libyaml's emitter, took most of a 1,000-SLO import).
            path.write_bytes(to_yaml(render_rule_groups(env, pack)))
            files.append(path)
        try:
            promtool.check_rules(files, Path(tmp))
        except ToolMissingError:
            return
        except ValidationError as exc:  # names the failing group: find its SLO
            text = str(exc)
            slo = next((s for p, s in sorted(by_prefix.items(), key=lambda i: -len(i[0])) if p in text), None)
            name = f"SLO {slo.service}/{slo.name}" if slo else "an SLO"
            raise DefinitionError(f"{source} {name}", "sli", "its rules do not pass `promtool check rules` "
                                  f"(is the query PromQL?):\n{text}", "write the SLI queries in PromQL "
                                  "(MetricsQL functions such as histogram_share() are VictoriaMetrics only)") from None


def _py(value: Any, indent: int) -> str:
    """Python source for a model value (dataclasses list only non-default init fields); every
    string goes through repr(), so no text can escape its literal."""
    pad = "    " * (indent + 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = _init_fields(type(value))
        if all(isinstance(getattr(value, name), (str, int, float)) for name, _ in fields):  # small: one line
            line = f"{type(value).__name__}({', '.join(f'{name}={getattr(value, name)!r}' for name, _ in fields)})"
            if len(line) < 100:
                return line
        parts = []
        for name, default in fields:
            current = getattr(value, name)
            if default is dataclasses.MISSING or _plain(current) != _plain(default):
                parts.append(f"{pad}{name}={_py(current, indent + 1)},\n")
        return f"{type(value).__name__}(\n{''.join(parts)}{'    ' * indent})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {_py(v, indent)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_py(v, indent) for v in value) + "]"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return repr(value)
    raise TypeError(f"cannot write {value!r} as Python")


@functools.lru_cache(maxsize=None)
def _init_fields(kind: type) -> tuple[tuple[str, Any], ...]:
    """(name, default or MISSING) of a dataclass's init fields, in order (a fresh default from a
    factory: factories here make empty containers, compared by value)."""
    return tuple((f.name, f.default if f.default is not dataclasses.MISSING else (
        f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING))
        for f in dataclasses.fields(kind) if f.init)


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def _names(slos: list[SLO]) -> list[str]:
    names = {"SLO", "SLOAlerting"}
    for slo in slos:
        names.add(type(slo.sli).__name__)
        if any(slo.alerting.windows().values()):
            names.add("BurnRateWindow")
    return sorted(names)


def to_module(slos: list[SLO], sources: list[str], notes: list[str], dropped: list[str]) -> str:
    """A Python module defining SLOS (plus SOURCES, NOTES, DROPPED), ready to be owned and edited."""
    lines = ['"""SLOs imported by `obs import` (the files are listed in SOURCES).', "",
             "Use them in a bundle: Definitions(slos=SLOS). NOTES lists what the import changed, DROPPED",
             "what obs could not reproduce and left out (--allow-dropped): review both.", '"""',
             f"from obs import {', '.join(_names(slos))}", "",
             f"SOURCES = {_lines(sources)}", f"NOTES = {_lines(notes)}", f"DROPPED = {_lines(dropped)}", "",
             "SLOS = [", *(f"    {_py(slo, 1)}," for slo in slos), "]", ""]
    return "\n".join(lines)


def _lines(items: list[str]) -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"    {item!r},\n" for item in items) + "]"

