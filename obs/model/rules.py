"""Prometheus rule model: alerting and recording rules, groups, packs, and alert unit tests.

Every class checks its invariants on construction and raises DefinitionError naming the
definition, the field and the fix. The one exception is `generated` (classmethods): objects obs builds
from an already-validated definition (an SLO's recording rules and proofs, obs.slo) skip the
checks that cannot fail by construction; what a user writes always goes through them.
"""
from __future__ import annotations

import copy
import re
from types import MappingProxyType
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TypeVar

from obs.errors import DefinitionError
from obs.model.fleet import TIERS
from obs.model.suppress import Suppress, suppressions
from obs.model.checks import (
    check_duration, check_http_url, check_label_name, check_labels, check_no_empty_values, check_template, check_metric_name, check_nonempty, check_slug,
    check_items, check_unique, frozen_mapping,
    duration_seconds,
)

SEVERITIES = ("critical", "warning", "info")
RESERVED_ANNOTATIONS = ("summary", "description", "runbook_url", "dashboard_url")
_T = TypeVar("_T")


def _unchecked(cls: type[_T], **fields: Any) -> _T:
    """A `cls` holding `fields` as given, without running its __post_init__ checks. Only for data
    obs generates from a definition that was validated already (an SLO's recording rules and
    proof cases: every label name, value and duration in them comes from the validated SLO and
    environment or from obs's own constants), where the checks cannot fail and a thousand SLOs
    would re-run them some fifty thousand times. The trade-off: a bug in the generator is not
    caught here but by the renderers' and promtool's checks of the output. The caller passes every
    field, already in its checked form (read-only mappings, tuples)."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


@dataclass(frozen=True)
class FiringAlert:
    """One alert a test expects to fire: its labels (from the series, not the rule's static
    labels, which obs adds) and the exact rendered description."""

    labels: Mapping[str, str]
    description: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", frozen_mapping(self.labels))
        check_labels("expected alert", "labels", self.labels)
        check_no_empty_values("expected alert", "labels", self.labels)
        check_nonempty("expected alert", "description", self.description)

    @classmethod
    def generated(cls, labels: dict[str, str], description: str) -> FiringAlert:
        """An alert obs's proofs expect (obs.slo.proofs): its label names and values come from the
        validated SLO and environment, so only the check an SLO does not make itself is kept, no
        empty value (an SLO label may be empty; the alert it proves would lose it). Takes `labels`
        over: the caller must not change the dict afterwards."""
        check_no_empty_values("expected alert", "labels", labels)
        return _unchecked(cls, labels=MappingProxyType(labels), description=description)


# One sample (or run of samples) of promtool's expanding notation: a number, then `+bxn`, `xn`, ...
_SAMPLE = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.*)")


@dataclass(frozen=True)
class ClockValues:
    """Series values that are Unix timestamps (a pod's creation, a Job's start), written as
    seconds since the test's clock start, in promtool's notation ("0x25": created when the test
    starts). Test engines start their clocks at different instants (promtool at the epoch,
    vmalert-tool at 2000-01-01), so a timestamp test data held as a plain number would be right
    for one engine only; each engine's test file adds its own start (`at`)."""

    values: str

    def __post_init__(self) -> None:
        check_nonempty("clock values", "values", self.values)
        for token in self.values.split():
            if token not in ("_", "stale") and not token.startswith("_x") and not _SAMPLE.fullmatch(token):
                raise DefinitionError("clock values", "values", f"{token!r} is not a sample in promtool's notation",
                                      "write seconds since the test's start, e.g. '0x25' or '60 120 180'")

    def at(self, start: int) -> str:
        """The values for an engine whose clock starts at Unix time `start`: each run's first
        number shifted by it (increments, `_` and `stale` unchanged)."""
        def shift(token: str) -> str:
            match = _SAMPLE.fullmatch(token)
            if match is None:
                return token
            number = float(match[1]) + start
            return f"{int(number) if number.is_integer() else number!r}{match[2]}"
        return " ".join(shift(token) for token in self.values.split())


