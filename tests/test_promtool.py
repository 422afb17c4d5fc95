"""Real promtool: invalid PromQL is reported with the definition's name; unit tests can fail."""
from __future__ import annotations

import pytest

from obs import FiringAlert, ValidationError
from obs.pipeline import render, validate
from tests.sample_bundle import make_bundle


def test_valid_bundle_passes_check_and_unit_tests(promtool_bin):
    report = validate(render(make_bundle()))
    assert "promtool check rules: 1 files OK" in report
    assert "promtool test rules: 1 files OK" in report


def test_invalid_promql_names_the_definition_and_quotes_promtool(promtool_bin):
    with pytest.raises(ValidationError) as err:
        validate(render(make_bundle(expr="max by (cluster, job) (up{job=\"api\"}) == == 0")))
    message = str(err.value)
    assert "rule 'ApiDown' (environment 'dev', rule pack 'sample', group 'sample.rules')" in message
    assert "could not parse expression" in message  # promtool's own words
    assert "dev/prometheus/rules/sample.yaml" in message


def test_a_wrong_expectation_fails_promtool_test(promtool_bin, monkeypatch):
    import tests.sample_bundle as sample
    original = sample.up_alert

    def wrong_description(expr: str = 'max by (cluster, job) (up{job="api"}) == 0', name: str = "ApiDown"):
        alert = original(expr, name)
        fired = alert.tests[0]
        bad = type(fired)(fired.name, fired.series, fired.at, [FiringAlert({"cluster": "c1", "job": "api"}, "wrong")])
        return type(alert)(**{**alert.__dict__, "tests": (bad, alert.tests[1])})

    monkeypatch.setattr(sample, "up_alert", wrong_description)
    with pytest.raises(ValidationError, match="promtool test rules failed"):
        validate(render(sample.make_bundle()))
