"""Canary analysis from SLOs: an Argo Rollouts AnalysisTemplate (argoproj.io/v1alpha1) per
service whose canary is gated. Each of the service's SLOs becomes one metric: the canary's
success ratio over the canary window, from the SLO's own SLI queries with the canary's label
matchers (the `canary-selector` argument) added to every selector, passing while it meets the
SLO objective. No canary traffic gives no result, which Argo counts as an error (not a pass)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence

from obs.errors import DefinitionError
from obs.model.service import Canary, Service
from obs.model.slo import SLO, EventsSLI, LatencySLI, RawSLI, with_window

ARG = "canary-selector"
PLACEHOLDER = "{{args.%s}}" % ARG
_QUOTES = "\"'`"
_IDENT_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:")


def scope(query: str, matcher: str = PLACEHOLDER) -> str:
    """`query` with `matcher` added to every vector selector's braces. A selector without braces
    (e.g. `rate(x_total[5m])`) cannot be scoped: ValueError names it."""
    out: list[str] = []
    index, quote = 0, ""
    while index < len(query):
        char = query[index]
        out.append(char)
        if quote:
            if char == "\\" and quote != "`" and index + 1 < len(query):
                out.append(query[index + 1])
                index += 1
            elif char == quote:
                quote = ""
        elif char in _QUOTES:
            quote = char
        elif char == "{":
            # A space after the brace: Argo's template engine would read "{{{" as "{{" + "{args...".
            closes = query[index + 1:].lstrip().startswith("}")
            out.append(f" {matcher} " if closes else f" {matcher}, ")
        elif char == "[":
            before = "".join(out[:-1]).rstrip()
            if before and before[-1] in _IDENT_CHARS:
                raise ValueError(f"selector {before.split()[-1].split('(')[-1]!r} has no braces")
        index += 1
    return "".join(out)


def _success_query(slo: SLO, window: str, matchers: str = "") -> str:
    sli = slo.sli
    matcher = f"{matchers}, {PLACEHOLDER}" if matchers else PLACEHOLDER
    try:
        if isinstance(sli, (EventsSLI, LatencySLI)):
            bad, total = (scope(with_window(q, window), matcher) for q in (sli.bad, sli.total))
            return f"1 - (\n  sum({bad})\n/\n  sum({total})\n)"
        assert isinstance(sli, RawSLI)
        return f"1 - max({scope(with_window(sli.error_ratio, window), matcher)})"
    except ValueError as exc:
        raise DefinitionError(slo.definition, "sli", f"cannot be scoped to a canary: {exc}",
                              "write every selector with braces, e.g. x_total{job=\"a\"}[{{window}}]") from None


def threshold(slo: SLO) -> str:
    """The objective as a ratio, written exactly (99.9 -> '0.999')."""
    return format(slo.objective_ratio.normalize(), "f") if slo.objective_ratio != Decimal(1) else "1"


def metric(slo: SLO, canary: Canary, prometheus: str, matchers: str = "") -> dict[str, Any]:
    """One AnalysisTemplate metric: the canary must meet the SLO's objective. `matchers` (e.g.
    `cluster="eu1"`) join the canary selector in every selector."""
    return {
        "name": slo.name,
        "interval": canary.interval,
        "count": canary.count,
        "failureLimit": canary.failure_limit,
        "successCondition": f"result[0] >= {threshold(slo)}",
        "provider": {"prometheus": {"address": prometheus, "query": _success_query(slo, canary.window, matchers)}},
    }


def analysis_template(service: Service, slos: Sequence[SLO], prometheus: str,
                      metadata: dict[str, Any], matchers: str = "") -> dict[str, Any]:
    """The AnalysisTemplate gating `service`'s canary on `slos` (those whose service is its name),
    querying `prometheus`; `matchers` join the canary selector (a cluster's, over a global store)."""
    canary = service.canary
    assert canary is not None
    mine = [s for s in slos if s.service == service.name]
    if not mine:
        raise DefinitionError(service.definition, "canary", f"no SLO has service={service.name!r}, so there is "
                              "nothing to gate the canary on", "define its SLOs, or drop canary=")
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": metadata,
            "spec": {"args": [{"name": ARG}], "metrics": [metric(s, canary, prometheus, matchers) for s in mine]}}