@dataclass(frozen=True)
class AlertTest:
    """A promtool unit test case for one alert: input series, an evaluation time, and the
    alerts expected to be firing then (none means the alert must stay silent). A series whose
    values are timestamps takes ClockValues (relative to the test's start), never a bare number
    that assumes the clock starts at the epoch."""

    name: str
    series: Mapping[str, str | ClockValues]
    at: str
    fires: Sequence[FiringAlert] = ()
    interval: str = "1m"

    def __post_init__(self) -> None:
        what = f"alert test {self.name!r}"
        check_nonempty(what, "name", self.name)
        object.__setattr__(self, "series", frozen_mapping(self.series))
        object.__setattr__(self, "fires", tuple(self.fires))
        check_duration(what, "at", self.at)
        check_duration(what, "interval", self.interval)
        for selector, values in self.series.items():
            if selector.__class__ is not str or not selector or selector.isspace():
                check_nonempty(what, "series", selector)
            if values.__class__ is not str or not values or values.isspace():  # (the usual case skips the calls)
                if not isinstance(values, ClockValues):
                    check_nonempty(what, f"series[{selector!r}]", values)

    @classmethod
    def generated(cls, name: str, series: Mapping[str, str], at: str,
                  fires: Sequence[FiringAlert] = ()) -> AlertTest:
        """A proof case obs generates (obs.slo.proofs): a name, selectors and values of its own
        making and an `at` from whole minutes, none of which can fail the checks. `series` is
        wrapped read-only, not copied: the caller must not change it afterwards."""
        return _unchecked(cls, name=name, series=series if isinstance(series, MappingProxyType) else
                         MappingProxyType(series), at=at, fires=tuple(fires), interval="1m")


@dataclass(frozen=True)
class AlertRule:
    """An alerting rule. `summary` is static; `description` is templated (use {{ $value }} and
    {{ $labels.x }} so it says something true about what fired). `runbook_url` defaults to the
    environment's runbook base; `dashboard` is any object with a `uid` (a Dashboard). `suppress`
    silences lint rules for this alert, each with a reason: {"unit-tests": "why"} (obs.Suppress)."""

    name: str
    expr: str
    severity: str
    summary: str
    description: str
    for_: str = "0m"
    keep_firing_for: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    runbook_url: str | None = None
    dashboard: Any = None
    # A factory, not `()`: no class attribute, so a rule whose generated proofs are deferred
    # (`with_deferred_tests`) finds them through __getattr__ on first use.
    tests: Sequence[AlertTest] = field(default_factory=tuple)
    suppress: Mapping[str, str] | Sequence[Suppress] = ()

    @property
    def definition(self) -> str:
        return f"alert {self.name!r}"

    def __post_init__(self) -> None:
        what = self.definition
        check_nonempty(what, "name", self.name)
        check_label_value_name(what, self.name)
        check_nonempty(what, "expr", self.expr)
        if self.severity not in SEVERITIES:
            raise DefinitionError(what, "severity", f"{self.severity!r} is not an allowed severity",
                                  f"use one of {', '.join(SEVERITIES)}")
        check_nonempty(what, "summary", self.summary)
        check_nonempty(what, "description", self.description)
        for name in ("summary", "description"):
            check_template(what, name, getattr(self, name))
        check_duration(what, "for_", self.for_)
        if self.keep_firing_for is not None:
            check_duration(what, "keep_firing_for", self.keep_firing_for)
        if self.runbook_url is not None:
            check_http_url(what, "runbook_url", self.runbook_url)
        object.__setattr__(self, "labels", frozen_mapping(self.labels))
        object.__setattr__(self, "annotations", frozen_mapping(self.annotations))
        object.__setattr__(self, "tests", tuple(self.tests))
        check_labels(what, "labels", self.labels)
        check_no_empty_values(what, "labels", self.labels)
        for key, value in self.labels.items():  # alert labels are templates too
            check_template(what, f"labels[{key!r}]", value)
        if "severity" in self.labels:
            raise DefinitionError(what, "labels", "sets 'severity' twice", "use the severity field only")
        for key in self.annotations:
            check_label_name(what, f"annotations[{key!r}]", key)
            check_template(what, f"annotations[{key!r}]", self.annotations[key])
            if key in RESERVED_ANNOTATIONS:
                raise DefinitionError(what, f"annotations[{key!r}]", "is set by its own field",
                                      f"use the {key.replace('_url', '')} field instead")
        if self.dashboard is not None and not hasattr(self.dashboard, "uid"):
            raise DefinitionError(what, "dashboard", f"{self.dashboard!r} is not a dashboard",
                                  "pass the Dashboard object the alert links to")
        object.__setattr__(self, "suppress", suppressions(what, self.suppress))
        self._check_tests()

    def with_tests(self, tests: Sequence[AlertTest]) -> AlertRule:
        """This rule with `tests` instead of its own: `dataclasses.replace` without checking the
        rule's other fields again (generated rules get their proofs after they are built)."""
        rule = copy.copy(self)
        object.__setattr__(rule, "tests", tuple(tests))
        rule._check_tests()
        return rule

    def with_generated_tests(self, tests: Sequence[AlertTest]) -> AlertRule:
        """`with_tests` for the proofs obs generates for its own SLO alerts (obs.slo.proofs): their
        expected alerts leave out the rule's own labels and the rules have no for_ by construction,
        so only the counter check (input that goes down, from an SLO's extreme parameters) runs."""
        rule = object.__new__(AlertRule)
        rule.__dict__.update(self.__dict__, tests=_generated_tests(self.name, tests))
        rule.__dict__.pop("_deferred_tests", None)  # these tests replace any deferred ones
        return rule

    def with_deferred_tests(self, make: Callable[[], Sequence[AlertTest]]) -> AlertRule:
        """`with_generated_tests(make())`, with `make` called when the tests are first read. Proofs are
        most of the cost of an SLO's rules and only the unit-test renderer and the linters read them:
        deferred, they are built where those run, which for a large environment is split between two
        processes (obs.pipeline), instead of all before the fork. The trade-off: the counter check of
        the proofs (a DefinitionError) is raised when they are first read, by the build that reads
        them, not when the SLO's rules are made."""
        rule = object.__new__(AlertRule)
        rule.__dict__.update(self.__dict__, _deferred_tests=make)
        rule.__dict__.pop("tests", None)
        return rule

    if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any attribute of a rule
        def __getattr__(self, name: str) -> Any:
            """The deferred proofs (`with_deferred_tests`), made on first read and kept."""
            make = self.__dict__.get("_deferred_tests") if name == "tests" else None
            if make is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            tests = self.__dict__["tests"] = _generated_tests(self.name, make())
            del self.__dict__["_deferred_tests"]
            return tests

    def __getstate__(self) -> dict[str, Any]:
        """What copy keeps: deferred proofs are made first, so a copy and its original share them."""
        state = {**self.__dict__, "tests": self.tests}
        state.pop("_deferred_tests", None)
        return state

    def _check_tests(self) -> None:
        what = self.definition
        check_items(what, "tests", self.tests, AlertTest)
        for test in self.tests:
            _check_counter_steps(self.name, test)
            for fired in test.fires:
                if duration_seconds(test.at) < duration_seconds(self.for_):
                    raise DefinitionError(
                        what, f"tests[{test.name!r}].at",
                        f"evaluates at {test.at}, before the alert's for_ of {self.for_} can pass",
                        "evaluate at or after the for_ duration")
                clash = set(fired.labels) & ({"alertname", "severity"} | set(self.labels))
                if clash:
                    raise DefinitionError(what, f"tests[{test.name!r}].fires",
                                          f"sets the rule's own labels {sorted(clash)}",
                                          "list only the labels that come from the series")

    @cached_property
    def static_labels(self) -> Mapping[str, str]:
        """The labels the rule itself adds to every alert (worked out once: proofs, renderers
        and routing cases ask for every expected alert)."""
        return MappingProxyType({"severity": self.severity, **self.labels})


