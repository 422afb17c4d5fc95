"""An Alertmanager configuration as one checked object: routing tree, receivers, inhibitions,
time intervals and the routing intents obs proves with amtool."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from obs.alertmanager.receivers import OPERATOR_SECRETS_DIR, Receiver
from obs.alertmanager.routing import Inhibition, Intent, Route, TimeInterval
from obs.errors import DefinitionError
from obs.model.checks import check_duration, check_slug, check_unique


@dataclass(frozen=True)
class Alertmanager:
    """Routing for one environment. The root route's receiver is the default for alerts no child
    route takes; `intents` state where each kind of alert must go, and every alert the bundle
    defines must meet one (an alert reaching the default receiver is an error unless an intent
    says so). `secrets_dir` is where credential files are mounted (the Prometheus Operator's
    place for the Alertmanager's spec.secrets)."""

    name: str
    route: Route
    receivers: Sequence[Receiver]
    intents: Sequence[Intent]
    inhibitions: Sequence[Inhibition] = ()
    time_intervals: Sequence[TimeInterval] = ()
    resolve_timeout: str = "5m"
    secrets_dir: str = OPERATOR_SECRETS_DIR

    @property
    def definition(self) -> str:
        return f"alertmanager {self.name!r}"

    def __post_init__(self) -> None:
        what = self.definition
        check_slug(what, "name", self.name)
        check_duration(what, "resolve_timeout", self.resolve_timeout)
        for name, kind in (("receivers", Receiver), ("intents", Intent), ("inhibitions", Inhibition),
                           ("time_intervals", TimeInterval)):
            object.__setattr__(self, name, tuple(getattr(self, name)))
            for item in getattr(self, name):
                if not isinstance(item, kind):
                    raise DefinitionError(what, name, f"{item!r} is not a {kind.__name__}",
                                          f"build it with obs.alertmanager.{kind.__name__}(...)")
        if not isinstance(self.route, Route):
            raise DefinitionError(what, "route", f"{self.route!r} is not a Route", "pass Route(receiver=...)")
        if self.route.matchers:
            raise DefinitionError(what, "route", "the root route has matchers", "the root route takes every "
                                  "alert: move the matchers to a child route")
        for name in ("group_wait", "group_interval", "repeat_interval"):
            if getattr(self.route, name) is None:
                raise DefinitionError(what, f"route.{name}", "is not set on the root route",
                                      "set it on the root: child routes inherit it")
        if not self.intents:
            raise DefinitionError(what, "intents", "is empty", "say where alerts must go, e.g. "
                                  "Intent({'severity': 'critical'}, 'pager')")
        if not isinstance(self.secrets_dir, str) or not self.secrets_dir.startswith("/"):
            raise DefinitionError(what, "secrets_dir", f"{self.secrets_dir!r} is not an absolute path")
        check_unique(what, "receivers", (r.name for r in self.receivers), "receiver")
        check_unique(what, "time_intervals", (t.name for t in self.time_intervals), "time interval")
        self._check_references()

    def _check_references(self) -> None:
        what = self.definition
        receivers = {r.name for r in self.receivers}
        intervals = {t.name for t in self.time_intervals}
        used: set[str] = set()
        for route in self.route.walk():
            if route.receiver not in receivers:
                raise DefinitionError(what, "route", f"{route.definition} names no defined receiver",
                                      f"define Receiver({route.receiver!r}) or use one of {sorted(receivers)}")
            used.add(route.receiver)
            for name in (*route.active_in, *route.muted_in):
                if name not in intervals:
                    raise DefinitionError(what, "route", f"{route.definition} uses time interval {name!r}, "
                                          "which is not defined", f"add TimeInterval({name!r}, ...)")
        unused = sorted(receivers - used)
        if unused:
            raise DefinitionError(what, "receivers", f"receiver {unused[0]!r} is not used by any route",
                                  "route alerts to it or remove it")
        for intent in self.intents:
            missing = [r for r in intent.receivers if r not in receivers]
            if missing:
                raise DefinitionError(what, "intents", f"intent {intent.why or intent.match!r} expects "
                                      f"receiver {missing[0]!r}, which is not defined",
                                      f"use one of {sorted(receivers)}")

    @property
    def default_receiver(self) -> str:
        return self.route.receiver

    def secrets(self) -> list[str]:
        """The Kubernetes Secrets to list in the Alertmanager's spec.secrets."""
        return sorted({s for r in self.receivers for s in r.secrets()})

    def intended(self, labels: Mapping[str, str]) -> Intent | None:
        """The first intent the labels meet."""
        return next((i for i in self.intents if i.applies(labels)), None)


def intents_by_label(label: str, receivers: Mapping[str, str | Sequence[str]]) -> list[Intent]:
    """One intent per value of `label`, e.g. intents_by_label('severity', {'critical': 'pager'})."""
    return [Intent({label: value}, target, why=f"{label}={value}") for value, target in receivers.items()]
