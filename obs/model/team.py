"""Teams and ownership: who owns which namespaces, services and jobs, and the one object (`Owners`)
that rule labels, routing, inhibitions, routing proofs and `obs list` ask "whose is this?".

    payments = Team("payments", owns=Ownership(namespaces=("payments", "billing"), services=("api",)),
                    receivers=TeamReceivers(page=Receiver("payments-page", [PagerDuty(...)]),
                                            ticket=Receiver("payments-tickets", [Slack(...)])))
    Definitions(teams=[payments, platform], platform_team="platform", ...)

Provenance of the `team` label (docs/ownership.md): a rule pack built per owner (`Owners.packs`)
selects only the owner's namespaces (the platform team: every namespace no other team owns) and
carries `team` as a static label; an SLO's alerts take the SLO's `team` label, else the owner of its
service; any other alert without `team` is the platform team's, stamped explicitly.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from obs.errors import DefinitionError
from obs.labels import TEAM
from obs.model.checks import check_slug, check_unique, frozen_mapping
from obs.model.environment import Environment
from obs.model.rules import AlertRule, RulePack
from obs.model.samples import preferring, regex_examples

if TYPE_CHECKING:  # obs.alertmanager builds on the model: no runtime import here
    from obs.alertmanager.receivers import Receiver
    from obs.alertmanager.routing import TimeInterval

ALTERNATIVES_BOUND = 16
"""At most this many values per owned label (every alternative of each regex, expanded) are
drawn for routing proofs and test data: a larger regex is proven on its first 16 alternatives."""

SEVERITY_RECEIVERS = {"critical": "page", "warning": "ticket", "info": "chat"}
"""Which of a team's receivers each alert severity reaches."""


def _names(what: str, name: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        raise DefinitionError(what, name, f"{values!r} is a string, not a list", f"write {name}=({values!r},)")
    values = tuple(values)
    for value in values:
        if not isinstance(value, str) or not value or any(c in value for c in '"\\\n'):
            raise DefinitionError(what, name, f"{value!r} is not a name or regular expression",
                                  "give names such as 'payments' or full-match regexes such as 'pay-.+'")
        try:
            re.compile(value)
        except re.error as exc:
            raise DefinitionError(what, name, f"{value!r} is not a regular expression ({exc})",
                                  "escape special characters, e.g. 'a\\.b'") from None
    check_unique(what, name, values, name[:-1])
    return values


@dataclass(frozen=True)
class Ownership:
    """What a team owns. `namespaces`: Kubernetes namespaces (names or full-match regexes); rule
    packs built per owner select them. `services`: OpenTelemetry services (`name`, or
    `namespace/name` as their `job` label reads); `jobs`: scrape jobs. Services and jobs decide
    the owner of SLOs and of alerts carrying that `job`, and give routing proofs real job values."""

    namespaces: Sequence[str] = ()
    services: Sequence[str] = ()
    jobs: Sequence[str] = ()

    def __post_init__(self) -> None:
        for name in ("namespaces", "services", "jobs"):
            object.__setattr__(self, name, _names("ownership", name, getattr(self, name)))

    @property
    def namespace_regex(self) -> str:
        return "|".join(self.namespaces)


@dataclass(frozen=True)
class TeamReceivers:
    """Where a team's alerts go by severity: `page` (critical), `ticket` (warning), `chat`
    (info). A severity without a receiver goes nowhere for this team (an explicit null route)."""

    page: Receiver | None = None
    ticket: Receiver | None = None
    chat: Receiver | None = None

    def __post_init__(self) -> None:
        for name in ("page", "ticket", "chat"):
            value = getattr(self, name)
            if value is not None and not (hasattr(value, "name") and hasattr(value, "integrations")):
                raise DefinitionError("team receivers", name, f"{value!r} is not a Receiver",
                                      "pass obs.alertmanager.Receiver(name, [PagerDuty(...)])")

    def by_severity(self, severity: str) -> Receiver | None:
        return getattr(self, SEVERITY_RECEIVERS[severity]) if severity in SEVERITY_RECEIVERS else None

    def all(self) -> tuple[Receiver, ...]:
        found = [r for r in (self.page, self.ticket, self.chat) if r is not None]
        return tuple({r.name: r for r in found}.values())


@dataclass(frozen=True)
class Team:
    """A team: what it owns, its receivers per severity, optional time intervals (its tickets and
    chat are delivered only within them, e.g. business hours) and an escalation receiver (every
    page also reaches it, e.g. the incident bot)."""

    name: str
    owns: Ownership = field(default_factory=Ownership)
    receivers: TeamReceivers = field(default_factory=TeamReceivers)
    time_intervals: Sequence[TimeInterval] = ()
    escalation: Receiver | None = None
    # Parameter overrides for this team's rule packs only (Owners.packs), on top of the environment's.
    overrides: Mapping[str, Any] = field(default_factory=dict)

    @property
    def definition(self) -> str:
        return f"team {self.name!r}"

    def __post_init__(self) -> None:
        check_slug(self.definition, "name", self.name)
        if not isinstance(self.owns, Ownership):
            raise DefinitionError(self.definition, "owns", f"{self.owns!r} is not an Ownership",
                                  "write owns=Ownership(namespaces=('payments',))")
        if not isinstance(self.receivers, TeamReceivers):
            raise DefinitionError(self.definition, "receivers", f"{self.receivers!r} is not TeamReceivers",
                                  "write receivers=TeamReceivers(page=Receiver(...), ticket=Receiver(...))")
        object.__setattr__(self, "time_intervals", tuple(self.time_intervals))
        for item in self.time_intervals:
            if not (hasattr(item, "name") and hasattr(item, "ranges")):
                raise DefinitionError(self.definition, "time_intervals", f"{item!r} is not a TimeInterval",
                                      "pass obs.alertmanager.business_hours() or TimeInterval(...)")
        object.__setattr__(self, "overrides", frozen_mapping(self.overrides))
        if self.escalation is not None and not hasattr(self.escalation, "integrations"):
            raise DefinitionError(self.definition, "escalation", f"{self.escalation!r} is not a Receiver")

    def namespace_examples(self) -> list[str]:
        """Real namespaces this team owns: each name, and every alternative of each regex (bounded)."""
        return _bounded(v for ns in self.owns.namespaces for v in regex_examples(ns, ALTERNATIVES_BOUND))

    def job_examples(self) -> list[str]:
        """Real `job` values of this team's services and jobs (a bare service name takes the
        team's first namespace, as `service.namespace/service.name`); a team listing none gets
        `<its first namespace>/<team>`, so test series never mix its namespace with another's job."""
        first = next(iter(self.namespace_examples()), self.name)
        services = [s if "/" in s else f"{first}/{s}" for s in self.owns.services]
        found = _bounded(v for job in (*services, *self.owns.jobs) for v in regex_examples(job, ALTERNATIVES_BOUND))
        return found or [f"{first}/{self.name}"]


def _bounded(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))[:ALTERNATIVES_BOUND]


