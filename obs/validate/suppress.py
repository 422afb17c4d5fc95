"""Apply the `suppress` fields of alerts, SLOs and dashboards to an environment's lint findings.

A finding is suppressed when its rule id and definition match a suppression (a dashboard's
suppression with `panel=` only matches findings on that panel; an SLO's matches findings on the
rules generated from it). A suppression that matches nothing becomes an `unused-suppression` error."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence, cast

from obs.model.suppress import Suppress
from obs.render.base import RenderContext
from obs.validate.lint import LintIssue


@dataclass(frozen=True)
class Target:
    """One suppression and the finding definitions it covers."""

    owner: str  # the definition that carries the suppression
    covers: frozenset[str]
    suppress: Suppress

    def matches(self, issue: LintIssue) -> bool:
        if issue.check != self.suppress.rule or issue.definition not in self.covers:
            return False
        panel = self.suppress.panel
        return panel is None or issue.message.startswith((f"panel {panel!r}:", f"panel {panel!r},"))

    def describe(self) -> str:
        on = f" on panel {self.suppress.panel!r}" if self.suppress.panel else ""
        return f"[{self.suppress.rule}]{on}: {self.suppress.reason}"


def targets(ctx: RenderContext) -> Iterator[Target]:
    """Every suppression of the environment's definitions, in definition order."""
    from obs.slo.rules import slo_rule_packs  # obs.slo builds on the model
    loki_packs = ctx.defs.loki.rule_packs if ctx.defs.loki is not None else ()
    packs: list[Any] = [*ctx.defs.all_rule_packs(), *loki_packs]  # Prometheus and Loki rule packs alike
    for pack in packs:
        for alert in (alert for group in pack.groups for alert in group.alerts):
            for item in cast(Sequence[Suppress], alert.suppress):  # normalised on construction
                yield Target(alert.definition, frozenset({alert.definition}), item)
    for slo in ctx.defs.slos:
        if slo.suppress:
            generated = {rule.definition for pack in slo_rule_packs([slo], ctx.env) for group in pack.groups
                         for rule in group.rules}
            for item in cast(Sequence[Suppress], slo.suppress):
                yield Target(slo.definition, frozenset({slo.definition, *generated}), item)
    for board in ctx.defs.all_dashboards():
        for item in cast(Sequence[Suppress], board.suppress):
            yield Target(board.definition, frozenset({board.definition}), item)


def apply_suppressions(ctx: RenderContext, issues: Iterable[LintIssue]) -> tuple[LintIssue, ...]:
    """The findings no suppression matches, plus an error for each suppression that matched nothing."""
    found = list(targets(ctx))
    used: set[int] = set()
    kept = []
    for issue in issues:
        index = next((i for i, target in enumerate(found) if target.matches(issue)), None)
        if index is None:
            kept.append(issue)
        else:
            used.add(index)
    for index, target in enumerate(found):
        if index not in used:
            where = f" on panel {target.suppress.panel!r}" if target.suppress.panel else ""
            kept.append(LintIssue("error", target.owner, "unused-suppression",
                                  f"suppresses [{target.suppress.rule}]{where} but no finding matches (fix: remove "
                                  "the suppression, or correct its rule id or panel title)"))
    return tuple(kept)
