"""obs: the observability bundle as code.

    import obs
    bundle = obs.Bundle(name="shop", environments=[obs.Environment("prod", cluster="prod-eu1")],
                        define=lambda env: obs.Definitions(rule_packs=[...]))
    obs.build(bundle, Path("gitops"))
"""
from obs.errors import DefinitionError, ObsError, ValidationError
from obs.model import (
    DEFAULT_SELECTORS, AlertRule, AlertTest, Bundle, Cluster, Definitions, Environment, FiringAlert, RecordingRule,
    RuleGroup, RulePack, Thanos, Urls,
)
from obs.model.suppress import Suppress
from obs.model.team import Owners, Ownership, Team, TeamReceivers
from obs.pipeline import build, check, render, validate

__all__ = ["AlertRule", "AlertTest", "Bundle", "Cluster", "DEFAULT_SELECTORS", "DefinitionError", "Definitions",
           "Environment", "FiringAlert", "ObsError", "RecordingRule", "RuleGroup", "RulePack", "Suppress",
           "Owners", "Ownership", "Team", "TeamReceivers", "Thanos", "Urls", "ValidationError", "build", "check",
           "render", "validate"]

from obs.model.slo import (
    SLO, BurnRateWindow, EventsSLI, LatencySLI, RawSLI, SLOAlerting, counter_rate, counter_rates,
)

from obs.catalog import MetricSource

__all__ += ["MetricSource", "BurnRateWindow", "EventsSLI", "LatencySLI", "RawSLI", "SLO", "SLOAlerting", "counter_rate",
            "counter_rates"]
