"""The obs model: typed, frozen definitions validated on construction."""
from obs.model.bundle import Bundle, Definitions
from obs.model.environment import DEFAULT_SELECTORS, Environment, Urls
from obs.model.fleet import Cluster, Thanos
from obs.model.rules import AlertRule, AlertTest, FiringAlert, RecordingRule, RuleGroup, RulePack

__all__ = ["AlertRule", "AlertTest", "Bundle", "Cluster", "DEFAULT_SELECTORS", "Definitions", "Environment",
           "FiringAlert", "RecordingRule", "RuleGroup", "RulePack", "Thanos", "Urls"]
