"""Routing cases: for every alert a bundle defines, the label sets Alertmanager will see and the
receivers its Alertmanager intends for them. Written next to the config and proven with
`amtool config routes test` (obs.validate.amtool).

With teams (obs.model.team.Owners), every case is repeated with each real value of what the
alert's team owns (each namespace and job, every alternative of a regex up to
obs.model.team.ALTERNATIVES_BOUND), so every team's routes are exercised on the values its alerts
really carry, and the routing lints (obs.alertmanager.lint) run on those cases."""
from __future__ import annotations

from typing import Any, Iterable

from obs.alertmanager.config import Alertmanager
from obs.alertmanager.lint import lint_routing
from obs.errors import DefinitionError
from obs.labels import TEAM
from obs.model.rules import AlertRule, RulePack
from obs.model.team import Owners


def alert_label_sets(alert: AlertRule) -> list[tuple[str, dict[str, str]]]:
    """(case, labels) for each alert its promtool cases expect to fire, the rule's static labels
    on top (as Prometheus sets them); the static labels alone if no case fires."""
    base = {"alertname": alert.name}
    found = [(test.name, {**fired.labels, **alert.static_labels, **base})
             for test in alert.tests for fired in test.fires]
    return found or [("static labels", {**alert.static_labels, **base})]


def owned_variants(owners: Owners, alert: AlertRule, case: str,
                   labels: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """The case itself, then one per real value of each owned label (namespace, job) the alert
    takes from its series, drawn from its team's ownership (static labels stay as the rule sets them)."""
    out = [(case, labels)]
    if TEAM not in labels:
        return out
    for label, values in owners.examples(owners.team(labels[TEAM])).items():
        if label in labels and label not in alert.static_labels:
            out += [(f"{case} [{label}={value}]", {**labels, label: value}) for value in values
                    if value != labels[label]]
    return out


def routing_cases(config: Alertmanager, packs: Iterable[RulePack],
                  owners: Owners | None = None) -> list[dict[str, Any]]:
    """One case per distinct label set: labels, the receivers intended, and where they came from.
    An alert no intent covers is a DefinitionError naming it; with teams, the routing lints too."""
    cases: dict[tuple, dict[str, Any]] = {}
    for pack in packs:
        for alert in pack.alerts:
            for base_case, base_labels in alert_label_sets(alert):
                variants = [(base_case, base_labels)]
                if owners is not None:
                    variants = owned_variants(owners, alert, base_case, base_labels)
                for case, labels in variants:
                    intent = config.intended(labels)
                    if intent is None:
                        raise DefinitionError(config.definition, "intents",
                                              f"no intent covers alert {alert.name!r} (rule pack {pack.name!r}, "
                                              f"labels {dict(sorted(labels.items()))})",
                                              "add an Intent matching it, naming the receiver it must reach")
                    key = tuple(sorted(labels.items()))
                    cases.setdefault(key, {"alert": alert.name, "pack": pack.name, "case": case,
                                           "labels": dict(sorted(labels.items())),
                                           "receivers": list(intent.receivers),
                                           "intent": intent.why or " ".join(m.text() for m in intent.match)})  # type: ignore[union-attr]
    found = sorted(cases.values(), key=lambda c: (c["pack"], c["alert"], sorted(c["labels"].items())))
    if owners is not None:
        lint_routing(config, owners, found)
    return found
