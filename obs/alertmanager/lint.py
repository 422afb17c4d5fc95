"""Routing lints that need the teams (obs.model.team.Owners) and the routing cases: mistakes that
amtool cannot see because the config is valid and every case meets *some* intent.

- [intent-broader-than-team]  an intent without a `team` matcher covering alerts of several teams
  (a catch-all hides each team's own route);
- [route-label-unknown]       a route matching a label no alert carries;
- [route-unreachable]         a route an earlier sibling (without `continue`) always takes first;
- [team-receiver]             an alert whose intent misses its own team's receiver for its severity."""
from __future__ import annotations

from typing import Any, Iterator, Sequence

from obs.alertmanager.config import Alertmanager
from obs.alertmanager.matchers import Matcher
from obs.alertmanager.routing import Route
from obs.errors import DefinitionError
from obs.labels import TEAM
from obs.model.team import SEVERITY_RECEIVERS, Owners


def lint_routing(config: Alertmanager, owners: Owners, cases: Sequence[dict[str, Any]]) -> None:
    """Every finding at once, as one DefinitionError naming the Alertmanager."""
    problems = [*_broad_intents(config, cases), *_unknown_labels(config, cases), *_unreachable(config.route),
                *_team_receivers(config, owners, cases)]
    if problems:
        raise DefinitionError(config.definition, "route", "\n  " + "\n  ".join(problems),
                              "route by the `team` label: obs.alertmanager.team_routing(...) writes the routes, "
                              "receivers and intents from the teams")


def _broad_intents(config: Alertmanager, cases: Sequence[dict[str, Any]]) -> Iterator[str]:
    for intent in config.intents:
        matchers = [m for m in intent.match if isinstance(m, Matcher)]
        if any(m.name == TEAM for m in matchers):
            continue
        teams = sorted({c["labels"][TEAM] for c in cases if TEAM in c["labels"] and intent.applies(c["labels"])
                        and config.intended(c["labels"]) is intent})
        if len(teams) > 1:
            yield (f"[intent-broader-than-team] intent {intent.why or [m.text() for m in matchers]!r} covers "
                   f"alerts of teams {', '.join(teams)}: a catch-all hides each team's own route "
                   f"(add a {TEAM} matcher to it)")


def _unknown_labels(config: Alertmanager, cases: Sequence[dict[str, Any]]) -> Iterator[str]:
    carried = {name for c in cases for name in c["labels"]}
    for route in config.route.walk():
        for matcher in route.matchers:
            if matcher.op in ("=", "=~") and matcher.name not in carried:
                yield (f"[route-label-unknown] {route.definition} matches on {matcher.text()}, but no alert "
                       f"carries the label {matcher.name!r}")


def _unreachable(route: Route) -> Iterator[str]:
    """A child whose matchers include every matcher of an earlier sibling without `continue`."""
    for index, child in enumerate(route.routes):
        shadow = next((earlier for earlier in route.routes[:index]
                       if not earlier.continue_ and set(earlier.matchers) <= set(child.matchers)), None)
        if shadow is not None:
            yield (f"[route-unreachable] {child.definition} ({', '.join(m.text() for m in child.matchers)}) is "
                   f"never reached: the earlier {shadow.definition} "
                   f"({', '.join(m.text() for m in shadow.matchers) or 'no matchers'}) takes every alert it would")
        yield from _unreachable(child)


def _team_receivers(config: Alertmanager, owners: Owners, cases: Sequence[dict[str, Any]]) -> Iterator[str]:
    seen: set[tuple[str, str]] = set()
    for case in cases:
        labels = case["labels"]
        if TEAM not in labels:
            yield (f"[team-receiver] alert {case['alert']!r} (rule pack {case['pack']!r}) carries no {TEAM} label, "
                   "so no team's route takes it")
            continue
        team = owners.team(labels[TEAM])
        expected = team.receivers.by_severity(labels.get("severity", ""))
        if expected is None or expected.name in case["receivers"] or (case["alert"], team.name) in seen:
            continue
        seen.add((case["alert"], team.name))
        kind = SEVERITY_RECEIVERS[labels["severity"]]
        yield (f"[team-receiver] alert {case['alert']!r} of team {team.name!r} (severity {labels['severity']}) must "
               f"reach the team's {kind} receiver {expected.name!r}, but intent {case['intent']!r} sends it to "
               f"{case['receivers']}")
