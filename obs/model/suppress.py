"""Lint suppressions: silence one lint rule for one definition, always with a reason.

    AlertRule(..., suppress={"unit-tests": "fires only on a real outage; covered by the e2e test"})
    Dashboard(..., suppress=[Suppress("panel-units", "a count of pods has no unit", panel="Pods")])

A suppression that matches no finding is itself a lint error, so none outlives its cause."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from obs.errors import DefinitionError

_RULE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")


@dataclass(frozen=True)
class Suppress:
    """Silence lint rule `rule` (the id in brackets in a finding, e.g. 'panel-units') on the
    definition that carries it; `panel` narrows a dashboard's suppression to the panel with that
    title. `reason` is mandatory: reviewers and `obs list` show it."""

    rule: str
    reason: str
    panel: str | None = None

    def __post_init__(self) -> None:
        what = f"suppression of {self.rule!r}"
        if not isinstance(self.rule, str) or not _RULE_RE.match(self.rule):
            raise DefinitionError("suppression", "rule", f"{self.rule!r} is not a lint rule id",
                                  "use the id shown in brackets in the finding, e.g. 'panel-units'")
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise DefinitionError(what, "reason", "is empty",
                                  "say why the rule does not apply here; reviewers read it")
        if self.panel is not None and (not isinstance(self.panel, str) or not self.panel.strip()):
            raise DefinitionError(what, "panel", f"{self.panel!r} is not a panel title", "give the panel's title")


def suppressions(definition: str, value: Any, panels: bool = False) -> tuple[Suppress, ...]:
    """A `suppress` field as Suppress items: a mapping rule -> reason, or a sequence of Suppress.
    `panels`: whether Suppress(panel=...) is allowed (dashboards only)."""
    if value == () or value == []:  # the default, on every generated rule: no ABC check needed
        return ()
    if isinstance(value, Mapping):
        items = []
        for rule, reason in value.items():
            try:
                items.append(Suppress(rule, reason))
            except DefinitionError as exc:
                raise DefinitionError(definition, f"suppress[{rule!r}]", exc.problem, exc.fix) from None
    elif isinstance(value, (list, tuple)) and all(isinstance(item, Suppress) for item in value):
        items = list(value)
    else:
        raise DefinitionError(definition, "suppress", f"{value!r} is not a mapping or a list of Suppress",
                              "write suppress={'rule-id': 'reason'} or suppress=[obs.Suppress('rule-id', 'reason')]")
    keys = [(item.rule, item.panel) for item in items]
    for item in items:
        if item.panel is not None and not panels:
            raise DefinitionError(definition, "suppress", f"{item.rule!r} names panel {item.panel!r}, but only "
                                  "a dashboard has panels", "drop panel=")
        if keys.count((item.rule, item.panel)) > 1:
            raise DefinitionError(definition, "suppress", f"suppresses {item.rule!r} twice", "keep one")
    return tuple(sorted(items, key=lambda s: (s.rule, s.panel or "")))
