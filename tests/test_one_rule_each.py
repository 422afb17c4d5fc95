"""Each rule is written once (issue: duplicate shapes): a deep merge for Helm values and the
collector's telemetry settings; the metric-name and PromQL string rules of obs.model.checks for
every PromQL scanner; one label_values() pattern and one promtool rule-error pattern."""
from __future__ import annotations

import re
from pathlib import Path

from obs.catalog import promql as catalog_promql
from obs.collector import config as collector_config
from obs.model import checks
from obs.render import clusters
from obs.validate import coherence, dashboard_queries, lint, promtool


def test_one_deep_merge_serves_helm_values_and_collector_telemetry():
    from obs.mappings import deep_merge
    base = {"a": {"b": 1, "c": {"d": 2}}, "x": [1]}
    extra = {"a": {"c": {"e": 3}}, "x": [2]}
    assert deep_merge(base, extra) == {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "x": [2]}
    assert base == {"a": {"b": 1, "c": {"d": 2}}, "x": [1]}  # inputs unchanged
    assert clusters.deep_merge is deep_merge and collector_config.deep_merge is deep_merge


def test_promql_scanners_use_the_metric_name_and_string_rules_of_checks():
    assert checks.METRIC_NAME_RE.pattern == rf"^{checks.METRIC_NAME}\Z"
    assert checks.METRIC_NAME in dashboard_queries._IDENT.pattern
    assert checks.METRIC_NAME in catalog_promql._TOKEN.pattern and checks.PROMQL_STRING in catalog_promql._TOKEN.pattern
    for module in (lint, dashboard_queries):
        assert not [name for name, value in vars(module).items()
                    if isinstance(value, re.Pattern) and value.pattern == checks.PROMQL_STRING and
                    value is not checks.PROMQL_STRING_RE], f"{module.__name__} compiles its own PromQL string rule"


def test_label_values_and_promtool_rule_errors_are_parsed_by_one_pattern_each():
    source = Path(coherence.__file__).read_text()  # it imports the pattern when a build has dashboards
    assert "from obs.validate.dashboard_queries import LABEL_VALUES" in source and "re.compile" not in source
    assert dashboard_queries.LABEL_VALUES.match("label_values(up{job=\"a\"}, instance)").groups() == \
        ('up{job="a"}', "instance")
    assert dashboard_queries.RULE_REF is promtool.RULE_REF
