"""The routing tree, inhibitions, time intervals and routing intents."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

from obs.labels import SLO_NAME, SLO_SERVICE, SLO_SEVERITY
from obs.alertmanager.matchers import Matcher, MatcherSpec, all_match, parse_matchers
from obs.errors import DefinitionError
from obs.model.checks import check_duration, check_label_name, check_slug

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RE = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]\Z|^24:00\Z")


@dataclass(frozen=True)
class Route:
    """A node of the routing tree: alerts whose labels pass `match` go to `receiver` (or to the
    first child route they match). Timings left None inherit from the parent. `active_in` /
    `muted_in` name TimeIntervals (e.g. tickets only in business hours)."""

    receiver: str
    match: MatcherSpec = ()
    routes: Sequence["Route"] = ()
    group_by: Sequence[str] | None = None
    group_wait: str | None = None
    group_interval: str | None = None
    repeat_interval: str | None = None
    continue_: bool = False
    active_in: Sequence[str] = ()
    muted_in: Sequence[str] = ()

    @property
    def definition(self) -> str:
        return f"route to {self.receiver!r}"

    def __post_init__(self) -> None:
        what = self.definition
        object.__setattr__(self, "match", parse_matchers(what, "match", self.match))
        for name in ("routes", "active_in", "muted_in"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for child in self.routes:
            if not isinstance(child, Route):
                raise DefinitionError(what, "routes", f"{child!r} is not a Route")
        if self.group_by is not None:
            object.__setattr__(self, "group_by", tuple(self.group_by))
            for label in self.group_by:
                if label != "...":
                    check_label_name(what, "group_by", label)
            if "..." in self.group_by and len(self.group_by) > 1:
                raise DefinitionError(what, "group_by", "'...' (group by every label) stands alone",
                                      "write group_by=('...',) or list the labels")
        for name in ("group_wait", "group_interval", "repeat_interval"):
            if getattr(self, name) is not None:
                check_duration(what, name, getattr(self, name))

    @property
    def matchers(self) -> tuple[Matcher, ...]:
        return self.match  # type: ignore[return-value]

    def walk(self) -> Iterator["Route"]:
        """This route and every route below it, depth first."""
        yield self
        for child in self.routes:
            yield from child.walk()


@dataclass(frozen=True)
class Inhibition:
    """While an alert matching `source` fires, alerts matching `target` with the same values of
    the `equal` labels are muted (e.g. a critical mutes the warning of the same alert)."""

    source: MatcherSpec
    target: MatcherSpec
    equal: Sequence[str] = ()

    def __post_init__(self) -> None:
        what = "inhibition"
        for name in ("source", "target"):
            object.__setattr__(self, name, parse_matchers(what, name, getattr(self, name)))
            if not getattr(self, name):
                raise DefinitionError(what, name, "has no matchers",
                                      "an empty side matches every alert: name the alerts it covers")
        object.__setattr__(self, "equal", tuple(self.equal))
        for label in self.equal:
            check_label_name(what, "equal", label)


def critical_inhibits_warning(scope: Sequence[str]) -> Inhibition:
    """A critical alert mutes the warning of the same alert name within `scope` (e.g. cluster, namespace)."""
    return Inhibition({"severity": "critical"}, {"severity": "warning"}, ("alertname", *scope))


def slo_page_inhibits_ticket(scope: Sequence[str]) -> Inhibition:
    """An SLO's page alert mutes its ticket alert (they differ in name, so match on the SLO)."""
    return Inhibition({SLO_SEVERITY: "page"}, {SLO_SEVERITY: "ticket"}, (SLO_SERVICE, SLO_NAME, *scope))


def source_inhibits_scope(source: MatcherSpec, scope: Sequence[str], alertname: str) -> Inhibition:
    """An alert (e.g. a cluster down) mutes every other alert sharing its `scope` labels."""
    return Inhibition(source, [Matcher("alertname", alertname, "!=")], tuple(scope))


@dataclass(frozen=True)
class TimeRange:
    """Weekdays (e.g. 'monday:friday') and hours ('09:00'-'17:00') of a time interval."""

    weekdays: Sequence[str] = ()
    start: str = "00:00"
    end: str = "24:00"

    def __post_init__(self) -> None:
        what = f"time range {self.start}-{self.end}"
        object.__setattr__(self, "weekdays", tuple(self.weekdays))
        for item in self.weekdays:
            days = item.split(":") if isinstance(item, str) else [item]
            if len(days) > 2 or any(d not in WEEKDAYS for d in days):
                raise DefinitionError(what, "weekdays", f"{item!r} is not a weekday or range",
                                      "write e.g. 'monday:friday' or 'saturday'")
        for name in ("start", "end"):
            if not isinstance(getattr(self, name), str) or not _TIME_RE.match(getattr(self, name)):
                raise DefinitionError(what, name, f"{getattr(self, name)!r} is not HH:MM", "write e.g. '09:00'")
        if self.start >= self.end:
            raise DefinitionError(what, "end", f"{self.end} is not after {self.start}",
                                  "split ranges crossing midnight in two")


@dataclass(frozen=True)
class TimeInterval:
    """Named times when routes are active (`Route.active_in`) or muted (`Route.muted_in`).
    AlertmanagerConfig v1alpha1 has no time zone, so times are UTC."""

    name: str
    ranges: Sequence[TimeRange]

    @property
    def definition(self) -> str:
        return f"time interval {self.name!r}"

    def __post_init__(self) -> None:
        check_slug(self.definition, "name", self.name)
        object.__setattr__(self, "ranges", tuple(self.ranges))
        if not self.ranges:
            raise DefinitionError(self.definition, "ranges", "is empty", "add a TimeRange")
        for item in self.ranges:
            if not isinstance(item, TimeRange):
                raise DefinitionError(self.definition, "ranges", f"{item!r} is not a TimeRange",
                                      "write TimeRange(('monday:friday',), '09:00', '17:00')")


def business_hours(name: str = "business-hours", start: str = "09:00", end: str = "17:00") -> TimeInterval:
    """Monday to Friday, `start` to `end` UTC."""
    return TimeInterval(name, [TimeRange(("monday:friday",), start, end)])


@dataclass(frozen=True)
class Intent:
    """Where alerts whose labels pass `match` must end up: the receivers (in routing order) that
    `amtool config routes test` has to report. The first intent that matches an alert applies."""

    match: MatcherSpec
    receivers: Sequence[str]
    why: str = ""

    def __post_init__(self) -> None:
        what = f"intent {self.why or self.match!r}"
        object.__setattr__(self, "match", parse_matchers(what, "match", self.match))
        if isinstance(self.receivers, str):
            object.__setattr__(self, "receivers", (self.receivers,))
        object.__setattr__(self, "receivers", tuple(self.receivers))
        if not self.receivers:
            raise DefinitionError(what, "receivers", "is empty", "name the receiver the alerts must reach")

    def applies(self, labels: Mapping[str, str]) -> bool:
        return all_match(self.match, labels)  # type: ignore[arg-type]

