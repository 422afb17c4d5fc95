"""`obs import`: read SLO specs of any supported format and write one Python module.

Each YAML document is recognised by its header: Sloth `version: prometheus/v1`, Sloth
`apiVersion: sloth.slok.dev/v1` (`kind: PrometheusServiceLevel`, or `kind: AlertWindows`: windows
for one period), OpenSLO `apiVersion: openslo/v1alpha` or `openslo/v1` (`kind: SLO` / `SLI`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from obs.errors import DefinitionError
from obs.model.checks import duration_seconds
from obs.model.slo import SLO
from obs.slo.importer import AlertWindowSet, ImportOptions, check_builds, to_module
from obs.slo.openslo import OpenSLOImporter, is_openslo
from obs.slo.sloth import SlothImporter, is_sloth, is_windows, parse_windows
from obs.slo.yamlload import decode, load_documents

FORMATS_HELP = """\
formats (recognised per YAML document, several per file):
  Sloth prometheus/v1      version: prometheus/v1, service, labels, slos[] (snake_case keys)
  Sloth Kubernetes         apiVersion: sloth.slok.dev/v1, kind: PrometheusServiceLevel (camelCase keys)
  Sloth alert windows      apiVersion: sloth.slok.dev/v1, kind: AlertWindows (sloPeriod, page/ticket
                           quick/slow windows as budget shares), as Sloth's --slo-period-windows-path;
                           give them with --windows or in the imported files
  OpenSLO v1alpha          apiVersion: openslo/v1alpha, kind: SLO with ratioMetrics good/total, read
                           as Sloth reads it (objective i -> SLO <name>-<i>, no alerts)
  OpenSLO v1               apiVersion: openslo/v1, kind: SLO with an inline indicator or an
                           indicatorRef to a kind: SLI document (Prometheus ratioMetric)

periods: Google's windows exist for 28d and 30d; any other period needs windows designed for it
(--windows) or --scale-windows, as Sloth refuses a period it has no windows for.

Anything obs cannot reproduce exactly (plugins other than the core ones, denominator_corrected and
info_labels; SLI plugins; per-severity annotations; OpenSLO alert policies, calendar windows,
Timeslices) is an error naming the file, document, SLO and feature; --allow-dropped imports the
rest and lists what was left out in the module's DROPPED. What the import changed (label values
written as strings, alert names in CamelCase, obs's severity labels, the cluster label kept by
every aggregation) is listed in NOTES. The imported SLOs are built and checked with promtool
before the module is written.
"""


@dataclass
class ImportResult:
    slos: list[SLO] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _documents(text: str, source: str) -> list[tuple[int, Any]]:
    docs = [(i, d) for i, d in enumerate(load_documents(text, source)) if d is not None]
    if not docs:
        raise DefinitionError(source, "yaml", "is empty", "give a Sloth or OpenSLO spec")
    return docs


def add_windows(options: ImportOptions, windows: AlertWindowSet) -> None:
    """Register windows for their period; two different sets for one period are an error."""
    key = duration_seconds(windows.period)
    known = options.windows.get(key)
    if known is not None and (known.page, known.ticket) != (windows.page, windows.ticket):
        raise DefinitionError(f"AlertWindows {windows.source}", "spec.sloPeriod",
                              f"{windows.period} already has other windows (from {known.source})",
                              "give one AlertWindows spec per period")
    options.windows[key] = windows


def read_text(text: str, source: str, options: ImportOptions) -> ImportResult:
    """The SLOs of one file's text (windows documents in it apply to its SLOs)."""
    docs = _documents(text, source)
    for index, doc in docs:
        if is_windows(doc):
            add_windows(options, parse_windows(doc, f"{source} document {index}"))
    sloth = SlothImporter(source, options)
    openslo = OpenSLOImporter(source, options)
    sloth_docs, openslo_docs = [], []
    for index, doc in docs:
        if is_sloth(doc):
            sloth_docs.append((index, doc))
        elif is_openslo(doc):
            openslo_docs.append((index, doc))
        else:
            raise DefinitionError(f"{source} document {index}", "apiVersion", "is not a Sloth or OpenSLO document",
                                  "import Sloth prometheus/v1 specs, sloth.slok.dev/v1 PrometheusServiceLevel or "
                                  "AlertWindows, or OpenSLO v1/v1alpha SLO and SLI documents")
    slos = sloth.load(sloth_docs) + openslo.load(openslo_docs)
    return ImportResult(slos, sloth.notes + openslo.notes, sloth.dropped + openslo.dropped)


