"""LogQL rules for the Loki ruler: a rule pack kind plus structural checks of LogQL expressions.

Not a LogQL parser. The checks catch the mistakes that make the ruler reject a file or evaluate
nothing: unbalanced braces/parentheses/brackets/quotes, a query without a stream selector
(`{label="value"}`), and a range aggregation (rate, count_over_time, ...) without a `[range]`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from obs.backends.storage import check_tenant
from obs.errors import DefinitionError
from obs.model.rules import AlertRule, RuleGroup, RulePack

RANGE_AGGREGATIONS = (
    "rate", "rate_counter", "count_over_time", "bytes_rate", "bytes_over_time", "absent_over_time",
    "sum_over_time", "avg_over_time", "max_over_time", "min_over_time", "first_over_time",
    "last_over_time", "stdvar_over_time", "stddev_over_time", "quantile_over_time",
)
_RANGE_CALL = re.compile(r"\b(" + "|".join(RANGE_AGGREGATIONS) + r")\s*\(")
_SELECTOR = re.compile(r"\{\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*\"")  # on string-blanked text
_RANGE = re.compile(r"\[\s*[0-9]+(?:ms|s|m|h|d|w|y)(?:[0-9]+(?:ms|s|m|h|d|w|y))*\s*\]")
_PAIRS = {")": "(", "]": "[", "}": "{"}


def _strip_strings(expr: str) -> tuple[str, str | None]:
    """`expr` with string literals blanked out (kept as ""), or a problem if a quote is unclosed."""
    out: list[str] = []
    index = 0
    while index < len(expr):
        char = expr[index]
        if char in "\"`":
            end = index + 1
            while end < len(expr) and expr[end] != char:
                end += 2 if char == '"' and expr[end] == "\\" else 1
            if end >= len(expr):
                return "".join(out), f"unclosed {char} quote starting at offset {index}"
            out.append('""')
            index = end + 1
            continue
        out.append(char)
        index += 1
    return "".join(out), None


def logql_problems(expr: str) -> list[str]:
    """Structural problems of a LogQL metric query (empty list when it looks well-formed)."""
    text, quote_problem = _strip_strings(expr)
    if quote_problem:
        return [quote_problem]
    problems: list[str] = []
    stack: list[tuple[str, int]] = []
    for index, char in enumerate(text):
        if char in "([{":
            stack.append((char, index))
        elif char in ")]}":
            if not stack or stack[-1][0] != _PAIRS[char]:
                problems.append(f"unbalanced {char!r} at offset {index}")
                return problems
            stack.pop()
    if stack:
        return [f"unclosed {stack[-1][0]!r} at offset {stack[-1][1]}"]
    if not _SELECTOR.search(text):
        problems.append('no stream selector such as {app="api"}')
    from obs.validate.lint import _closing_paren  # at call time: obs.validate imports the model
    for match in _RANGE_CALL.finditer(text):
        body = text[match.end():_closing_paren(text, match.end() - 1)]
        if not _RANGE.search(body):
            problems.append(f"{match.group(1)}(...) has no [range] such as [5m]")
    return problems


def check_logql(definition: str, expr: str) -> None:
    """Raise DefinitionError when `expr` is structurally broken."""
    problems = logql_problems(expr)
    if problems:
        raise DefinitionError(definition, "expr", "; ".join(problems),
                              'write a LogQL metric query, e.g. sum by (cluster) (rate({app="api"} |= "error" [5m]))')


@dataclass(frozen=True)
class LokiRulePack:
    """LogQL alerting and recording rules for the Loki ruler: one file per pack, under the
    tenant's folder (loki/rules/<tenant>/<name>.yaml). `tenant` None means Loki's single-tenant
    ID ('fake'), which is only valid when Loki runs without auth."""

    name: str
    groups: Sequence[RuleGroup]
    tenant: str | None = None
    description: str = ""

    kind = "logql"

    @property
    def definition(self) -> str:
        return f"loki rule pack {self.name!r}"

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))
        RulePack(self.name, self.groups, self.description)  # the same name and group checks
        if self.tenant is not None:
            check_tenant(self.definition, "tenant", self.tenant)
        for group in self.groups:
            for rule in group.rules:
                check_logql(rule.definition, rule.expr)
                if isinstance(rule, AlertRule) and rule.tests:
                    raise DefinitionError(rule.definition, "tests", "promtool cannot test LogQL rules",
                                          "drop the tests of LogQL alerts")

    @property
    def alerts(self) -> tuple[AlertRule, ...]:
        return tuple(a for g in self.groups for a in g.alerts)
