"""PromQL in dashboards: lint rules in the spirit of grafana/dashboard-linter, and a parse check
with the real promtool after Grafana's macros and variables are substituted."""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import yaml

from obs.errors import ValidationError
from obs.model.checks import METRIC_NAME, blank_strings
from obs.tools import promtool, run_tool
from obs.validate import cache
from obs.validate.dashboard_schema import datasource_of, panels
from obs.validate.lint import _closing_paren
from obs.validate.promtool import RULE_REF, tool_identity

# Grafana's global macros, longest first, with a representative value for parsing.
MACROS = (("__rate_interval_ms", "300000"), ("__rate_interval", "5m"), ("__interval_ms", "60000"),
          ("__interval", "1m"), ("__range_ms", "3600000"), ("__range_s", "3600"), ("__range", "1h"))
VARIABLE_REF = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENT = re.compile(rf"(?<![\w.$:])({METRIC_NAME})\s*(\(|\[)?")
_RANGE_CALL = re.compile(r"\b(rate|irate|increase)\s*\(")
_RANGE = re.compile(r"\[([^\]:]+)\]")
_JOB_MATCHER = re.compile(r"\b(job|instance)\s*(?:=~|!~|!=|=)\s*\"([^\"]*)\"")
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
             "unless", "offset", "inf", "nan", "atan2"}
COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
# Counters without a _total suffix: the OpenTelemetry Collector's own metrics as its Prometheus
# endpoint (v0.160) exposes them, e.g. otelcol_receiver_accepted_spans.
UNSUFFIXED_COUNTERS = re.compile(r"^otelcol_(?:receiver_(?:accepted|refused|failed)_|exporter_(?:sent|send_failed|"
                                 r"enqueue_failed)_|processor_(?:incoming|outgoing)_items\Z|process_cpu_seconds\Z)")
# A Grafana query variable `label_values(expr, label)`: the expression and the label it lists.
LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*(\w+)\s*\)\s*\Z", re.S)


def variable_refs(text: str) -> set[str]:
    """Names of the variables a string uses ($x, ${x}, ${x:fmt}, [[x]])."""
    return {next(g for g in m.groups() if g) for m in VARIABLE_REF.finditer(text)}


_BRACKETS = re.compile(r"\[[^\]]*\]")


def substitute(expr: str) -> str:
    """`expr` with Grafana's macros and variables replaced by values PromQL can parse where they
    stand: a duration in a range or subquery (`[$window]`), a label name in a grouping
    (`by ($group)`), a number elsewhere (label values, thresholds, topk's k)."""
    for name, value in MACROS:
        expr = expr.replace("${%s}" % name, value).replace("$" + name, value)
    expr = _BRACKETS.sub(lambda m: VARIABLE_REF.sub("5m", m.group(0)), expr)
    expr = _GROUPING.sub(lambda m: VARIABLE_REF.sub("obs_variable", m.group(0)), expr)
    return VARIABLE_REF.sub("1", expr)


def rate_window_problems(expr: str) -> list[str]:
    """rate/irate/increase windows that are not $__rate_interval (increase may use $__range)."""
    problems = []
    for match in _RANGE_CALL.finditer(expr):
        body = expr[match.end(): _closing_paren(expr, match.end() - 1) + 1]
        allowed = {"$__rate_interval", "${__rate_interval}"}
        if match.group(1) == "increase":
            allowed |= {"$__range", "${__range}"}
        for window in _RANGE.findall(body):
            if window.strip() not in allowed:
                problems.append(f"{match.group(1)}(...[{window}]) uses a fixed window; write "
                                f"[$__rate_interval] so it adapts to the scrape interval and zoom level")
    return problems


def unaggregated_counters(expr: str) -> list[str]:
    """Counter series (…_total, _count, _sum, _bucket) used without rate/irate/increase."""
    text = _GROUPING.sub(" ", _MATCHERS.sub("", blank_strings(expr)))
    found = []
    for match in _IDENT.finditer(text):
        name, follow = match.group(1), match.group(2)
        if follow == "(" or name in _KEYWORDS or ":" in name:
            continue
        if (name.endswith(COUNTER_SUFFIXES) or UNSUFFIXED_COUNTERS.match(name)) and follow != "[":
            found.append(name)
    return found


def literal_job_matchers(expr: str) -> list[str]:
    """job/instance matchers with a fixed value instead of a variable."""
    return [f'{label}="{value}"' for label, value in _JOB_MATCHER.findall(expr) if "$" not in value]


@dataclass(frozen=True)
class QueryRef:
    """Where a PromQL query lives: the dashboard file, the panel (or variable) and the query id."""

    file: str
    where: str
    expr: str


def prometheus_queries(board: dict[str, Any], file: str) -> Iterator[QueryRef]:
    """Every PromQL query of a dashboard: panel targets and label_values() variable selectors."""
    for panel in panels(board):
        for target in panel.get("targets", []):
            if datasource_of(target).get("type") == "prometheus" and "expr" in target:
                yield QueryRef(file, f"panel {panel.get('title', '?')!r}, query {target.get('refId', '?')}",
                               target["expr"])
    for variable in board.get("templating", {}).get("list", []):
        query = variable.get("query")
        match = LABEL_VALUES.match(query) if isinstance(query, str) and variable.get("type") == "query" else None
        if match:
            yield QueryRef(file, f"variable {variable.get('name')!r}", match.group(1))


def check_queries(queries: Sequence[QueryRef]) -> int:
    """Parse every query with `promtool check rules` (one call, as recording rules); errors name
    the dashboard file, panel and query. Returns the number of queries checked."""
    groups: dict[str, list[QueryRef]] = {}
    for query in queries:
        groups.setdefault(query.file, []).append(query)
    if not groups:
        return 0
    doc = {"groups": [{"name": file, "rules": [{"record": f"obs_dashboard_query_{i}", "expr": substitute(q.expr)}
                                               for i, q in enumerate(refs, 1)]}
                      for file, refs in groups.items()]}
    text = yaml.safe_dump(doc, sort_keys=False)
    passed = cache.key("promtool-dashboard-queries", tool_identity(promtool()), [text.encode()])
    if cache.passed(passed):
        return len(queries)
    with tempfile.TemporaryDirectory(prefix="obs-dashboards-") as tmp:
        path = Path(tmp) / "dashboard-queries.yaml"
        path.write_text(text)
        result = run_tool([promtool(), "check", "rules", path])
    if result.returncode != 0:
        raise ValidationError("dashboard queries do not parse (promtool check rules):\n"
                              + "\n".join(_explain(result.output, groups)))
    cache.record(passed)
    return len(queries)


def _explain(output: str, groups: dict[str, list[QueryRef]]) -> Iterable[str]:
    for line in output.splitlines():
        match = RULE_REF.search(line)
        if match and match["group"] in groups:
            refs = groups[match["group"]]
            ref = refs[min(int(match["index"]), len(refs)) - 1]
            yield (f"{ref.file}: {ref.where}: {match['msg']} (query: {ref.expr!r}; fix the PromQL in the "
                   f"dashboard definition)")
        elif line.strip() and not line.strip().startswith(("Checking ", "FAILED")) and "SUCCESS" not in line:
            yield line
