"""`obs diff --format json`: the report for tools (stable keys, sorted)."""
from __future__ import annotations

import json
from dataclasses import asdict

from obs.review.compare import Report


def render(report: Report) -> str:
    return json.dumps({"base": report.base, "head": report.head, "changed": report.changed,
                       "scopes": [asdict(s) for s in report.scopes], "notes": report.notes},
                      indent=2, sort_keys=True) + "\n"
