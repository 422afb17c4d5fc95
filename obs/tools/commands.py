"""`obs tools` (what is installed, where, which version) and `obs tools install` (get what is missing)."""
from __future__ import annotations

import sys
from typing import IO, Sequence

from obs.errors import ObsError, ToolMissingError
from obs.model.bundle import Bundle
from obs.progress import progress
from obs.tools import find
from obs.tools.registry import TOOLS, Needs, Setup, Status, Tool, status, tool


def bundle_needs(bundle: Bundle) -> Needs:
    """The tools a bundle's validation needs: otelcol built from the components its collectors use
    in any environment (one binary validates every environment)."""
    import yaml

    from obs.collector.builder import merge_manifests
    from obs.render import render_environment
    from obs.render.collector import BUILDER_MANIFEST
    from obs.render.jaeger import CONFIG_FILE as JAEGER_CONFIG
    manifests, optional = [], set()
    for env in bundle.environments:
        files = render_environment(bundle, env)
        if BUILDER_MANIFEST in files:
            manifests.append(yaml.safe_load(files[BUILDER_MANIFEST]))
        if JAEGER_CONFIG in files:
            optional.add("jaeger")
    return Needs(merge_manifests(manifests), f"bundle {bundle.name!r}", frozenset(optional))


def reference_needs() -> Needs:
    """Without a bundle: otelcol with every component obs knows (obs's own tests need this one)."""
    from obs.collector.builder import reference_manifest
    return Needs(reference_manifest(), "every registered component")


def print_status(rows: Sequence[Status], needs: Needs, out: IO[str] = sys.stdout) -> None:
    """A table: tool, state, version, path; then how to get each missing tool."""
    print(f"tools for {needs.source} (cache: {find.cache_dir()})", file=out)
    table = [("TOOL", "STATE", "VERSION", "PATH")]
    for row in rows:
        if not row.tool.needed(needs) and not row.tool.optional:
            state = f"{'present' if row.path else 'missing'}, not needed (no collectors)"
        else:
            state = "present" if row.path else ("MISSING" if row.needed else "missing (optional)")
        table.append((row.tool.name, state, row.version or "-", str(row.path or "-")))
    widths = [max(len(line[i]) for line in table) for i in range(3)]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line[:3], widths, strict=True)) + "  " + line[3], file=out)
    for row in rows:
        if not row.path:
            print(f"\n{row.tool.name}: {row.tool.purpose}\n  {row.problem}\n  by hand: {row.tool.by_hand}",
                  file=out)


def show(needs: Needs) -> int:
    """`obs tools`: exit 1 when a tool validation needs is missing."""
    rows = status(needs)
    print_status(rows, needs)
    return 1 if any(row.needed and not row.path for row in rows) else 0


def selected_tools(names: Sequence[str], with_optional: Sequence[str], needs: Needs) -> list[Tool]:
    """The named tools, else every tool validation needs plus the optional ones asked for."""
    if names:
        unknown = sorted(set(names) - {t.name for t in TOOLS})
        if unknown:
            raise ObsError(f"unknown tool {', '.join(unknown)} (fix: choose from {', '.join(t.name for t in TOOLS)})")
        chosen = [tool(name) for name in dict.fromkeys(names)]
        if any(t.name == "otelcol" for t in chosen) and needs.otelcol_manifest is None:
            raise ObsError(f"{needs.source} has no collectors, so there is no otelcol to build "
                           "(fix: pass --all-components to build the collector with every component)")
        return chosen
    return [t for t in TOOLS if t.needed(needs) or t.name in with_optional]


def install(tools: Sequence[Tool], needs: Needs, apt: bool = True, out: IO[str] = sys.stdout) -> int:
    """Install each tool that is missing (Debian packages only if `apt`); progress on stderr, then one
    `name version: path` line per tool on `out`."""
    lines = []
    with progress("obs tools install", total=len(tools)) as bar:
        for item in tools:
            try:
                path, outcome = item.locate(needs), "present"
            except ToolMissingError:
                bar.message(f"{item.name}: installing ({item.purpose})")

                def step(text: str, name: str = item.name) -> None:
                    bar.message(f"{name}: {text}")
                path, outcome = item.install(Setup(needs, step, apt)), "installed"
            bar.advance(note=item.name, outcome=outcome)
            lines.append(f"{item.name} {find.tool_version(path)}: {path}" + (" (present)" if outcome == "present" else ""))
    for line in lines:
        print(line, file=out)
    return 0
