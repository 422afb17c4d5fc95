"""Issue 18 section 4: mistakes that built green or failed misleadingly are caught at definition
time, each naming the field and the fix (the exact messages are asserted)."""
from __future__ import annotations

import pytest

from obs import AlertRule, AlertTest, Bundle, Definitions, DefinitionError, Environment, FiringAlert
from obs.model.slo import SLO, EventsSLI, SLOAlerting, counter_rate
from obs.packs import opentelemetry, slos, web
from obs.pipeline import render

EVENTS = EventsSLI(bad=counter_rate("http_requests_total", 'code=~"5.."'), total=counter_rate("http_requests_total"))


def slo(**changes) -> SLO:
    return SLO(**{"service": "checkout", "name": "availability", "objective": 99.9, "sli": EVENTS, **changes})


def fails(make) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        make()
    assert caught.value.fix, f"no fix: {caught.value}"
    return caught.value


def test_an_objective_given_as_a_fraction_asks_for_the_percentage():
    error = fails(lambda: slo(objective=0.999))
    assert str(error) == ("SLO 'checkout/availability': field 'objective': 0.999 is a fraction, not a percentage "
                          "between 50 and 100 (did you mean 99.9?) (fix: write objective=99.9 (99.9% of events good))")


@pytest.mark.parametrize("objective", [50, 40, 100, 100.5, float("nan")])
def test_objectives_outside_50_to_100_are_rejected(objective):
    error = fails(lambda: slo(objective=objective))
    assert error.field == "objective"
    assert "between 50 and 100" in error.problem or "is not a percentage" in error.problem


def test_an_slo_whose_page_windows_all_drop_is_an_error_unless_allowed():
    error = fails(lambda: slo(objective=80))
    assert error.field == "objective"
    assert error.problem == ("at 80% none of the page windows (1h/5m, 6h/30m) could ever fire, so the SLO would "
                             "have no page alert")
    assert "SLOAlerting(allow_dropped_page=True)" in error.fix
    kept = slo(objective=80, alerting=SLOAlerting(allow_dropped_page=True))
    assert kept.alerting.page_windows == () and kept.alerting.ticket_windows


def test_a_ratio_threshold_given_as_a_percentage_is_rejected_naming_the_ratio():
    env = Environment("prod", cluster="prod-eu1", overrides={"HighErrorRate.threshold": 10})
    error = fails(lambda: opentelemetry.high_error_rate(env))
    assert str(error) == (
        "environment 'prod': field 'overrides['HighErrorRate.threshold']': 10 is outside (0, 1], the range "
        "HighErrorRate declares (a ratio: 0.05 is 5%) (did you mean 0.1, i.e. 10%?) "
        "(fix: give a number in (0, 1], e.g. the default 0.05)")


@pytest.mark.parametrize("key,value", [("WebHighErrorRate.threshold", 0), ("WebHighErrorRate.threshold", 1.5),
                                       ("WebHighResponseTime.threshold", 0), ("WebHighErrorRate.min_rate", -1)])
def test_numeric_overrides_are_checked_against_the_declared_range(key, value):
    env = Environment("prod", cluster="prod-eu1", overrides={key: value})
    error = fails(lambda: web.pack(env))
    assert error.field == f"overrides[{key!r}]"


def test_an_objective_override_given_as_a_fraction_asks_for_the_percentage():
    env = Environment("prod", cluster="prod-eu1", overrides={"CheckoutSLO.availability": 0.999})
    error = fails(lambda: slos.http_slos(env))
    assert "(did you mean 99.9?)" in error.problem and "outside (50, 100)" in error.problem


def test_a_threshold_near_one_still_gives_test_data_that_only_counts_up():
    env = Environment("prod", cluster="prod-eu1", overrides={"HighErrorRate.threshold": 0.97})
    alert = opentelemetry.high_error_rate(env)
    assert not any("+-" in v for t in alert.tests for v in t.series.values())


def test_test_data_with_a_falling_counter_fails_naming_the_threshold():
    test = AlertTest("burst", {'http_requests_total{job="a"}': "0+-10860x15"}, at="15m",
                     fires=[FiringAlert({"job": "a"}, "x")])
    error = fails(lambda: AlertRule("HighErrorRate", "up == 0", "critical", "s", "d", tests=[test]))
    assert str(error) == (
        "alert 'HighErrorRate': field 'tests['burst'].series['http_requests_total{job=\"a\"}']': the counter "
        "http_requests_total goes down ('0+-10860x15'): counters never decrease (fix: the test data follows the "
        "alert's parameters: check overrides['HighErrorRate.threshold'] lies in its range)")


def test_an_unknown_override_key_names_the_nearest_key():
    env = Environment("prod", cluster="prod-eu1", overrides={"HighErorRate.threshold": 0.1})
    bundle = Bundle("b", [env], lambda e: Definitions(rule_packs=[opentelemetry.services_pack(e)]))
    error = fails(lambda: list(render(bundle)))
    assert str(error) == (
        "environment 'prod': field 'overrides': no definition reads HighErorRate.threshold (did you mean "
        "'HighErrorRate.threshold'?) (fix: fix the key's spelling or remove the override; `obs params` lists "
        "every key)")