_COUNTER_SUFFIXES = ("_total", "_count", "_bucket", "_sum")
_EXPANDING = re.compile(r"(-?[0-9.eE]+)([+-])(-?[0-9.eE]+)x([0-9]+)")


def _generated_tests(alert: str, tests: Sequence[AlertTest]) -> tuple[AlertTest, ...]:
    """Generated proofs as a rule holds them, after the one check they can fail (`_check_counter_steps`)."""
    tests = tuple(tests)
    for test in tests:
        _check_counter_steps(alert, test)
    return tests


def _check_counter_steps(alert: str, test: AlertTest) -> None:
    """Counters in test input never go down: `0+-10860x15` (a threshold outside its range turned
    into test data) would make promtool fail with a parse error pointing elsewhere."""
    for selector, given in test.series.items():
        values = given.values if isinstance(given, ClockValues) else given
        if "-" not in values:  # the common case, checked first: a thousand SLOs' proofs pass here
            continue
        metric = selector.split("{", 1)[0].strip()
        if not metric.endswith(_COUNTER_SUFFIXES):
            continue
        for token in values.split():
            match = _EXPANDING.fullmatch(token)
            if match is None:
                continue
            step = float(match[3]) * (-1 if match[2] == "-" else 1)
            if step < 0 or float(match[1]) < 0:
                raise DefinitionError(f"alert {alert!r}", f"tests[{test.name!r}].series[{selector!r}]",
                                      f"the counter {metric} goes down ({token!r}): counters never decrease",
                                      f"the test data follows the alert's parameters: check "
                                      f"overrides['{alert}.threshold'] lies in its range")


def check_label_value_name(definition: str, name: str) -> None:
    """Alert names end up as the `alertname` label and in file/URL paths: keep them identifiers."""
    if not name.replace("_", "").isalnum() or not name[0].isalpha():
        raise DefinitionError(definition, "name", f"{name!r} is not a valid alert name",
                              "use letters and digits in CamelCase, e.g. 'DeploymentRolloutStuck'")