def _job_regex(team: Team) -> str:
    return "|".join([s if "/" in s else f".+/{s}" for s in team.owns.services] + list(team.owns.jobs))


class Owners:
    """Ownership as one object: every team, the platform team (owner of whatever no team owns),
    and the answers to "who owns this namespace / job / alert"."""

    def __init__(self, teams: Sequence[Team], platform: str) -> None:
        what = "definitions"
        self.teams = tuple(teams)
        for team in self.teams:
            if not isinstance(team, Team):
                raise DefinitionError(what, "teams", f"{team!r} is not a Team", "build teams with obs.Team(...)")
        check_unique(what, "teams", (t.name for t in self.teams), "team")
        names = [t.name for t in self.teams]
        if platform not in names:
            raise DefinitionError(what, "platform_team", f"{platform!r} is not one of the teams {names}",
                                  "name the team that owns whatever no other team owns, and list it in teams")
        self.platform = self.team(platform)
        check_unique(what, "teams", (r.name for t in self.teams for r in t.receivers.all()),
                     "receiver (each team names its own)")
        self._check_disjoint()

    def _check_disjoint(self) -> None:
        """No namespace or job is owned twice: each team's examples against the others' patterns."""
        for team in self.teams:
            for other in self.teams:
                if other is team:
                    continue
                for kind, values, patterns in (
                        ("namespace", team.namespace_examples(), other.owns.namespaces),
                        ("job", team.job_examples(), [_job_regex(other)] if _job_regex(other) else [])):
                    clash = next((v for v in values for p in patterns if re.fullmatch(p, v)), None)
                    if clash is not None:
                        raise DefinitionError(team.definition, "owns", f"{kind} {clash!r} is also owned by "
                                              f"team {other.name!r}", "give each namespace, service and job one owner")

    def team(self, name: str) -> Team:
        for team in self.teams:
            if team.name == name:
                return team
        raise DefinitionError("definitions", "teams", f"no team {name!r}",
                              f"use one of {', '.join(t.name for t in self.teams)} or define it")

    @cached_property
    def _others(self) -> tuple[Team, ...]:
        return tuple(t for t in self.teams if t is not self.platform)

    def owner_of(self, labels: Mapping[str, str]) -> Team:
        """The team owning an alert with these labels: its `team` label, else the owner of its
        `job`, else of its `namespace`, else the platform team."""
        if TEAM in labels:
            return self.team(labels[TEAM])
        job, namespace = labels.get("job"), labels.get("namespace")
        for team in self.teams:
            if job and _job_regex(team) and re.fullmatch(_job_regex(team), job):
                return team
        for team in self.teams:
            if namespace and team.owns.namespaces and re.fullmatch(team.owns.namespace_regex, namespace):
                return team
        return self.platform

    def owner_of_service(self, service: str) -> Team:
        """The team owning an SLO's service (by service name or `namespace/name`)."""
        for team in self.teams:
            if any(s == service or s.endswith(f"/{service}") for s in team.owns.services):
                return team
        return self.platform

    def scope(self, team: Team) -> str | None:
        """The namespace matcher of what `team` owns in rule packs: its namespaces, or for the
        platform team every namespace no other team owns; None when the team owns none."""
        if team is self.platform:
            taken = "|".join(t.owns.namespace_regex for t in self._others if t.owns.namespaces)
            return f'namespace!~"{taken}"' if taken else 'namespace=~".+"'
        return f'namespace=~"{team.owns.namespace_regex}"' if team.owns.namespaces else None

    def environment(self, env: Environment, team: Team) -> Environment | None:
        """`env` selecting only what `team` owns in namespaced sources (`namespaces`, `otel_services`),
        with the team's own overrides on top of the environment's."""
        scope = self.scope(team)
        if scope is None:
            return None
        scoped = env.with_selectors(**{name: f"{env.selector(name)}, {scope}"
                                       for name in ("namespaces", "otel_services")})
        if team.overrides:  # a copy of its own: reads still count in `env` (with_selectors shares them)
            object.__setattr__(scoped, "overrides", frozen_mapping({**env.overrides, **team.overrides}))
        return scoped

    def examples(self, team: Team) -> dict[str, list[str]]:
        """label -> real values of what `team` owns (for test data and routing proofs)."""
        return {"namespace": team.namespace_examples(), "job": team.job_examples()}

    def packs(self, env: Environment, make: Callable[[Environment], RulePack]) -> list[RulePack]:
        """The pack `make` builds, once per team owning namespaces (the platform team last, for
        every namespace no other team owns): each selects only its team's namespaces, carries
        `team` statically and is named `<pack>-<team>`; its test data uses the team's real values."""
        out = []
        for team in (*self._others, self.platform):
            scoped = self.environment(env, team)
            if scoped is None:
                continue
            with preferring(self.examples(team)):
                pack = make(scoped)
            out.append(replace(stamp(pack, team.name), name=f"{pack.name}-{team.name}"))
        return out

    def check_team_overrides(self, env: Environment) -> None:
        """A team override no definition reads is an error naming the nearest key read (call after
        the definitions were built: reads of every pack count)."""
        known = sorted(env.declared())
        for team, key in ((t, k) for t in self.teams for k in t.overrides):
            if key not in env.declared():
                near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                raise DefinitionError(team.definition, f"overrides[{key!r}]", "no definition of the team's packs "
                                      "reads it" + (f" (did you mean {near[0]!r}?)" if near else ""),
                                      "fix the key's spelling or remove it; `obs params` lists every key")

    def receivers(self) -> list[Receiver]:
        """Every team's receivers and escalations, each once."""
        found = [r for t in self.teams for r in (*t.receivers.all(), *([t.escalation] if t.escalation else []))]
        return list({r.name: r for r in found}.values())


def stamp(pack: RulePack, team: str | Mapping[str, str]) -> RulePack:
    """The pack with `team` as a static label on every alert that has none (`team` maps alert
    names to teams, or is one team for all). An alert's own `team` label stays; test expectations
    lose a `team` they read from the series (an SLO's labels), which the static label now sets."""
    def owned(alert: AlertRule) -> AlertRule:
        owner = team if isinstance(team, str) else team.get(alert.name)
        if TEAM in alert.labels or owner is None:
            return alert
        tests = [replace(t, fires=[replace(f, labels={k: v for k, v in f.labels.items() if k != TEAM})
                                   for f in t.fires]) for t in alert.tests]
        return replace(alert, labels={**alert.labels, TEAM: owner}, tests=tests)

    if all(TEAM in a.labels for a in pack.alerts):
        return pack
    return replace(pack, groups=[replace(g, rules=[owned(r) if isinstance(r, AlertRule) else r for r in g.rules])
                                 for g in pack.groups])


__all__ = ["ALTERNATIVES_BOUND", "Owners", "Ownership", "Team", "TeamReceivers", "stamp"]
