"""Routing cases: for every alert a bundle defines, the label set Alertmanager will see and the
receivers its Alertmanager intends for it. Written next to the config and proven with
`amtool config routes test` (obs.validate.amtool)."""
from __future__ import annotations

from typing import Any, Iterable

from obs.alertmanager.config import Alertmanager
from obs.errors import DefinitionError
from obs.model.rules import AlertRule, RulePack


def alert_label_sets(alert: AlertRule) -> list[tuple[str, dict[str, str]]]:
    """(case, labels) for each alert its promtool cases expect to fire, the rule's static labels
    on top (as Prometheus sets them); the static labels alone if no case fires."""
    base = {"alertname": alert.name}
    found = [(test.name, {**fired.labels, **alert.static_labels, **base})
             for test in alert.tests for fired in test.fires]
    return found or [("static labels", {**alert.static_labels, **base})]


def routing_cases(config: Alertmanager, packs: Iterable[RulePack]) -> list[dict[str, Any]]:
    """One case per distinct label set: labels, the receivers intended, and where they came from.
    An alert no intent covers is a DefinitionError naming it."""
    cases: dict[tuple, dict[str, Any]] = {}
    for pack in packs:
        for alert in pack.alerts:
            for case, labels in alert_label_sets(alert):
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
    return sorted(cases.values(), key=lambda c: (c["pack"], c["alert"], sorted(c["labels"].items())))
