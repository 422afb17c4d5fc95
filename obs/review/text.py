"""`obs diff --format text`: one line per unchanged environment, indented details otherwise."""
from __future__ import annotations

from obs.review.compare import Change, Report

_MARK = {"added": "+", "removed": "-", "changed": "~", "summary": "*"}


def headline(change: Change) -> str:
    """'~ alert WebHighErrorRate' style first line of a change (shared by the text and markdown formats)."""
    noun = {"alerts": "alert", "slos": "SLO", "dashboards": "dashboard", "collectors": "collector config",
            "kubernetes": "", "routing": "routing", "scope": "", "other": "file", "recording rules": "",
            "generated": "generated"}.get(change.section, change.section)
    if change.kind == "summary":
        return f"{noun}: {change.name}" if noun and change.section == "generated" else (noun or change.section)
    return f"{noun} {change.name}".strip() + ("" if change.kind == "changed" else f" {change.kind}")


def entry(change: Change) -> tuple[str, str | None, list[str]]:
    """A change as its headline, the detail shown on the headline's line (a summary's first), and
    the details listed below it (shared by the text and markdown formats)."""
    details = list(change.details)
    inline = details.pop(0) if change.kind == "summary" and details else None
    return headline(change), inline, details


def render(report: Report) -> str:
    lines = [f"obs diff {report.base} -> {report.head}"]
    for scope in report.scopes:
        if scope.status == "unchanged":
            lines.append(f"{scope.name}: no change")
            continue
        lines.append(f"{scope.name}:" if scope.status == "changed" else f"{scope.name}: environment {scope.status}")
        for change in scope.changes:
            title, inline, details = entry(change)
            lines.append(f"  {_MARK[change.kind]} {title}" + (f": {inline}" if inline else ""))
            lines += [f"      {d}" for d in details]
    lines += [f"note: {n}" for n in report.notes]
    return "\n".join(lines) + "\n"
