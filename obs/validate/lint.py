"""Tier-1 checks on rule packs, in the spirit of kubernetes-mixin's conventions."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Collection, Iterable, Iterator, Literal

from obs.secret_patterns import redact
from obs.model.checks import blank_strings
from obs.model.environment import Environment
from obs.model.rules import AlertRule, RulePack

MAX_GROUP_RULES = 30
_CAMEL = re.compile(r"^[A-Z][a-zA-Z0-9]*\Z")
_AGGREGATION = re.compile(
    r"\b(sum|avg|min|max|count|group|stddev|stdvar|topk|bottomk|quantile|count_values)\s*"
    r"(?:(by|without)\s*\(([^)]*)\)\s*)?\(")
_TRAILING_CLAUSE = re.compile(r"\s*(by|without)\s*\(([^)]*)\)")


@dataclass(frozen=True)
class LintIssue:
    """One finding: `error`s fail validation, `warning`s are printed."""

    level: Literal["error", "warning"]
    definition: str
    check: str
    message: str

    def __str__(self) -> str:  # printed as it is: a quoted expression never shows a secret
        return redact(f"{self.level}: {self.definition}: [{self.check}] {self.message}")


_PAREN = re.compile(r"[()]")


def _closing_paren(text: str, open_index: int) -> int:
    depth = 0
    for paren in _PAREN.finditer(text, open_index):  # only parentheses count: skip the rest at C speed
        if paren.group() == "(":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return paren.start()
    return len(text) - 1


def aggregations(expr: str) -> Iterator[tuple[str, int, tuple[str, int] | None, set[str]]]:
    """Each aggregation in `expr` (string literals ignored): its operator, the index just after
    the operator's name, its clause (`by`/`without` and the index where its label list starts)
    or None, and the clause's label names."""
    text = blank_strings(expr, keep_length=True)  # indices hold
    for match in _AGGREGATION.finditer(text):
        mode, labels, start = match.group(2), match.group(3), match.start(3)
        if mode is None:
            trailing = _TRAILING_CLAUSE.match(text, _closing_paren(text, match.end() - 1) + 1)
            if trailing:
                mode, labels, start = trailing.group(1), trailing.group(2), trailing.start(2)
        names = {name.strip() for name in (labels or "").split(",") if name.strip()}
        yield match.group(1), match.end(1), (mode, start) if mode else None, names


def aggregation_problems(expr: str, cluster_label: str) -> list[str]:
    """Aggregations in `expr` that drop the cluster label (string literals are ignored, so the
    answer is worked out once for all expressions that differ only in them)."""
    return list(_aggregation_problems(blank_strings(expr), cluster_label))


@lru_cache(maxsize=4096)
def _aggregation_problems(expr: str, cluster_label: str) -> tuple[str, ...]:
    problems = []
    for op, _, clause, names in aggregations(expr):
        if clause is None:
            problems.append(f"{op}(...) without a by clause drops every label, '{cluster_label}' included")
        elif clause[0] == "by" and cluster_label not in names:
            problems.append(f"{op} by ({', '.join(sorted(names))}) drops '{cluster_label}'")
        elif clause[0] == "without" and cluster_label in names:
            problems.append(f"{op} without ({', '.join(sorted(names))}) drops '{cluster_label}'")
    return tuple(problems)


def lint_alert(env: Environment, alert: AlertRule, per_cluster: bool = True) -> Iterable[LintIssue]:
    """Findings for one alert; `per_cluster` False for the global tier, whose fleet-wide
    aggregations may drop the cluster label."""
    what = f"alert {alert.name!r}"
    if not _CAMEL.match(alert.name):
        yield LintIssue("error", what, "alert-name", "alert names are CamelCase, e.g. 'PodCrashLooping'")
    if "{{" in alert.summary:
        yield LintIssue("error", what, "static-summary",
                        "summary must be static (it groups notifications); put templates in description")
    if "{{" not in alert.description:
        yield LintIssue("error", what, "templated-description",
                        "description must use {{ $labels.x }} or {{ $value }} to say what fired")
    for problem in aggregation_problems(alert.expr, env.cluster_label) if per_cluster else ():
        yield LintIssue("error", what, "cluster-label", f"{problem}; add it so one rule set serves many clusters")
    if not any(t.fires for t in alert.tests) or not any(not t.fires for t in alert.tests):
        yield LintIssue("warning", what, "unit-tests",
                        "needs at least one AlertTest that fires and one that stays silent")


def lint_pack(env: Environment, pack: RulePack, global_groups: Collection[str] = ()) -> list[LintIssue]:
    """All findings for one rule pack. Groups named in `global_groups` run on the global tier
    (docs/fleet.md): a cross-cluster aggregation there may drop the cluster label."""
    issues: list[LintIssue] = []
    for group in pack.groups:
        per_cluster = group.name not in global_groups
        if len(group.rules) > MAX_GROUP_RULES:
            issues.append(LintIssue("warning", f"rule group {group.name!r}", "group-size",
                                    f"{len(group.rules)} rules; split groups above {MAX_GROUP_RULES} "
                                    "so one slow rule does not delay the rest"))
        for rule in group.rules:
            if isinstance(rule, AlertRule):
                issues.extend(lint_alert(env, rule, per_cluster))
            elif per_cluster:
                for problem in aggregation_problems(rule.expr, env.cluster_label):
                    issues.append(LintIssue("error", rule.definition, "cluster-label", problem))
    return issues
