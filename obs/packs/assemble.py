"""Assembling a reference rule pack: groups of alert makers, each called with the environment."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Mapping, Sequence

from obs import AlertRule, Environment, RuleGroup, RulePack

AlertMaker = Callable[[Environment], AlertRule]


def assemble(env: Environment, dashboard: object | None, name: str, description: str,
             groups: Mapping[str, Sequence[AlertMaker]],
             group_dashboards: Mapping[str, object | None] | None = None) -> RulePack:
    """A RulePack with one RuleGroup per entry; every alert links to `dashboard` when given, or to
    the group's own entry in `group_dashboards`."""
    boards = group_dashboards or {}
    return RulePack(name, [RuleGroup(group, [with_dashboard(make(env), boards.get(group) or dashboard)
                                             for make in makers])
                           for group, makers in groups.items()], description=description)


def with_dashboard(alert: AlertRule, dashboard: object | None) -> AlertRule:
    """The alert linked to `dashboard` (unchanged when None)."""
    return alert if dashboard is None else replace(alert, dashboard=dashboard)
