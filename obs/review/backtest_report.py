"""`obs backtest` results as text (old and new side by side) or JSON (every episode)."""
from __future__ import annotations

import json
import time
from typing import Any

from obs.model.checks import format_duration
from obs.review.alertstate import Episode
from obs.review.backtest import WEEK, Backtest, Side


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def _labels(episode: Episode) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in episode.labels if k != "alertname") + "}"


def _length(seconds: float) -> str:
    return format_duration(round(seconds / 60) * 60) if seconds >= 60 else f"{seconds:.0f}s"


def _column(side: Side, result: Backtest) -> list[str]:
    if side.rule is None:
        return ["(absent)", "-", "-", "-"]
    span = result.window.end - result.window.start
    return [f"every {format_duration(side.step)}, for {side.rule.for_}", str(len(side.episodes)),
            _length(side.firing_seconds(result.window.end)), f"{side.pages() * WEEK / span:.1f}"]


def text(result: Backtest) -> str:
    w = result.window
    lines = [(f"obs backtest {result.scope}: {_when(w.start)} to {_when(w.end)} UTC "
              f"({format_duration(w.end - w.start)}), {result.url}, {result.queries} queries"),
             f"{'':28}{'base: ' + result.base_label:34}head: {result.head_label}"]
    if not result.alerts and not result.slos:
        lines.append("no alerting rule or SLO changed (name some with --rule)")
    for alert in result.alerts:
        lines.append(alert.name)
        base, head = _column(alert.base, result), _column(alert.head, result)
        for title, x, y in zip(("evaluated", "firing episodes", "time firing", "pages per week"), base, head, strict=True):
            lines.append(f"  {title:26}{x:34}{y}")
        for side, name in ((alert.base, "base"), (alert.head, "head")):
            for episode in side.episodes[:10]:
                until = f"{_length(episode.duration(w.end))}" + ("" if episode.end is not None else ", still firing")
                lines.append(f"    {name}: {_when(episode.start)} ({until}) {_labels(episode)}")
            if len(side.episodes) > 10:
                lines.append(f"    {name}: ... {len(side.episodes) - 10} more episodes")
            if side.unexpanded:
                lines.append(f"    {name}: label templates kept verbatim: {', '.join(side.unexpanded)}")
    for slo in result.slos:
        ratio = "no SLI data" if slo.error_ratio is None else f"error ratio {slo.error_ratio:.4%}"
        parts = []
        for name, s in (("base", slo.base), ("head", slo.head)):
            share = slo.consumed(s, w.end - w.start)
            if s is not None:
                used = "-" if share is None else f"{share:.1%} of the {s.period_days:g}d budget ({share * s.budget_minutes:.1f} of {s.budget_minutes:.1f} min)"
                parts.append(f"{name} objective {s.objective * 100:.6g}%: {used}")
        lines.append(f"SLO {slo.name}: {ratio}; " + "; ".join(parts))
    return "\n".join(lines) + "\n"


def _side(side: Side, end: float) -> dict[str, Any]:
    return {"label": side.label, "present": side.rule is not None, "step": side.step,
            "for": side.rule.for_ if side.rule else None,
            "episodes": [{"labels": dict(e.labels), "start": e.start, "end": e.end} for e in side.episodes],
            "firing_seconds": side.firing_seconds(end), "pages": side.pages(), "unexpanded": side.unexpanded}


def as_json(result: Backtest) -> str:
    w = result.window
    return json.dumps({
        "scope": result.scope, "start": w.start, "end": w.end, "queries": result.queries,
        "alerts": [{"name": a.name, "base": _side(a.base, w.end), "head": _side(a.head, w.end)} for a in result.alerts],
        "slos": [{"name": s.name, "error_ratio": s.error_ratio,
                  "base": None if s.base is None else {"objective": s.base.objective,
                                                       "consumed": s.consumed(s.base, w.end - w.start)},
                  "head": None if s.head is None else {"objective": s.head.objective,
                                                       "consumed": s.consumed(s.head, w.end - w.start)}}
                 for s in result.slos]}, indent=2, sort_keys=True) + "\n"
