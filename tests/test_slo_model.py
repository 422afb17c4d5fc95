"""The SLO model: valid definitions, and every invalid input rejected naming its field."""
from __future__ import annotations

import pytest

from obs import (
    SLO, BurnRateWindow, Bundle, Definitions, DefinitionError, Environment, EventsSLI, LatencySLI, RawSLI,
    SLOAlerting, counter_rate,
)
from obs.model.slo import le_values, window_name

EVENTS = EventsSLI(bad=counter_rate("http_requests_total", 'code=~"5.."'), total=counter_rate("http_requests_total"))


def slo(**changes) -> SLO:
    fields = dict(service="checkout", name="availability", objective=99.9, sli=EVENTS)
    return SLO(**{**fields, **changes})


def rejects(field: str, make) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        make()
    assert caught.value.field == field, str(caught.value)
    assert caught.value.fix, f"no fix suggested: {caught.value}"
    return caught.value


def test_defaults_and_derived_values():
    s = slo()
    assert s.period == "30d" and str(s.error_budget) == "0.001" and str(s.objective_ratio) == "0.999"
    assert s.windows() == ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")
    assert s.alert_stem == "CheckoutAvailabilityErrorBudgetBurn"
    assert "{{window}}" in EVENTS.bad and "[{{window}}]" in EVENTS.total


def test_sloth_window_placeholder_is_accepted_and_normalised():
    sli = EventsSLI(bad="sum by (cluster) (rate(e[{{.window}}]))", total="sum by (cluster) (rate(t[{{ .window }}]))")
    assert sli.bad == "sum by (cluster) (rate(e[{{window}}]))" and sli.total.endswith("[{{window}}]))")


def test_factors_scale_to_the_period_like_sloth():
    # Same share of the budget per window: 14.4x over 1h spends 2% of a 30d budget; 13.44x of a 28d one.
    page_fast, page_slow = SLOAlerting().page_windows
    assert page_fast.factor_for("30d") == 14.4 and page_fast.factor_for("28d") == 13.44
    assert page_slow.factor_for("28d") == 5.6 and SLOAlerting().ticket_windows[1].factor_for("7d") == 0.233333


def test_window_names_keep_days():
    assert window_name("30d") == "30d" and window_name("4w2d") == "30d" and window_name("1h30m") == "90m"


def test_le_values_cover_prometheus_2_and_3():
    assert le_values(1.0) == ("1", "1.0")  # Go client writes "1"; Prometheus 3 normalises to "1.0"
    assert le_values(0.5) == ("0.5",)
    assert le_values(10) == ("10", "10.0")
    good = LatencySLI("http_server_request_duration_seconds", 1.0, 'job="a"').good
    assert 'le=~"1|1\\\\.0"' in good and "_bucket{job=\"a\", " in good


@pytest.mark.parametrize("objective", [100, 0, 100.5, -1, "99.9", True])
def test_objective_must_be_between_0_and_100(objective):
    error = rejects("objective", lambda: slo(objective=objective))
    assert "between 0 and 100" in error.problem


@pytest.mark.parametrize("field,make", [
    ("bad", lambda: EventsSLI(bad="sum(rate(e[5m]))", total=EVENTS.total)),
    ("total", lambda: EventsSLI(bad=EVENTS.bad, total="sum(rate(t[1h]))")),
    ("error_ratio", lambda: RawSLI("sum(rate(e[5m])) / sum(rate(t[5m]))")),
    ("bad", lambda: EventsSLI(bad="", total=EVENTS.total)),
])
def test_sli_queries_need_the_window_placeholder(field, make):
    rejects(field, make)


def test_latency_threshold_must_be_a_declared_bucket():
    error = rejects("threshold", lambda: LatencySLI("http_server_request_duration_seconds", 0.3,
                                                    buckets=(0.1, 0.25, 0.5, 1)))
    assert "0.3 is not one of the histogram's buckets" in error.problem
    assert LatencySLI("http_server_request_duration_seconds", 0.5, buckets=(0.1, 0.25, 0.5, 1)).threshold == 0.5


@pytest.mark.parametrize("field,make", [
    ("metric", lambda: LatencySLI("http_server_request_duration_seconds_bucket", 0.5)),
    ("threshold", lambda: LatencySLI("http_server_request_duration_seconds", 0)),
    ("threshold", lambda: LatencySLI("http_server_request_duration_seconds", "fast")),
])
def test_latency_sli_fields(field, make):
    rejects(field, make)


def test_period_shorter_than_the_longest_window_is_rejected():
    error = rejects("period", lambda: slo(period="2d"))
    assert "shorter than the ticket alert's 3d window" in error.problem
    assert slo(period="2d", alerting=SLOAlerting(ticket_windows=())).period == "2d"
    rejects("period", lambda: slo(period="soon"))


def test_an_alert_that_could_never_fire_is_rejected():
    # 14.4x a 10% budget needs a 144% error ratio.
    error = rejects("objective", lambda: slo(objective=90))
    assert "could never fire" in error.problem


@pytest.mark.parametrize("field,make", [
    ("service", lambda: slo(service="check out")),
    ("name", lambda: slo(name="")),
    ("labels", lambda: slo(labels={"slo_name": "x"})),
    ("labels['team']", lambda: slo(labels={"team": 1})),
    ("min_event_rate", lambda: slo(min_event_rate=-1)),
    ("min_event_rate", lambda: slo(sli=RawSLI("sum by (cluster) (rate(e[{{window}}]))"), min_event_rate=1)),
    ("sli", lambda: slo(sli="sum(rate(x[5m]))")),
    ("alerting", lambda: slo(alerting={"page": True})),
    ("labels", lambda: SLOAlerting(labels={"severity": "page"})),
    ("short", lambda: BurnRateWindow("1h", "1h", 14.4)),
    ("short", lambda: BurnRateWindow("1h", "1m", 14.4)),
    ("factor", lambda: BurnRateWindow("1h", "5m", 0)),
    ("page_windows", lambda: SLOAlerting(page_windows=[("1h", "5m", 14.4)])),
])
def test_invalid_fields_are_rejected(field, make):
    rejects(field, make)


def test_duplicate_slos_and_missing_environment():
    env = Environment("dev", cluster="dev-1")
    bundle = Bundle("b", [env], lambda e: Definitions(slos=[slo(), slo()]))
    error = rejects("slos", lambda: bundle.definitions(env).all_rule_packs())
    assert "duplicate SLO 'checkout/availability'" in error.problem
    rejects("slos", lambda: Definitions(slos=[slo()]).all_rule_packs())
    rejects("slos", lambda: Definitions(slos=["checkout"], environment=env).all_rule_packs())


def test_slo_alerting_dashboard_must_be_a_dashboard():
    from obs import DefinitionError, SLOAlerting
    with pytest.raises(DefinitionError, match="field 'dashboard'"):
        SLOAlerting(dashboard="slo-board")