def read_file(path: Path, options: ImportOptions) -> ImportResult:
    if not path.is_file():
        raise DefinitionError("obs import", "FILE", f"{path} is not a file", "give a Sloth or OpenSLO YAML file")
    return read_text(decode(path.read_bytes(), path.name), path.name, options)


def load_windows(paths: Sequence[Path], options: ImportOptions) -> None:
    """AlertWindows specs from files or folders (*.yaml, *.yml, as Sloth walks its windows path)."""
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path]
        if not path.exists():
            raise DefinitionError("obs import", "--windows", f"{path} does not exist",
                                  "give an AlertWindows file or a folder of them")
        for file in files:
            for index, doc in _documents(decode(file.read_bytes(), file.name), file.name):
                if not is_windows(doc):
                    raise DefinitionError(f"{file.name} document {index}", "kind", "is not an AlertWindows spec",
                                          "give apiVersion: sloth.slok.dev/v1, kind: AlertWindows")
                add_windows(options, parse_windows(doc, f"{file.name} document {index}"))


def import_files(files: Sequence[Path], options: ImportOptions) -> tuple[ImportResult, list[str]]:
    """Every SLO of `files`, checked to build; and the file names for the module."""
    total = ImportResult()
    for file in files:
        result = read_file(file, options)
        total.slos += result.slos
        total.notes += result.notes
        total.dropped += result.dropped
    if total.slos:
        check_builds(total.slos, ", ".join(f.name for f in files), options)
    return total, [f.name for f in files]


def import_command(files: Sequence[Path], out: Path | None, options: ImportOptions,
                   windows: Sequence[Path] = ()) -> int:
    """`obs import FILE...`: print the module, or write it to `out`."""
    load_windows(windows, options)
    result, names = import_files(files, options)
    if not result.slos:
        raise DefinitionError("obs import", "FILE", "no SLO could be imported" +
                              (f" ({len(result.dropped)} dropped)" if result.dropped else ""),
                              "give specs with SLOs, or see DROPPED without --allow-dropped")
    module = to_module(result.slos, names, result.notes, result.dropped)
    if out is None:
        print(module, end="")
    else:
        out.write_text(module)
        extra = [f"{len(result.notes)} notes"] if result.notes else []
        extra += [f"{len(result.dropped)} dropped"] if result.dropped else []
        print(f"wrote {out} ({len(result.slos)} SLOs{', ' if extra else ''}{', '.join(extra)})")
    return 0


def load_sloth(path: str | Path, period: str = "30d", cluster_label: str = "cluster", **options: Any) -> list[SLO]:
    """The SLOs of a Sloth spec file, for use in a bundle: Definitions(slos=load_sloth(...))."""
    opts = ImportOptions(period=period, cluster_label=cluster_label, check_build=False, **options)
    return read_file(Path(path), opts).slos


def parse_sloth(text: str, period: str = "30d", source: str = "<text>", cluster_label: str = "cluster",
                **options: Any) -> tuple[list[SLO], list[str]]:
    """SLOs from Sloth YAML text, and notes on what was changed or dropped."""
    opts = ImportOptions(period=period, cluster_label=cluster_label, check_build=False, **options)
    result = read_text(text, source, opts)
    return result.slos, result.notes + result.dropped
