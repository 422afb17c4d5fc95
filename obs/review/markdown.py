"""`obs diff --format markdown`: a pull request comment (one section per changed environment)."""
from __future__ import annotations

from obs.review.compare import Report
from obs.review.text import entry

_MARK = {"added": "➕", "removed": "➖", "changed": "✏️", "summary": "•"}


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def render(report: Report) -> str:
    lines = [f"## obs diff: {_code(report.base)} → {_code(report.head)}", ""]
    unchanged = [s.name for s in report.scopes if s.status == "unchanged"]
    for scope in report.scopes:
        if scope.status == "unchanged":
            continue
        lines += [f"### {scope.name}" + ("" if scope.status == "changed" else f" (environment {scope.status})"), ""]
        for change in scope.changes:
            title, inline, details = entry(change)
            lines.append(f"- {_MARK[change.kind]} **{title}**" + (f": {inline}" if inline else ""))
            lines += [f"  - {_code(d)}" for d in details]
        lines.append("")
    if unchanged:
        lines += [f"No change in {', '.join(unchanged)}.", ""]
    lines += [f"> {n}" for n in report.notes]
    return "\n".join(lines).rstrip() + "\n"