@dataclass(frozen=True)
class RecordingRule:
    """A recording rule: `record` is the new series name (level:metric:operations)."""

    record: str
    expr: str
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.record

    @property
    def definition(self) -> str:
        return f"recording rule {self.record!r}"

    def __post_init__(self) -> None:
        what = self.definition
        check_metric_name(what, "record", self.record)
        check_nonempty(what, "expr", self.expr)
        object.__setattr__(self, "labels", frozen_mapping(self.labels))
        check_labels(what, "labels", self.labels)

    @classmethod
    def generated(cls, record: str, expr: str, labels: Mapping[str, str]) -> RecordingRule:
        """A recording rule of an SLO (obs.slo.rules): its name is one of obs's series names, its
        expression is never empty and its labels are the validated SLO's (share one read-only
        mapping between the SLO's rules)."""
        return _unchecked(cls, record=record, expr=expr,
                          labels=labels if isinstance(labels, MappingProxyType) else MappingProxyType(dict(labels)))


Rule = AlertRule | RecordingRule


@dataclass(frozen=True)
class RuleGroup:
    """A Prometheus rule group: rules evaluated together at one interval. `tier` places it in an
    environment with a global store (docs/fleet.md): "cluster" (each cluster's Prometheus) or
    "global" (the global ruler over every cluster); None takes the default of its kind
    (obs.placement: SLO alerts and budgets global, everything else on the cluster unless it reads
    series only the global store has)."""

    name: str
    rules: Sequence[Rule]
    interval: str | None = None
    limit: int | None = None
    tier: str | None = None

    def __post_init__(self) -> None:
        what = f"rule group {self.name!r}"
        check_nonempty(what, "name", self.name)
        if self.tier is not None and self.tier not in TIERS:
            raise DefinitionError(what, "tier", f"{self.tier!r} is not a tier",
                                  f"use one of {', '.join(TIERS)} (or None for the default of the group's kind)")
        object.__setattr__(self, "rules", tuple(self.rules))
        if not self.rules:
            raise DefinitionError(what, "rules", "is empty", "add at least one rule or drop the group")
        if self.interval is not None:
            check_duration(what, "interval", self.interval)
        if self.limit is not None and (not isinstance(self.limit, int) or self.limit < 0):
            raise DefinitionError(what, "limit", f"{self.limit!r} is not a non-negative integer")
        seen: dict[tuple[bool, str], list[Mapping[str, str]]] = {}  # (alert?, name) -> the labels of each
        for rule in self.rules:
            if not isinstance(rule, (AlertRule, RecordingRule)):
                raise DefinitionError(what, "rules", f"{rule!r} is not an AlertRule or RecordingRule")
            # Alerts must be unique by name. Recording rules may share a name only with
            # different static labels (e.g. one per quantile), else they write the same series.
            # (Labels are compared only when a name repeats, which few groups have.)
            alert = isinstance(rule, AlertRule)
            named = seen.get((alert, rule.name))
            if named is None:
                seen[(alert, rule.name)] = [rule.labels]
                continue
            if alert or rule.labels in named:
                kind = "alert" if alert else "recording rule (same name and labels)"
                raise DefinitionError(what, "rules", f"duplicate {kind} {rule.name!r}",
                                      "rename one of them or give the recording rules distinct labels")
            named.append(rule.labels)

    @classmethod
    def generated(cls, name: str, rules: Sequence[Rule], interval: str, tier: str | None = None) -> RuleGroup:
        """A rule group of an SLO (obs.slo.rules): its name is the validated SLO's, its interval
        and tier obs's constants, and its rules are non-empty and unique by construction (one
        recording rule per series name and window, one alert per severity), so nothing is checked
        again."""
        return _unchecked(cls, name=name, rules=tuple(rules), interval=interval, limit=None, tier=tier)

    @cached_property
    def alerts(self) -> tuple[AlertRule, ...]:
        """The group's alerting rules (computed once: renderers and linters ask often)."""
        return tuple(r for r in self.rules if isinstance(r, AlertRule))


@dataclass(frozen=True)
class RulePack:
    """A named set of rule groups: one rule file, one PrometheusRule, one unit-test file."""

    name: str
    groups: Sequence[RuleGroup]
    description: str = ""

    def __post_init__(self) -> None:
        what = f"rule pack {self.name!r}"
        check_slug(what, "name", self.name)
        object.__setattr__(self, "groups", tuple(self.groups))
        if not self.groups:
            raise DefinitionError(what, "groups", "is empty", "add at least one RuleGroup")
        check_items(what, "groups", self.groups, RuleGroup)
        check_unique(what, "groups", (g.name for g in self.groups), "group name")

    @cached_property
    def alerts(self) -> tuple[AlertRule, ...]:
        """Every alerting rule of the pack (computed once)."""
        return tuple(a for g in self.groups for a in g.alerts)
