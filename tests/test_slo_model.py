"""The SLO model: valid definitions, and every invalid input rejected naming its field."""
from __future__ import annotations

import pytest

from obs import (
    SLO, BurnRateWindow, Bundle, Definitions, DefinitionError, Environment, EventsSLI, LatencySLI, RawSLI,
    SLOAlerting, counter_rate,
)
from obs.model.rules import RulePack
from obs.model.slo import PAGE_WINDOWS, TICKET_WINDOWS, google_windows, le_values, window_name
from obs.slo.rules import slo_rule_packs

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
    assert google_windows("30d") == (PAGE_WINDOWS, TICKET_WINDOWS) and google_windows("7d") is None
    assert BurnRateWindow.budget_share("1h", "5m", 8, "7d") == BurnRateWindow("1h", "5m", 13.44, "7d")


def test_google_windows_serve_28d_and_30d_other_periods_need_their_own_or_scaling():
    """Sloth ships Google's windows for 28d and 30d only and refuses other periods; obs did scale the
    30d factors silently, so at 7d a steady 0.5x burn raised a ticket (1x over 3d is 0.23x at 7d)."""
    assert [w.factor for w in slo(period="28d").alerting.page_windows] == [13.44, 5.6]
    assert slo(period="4w").alerting.ticket_windows[1].factor == 0.933333333
    error = rejects("period", lambda: slo(period="7d"))
    assert "designed for a 30d period, not 7d" in error.problem and "scale_windows=True" in error.fix
    scaled = slo(period="7d", alerting=SLOAlerting(scale_windows=True))
    assert [w.factor for w in scaled.alerting.ticket_windows] == [0.7, 0.233333]
    share = BurnRateWindow.budget_share
    own = SLOAlerting(page_windows=[share("1h", "5m", 8, "7d"), share("6h", "30m", 12.5, "7d")],
                      ticket_windows=[share("1d", "2h", 20, "7d"), share("3d", "6h", 42, "7d")])
    assert [w.factor for w in slo(period="7d", alerting=own).alerting.ticket_windows] == [1.4, 0.98]


def test_windows_shorter_than_5m_are_whole_minutes():
    custom = SLOAlerting(page_windows=[BurnRateWindow("30m", "2m", 14.4)], ticket_windows=())
    assert slo(alerting=custom).windows() == ("2m", "5m", "30m", "30d")
    rejects("short", lambda: BurnRateWindow("30m", "90s", 14.4))
    rejects("short", lambda: BurnRateWindow("30m", "30s", 14.4))
    assert slo(scrape_interval="15s").query_window == "1m15s"
    rejects("scrape_interval", lambda: slo(scrape_interval="2m"))


def test_window_names_keep_days():
    assert window_name("30d") == "30d" and window_name("4w2d") == "30d" and window_name("1h30m") == "90m"


def test_le_values_cover_prometheus_2_and_3():
    assert le_values(1.0) == ("1", "1.0")  # Go client writes "1"; Prometheus 3 normalises to "1.0"
    assert le_values(0.5) == ("0.5",)
    assert le_values(10) == ("10", "10.0")
    good = LatencySLI("http_server_request_duration_seconds", 1.0, 'job="a"').good
    assert 'le=~"1|1\\\\.0"' in good and "_bucket{job=\"a\", " in good


@pytest.mark.parametrize("objective", [100, 0, 50, 100.5, -1, "99.9", True])
def test_objective_must_be_between_50_and_100(objective):
    error = rejects("objective", lambda: slo(objective=objective))
    assert "between 50 and 100" in error.problem


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
    scaled = SLOAlerting(scale_windows=True)
    error = rejects("period", lambda: slo(period="2d", alerting=scaled))
    assert "shorter than the ticket alert's 3d window" in error.problem
    assert slo(period="2d", alerting=SLOAlerting(ticket_windows=(), scale_windows=True)).period == "2d"
    rejects("period", lambda: slo(period="soon"))


def test_a_window_pair_that_could_never_fire_is_dropped_with_a_note():
    # 14.4x a 10% budget needs a 144% error ratio; 6x needs 60%: the 6h/30m page can fire.
    s = slo(objective=90)
    assert [w.long for w in s.alerting.page_windows] == ["6h"] and len(s.alerting.ticket_windows) == 2
    assert s.notes == ("page window 1h/5m dropped: a 14.4x burn of a 0.1 budget needs an error ratio of 100% "
                       "or more, so it could never fire",)
    # 6x of 20% is 120%: no page at all, an error unless a ticket-only SLO is meant
    error = rejects("objective", lambda: slo(objective=80))
    assert "none of the page windows (1h/5m, 6h/30m) could ever fire" in error.problem
    assert "SLOAlerting(allow_dropped_page=True)" in error.fix
    s = slo(objective=80, alerting=SLOAlerting(allow_dropped_page=True))
    assert s.alerting.page_windows == () and "the page alert is dropped" in s.notes[-1]


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
    ("short", lambda: BurnRateWindow("1h", "30s", 14.4)),
    ("period", lambda: BurnRateWindow("1h", "5m", 14.4, period="month")),
    ("percent", lambda: BurnRateWindow.budget_share("1h", "5m", 0, "30d")),
    ("scale_windows", lambda: SLOAlerting(scale_windows="yes")),
    ("sloth_labels", lambda: slo(sloth_labels=1)),
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


def test_a_dropped_window_pair_is_a_build_warning():
    """At 90% the 1h/5m page can never fire: the SLO keeps its other pairs and the build says so."""
    import obs
    from obs import Bundle, Definitions, Environment, EventsSLI, counter_rate
    metric = "http_server_request_duration_seconds_count"
    slo = SLO("api", "availability", 90, EventsSLI(bad=counter_rate(metric, 'http_response_status_code=~"5.."'),
                                                    total=counter_rate(metric)))
    bundle = Bundle("x", [Environment("prod", cluster="p")], lambda env: Definitions(slos=[slo]))
    notes = [str(i) for i in obs.render(bundle)[0].issues if i.check == "slo-note"]
    assert notes == [f"warning: SLO 'api/availability': [slo-note] {slo.notes[0]}"] and "1h/5m" in notes[0]


def test_windows_worked_out_once_keep_each_slos_objective_text_and_name():
    """SLO._resolve_windows remembers its result per period, objective text and windows: each
    objective says its own budget in the note, and an error always names its own SLO."""
    assert "a 0.1 budget" in slo(objective=90).notes[0] and "a 0.1 budget" in slo(name="b", objective=90).notes[0]
    assert "a 0.09 budget" in slo(objective=91).notes[0] and slo(objective=99.9).notes == ()
    for name in ("first", "second"):
        error = rejects("objective", lambda name=name: slo(name=name, objective=80))
        assert error.definition == f"SLO 'checkout/{name}'"
    ticket_only = slo(objective=80, alerting=SLOAlerting(allow_dropped_page=True))
    assert ticket_only.alerting.page_windows == () and slo(objective=80.5, alerting=SLOAlerting(
        allow_dropped_page=True)).alerting.page_windows == ()


def test_labels_the_generated_proofs_would_carry_are_checked_where_they_are_defined():
    """Proofs are made lazily and skip the checks of labels the SLO validated, so the SLO refuses
    an empty label value and the latency SLI a `by` label name that is not one, naming themselves."""
    error = rejects("labels['team']", lambda: slo(labels={"team": ""}))
    assert "is empty" in error.problem and "checkout" in error.definition
    error = rejects("by[1]", lambda: LatencySLI("http_request_duration_seconds", 0.5, by=("cluster", "bad-name")))
    assert "not a valid label name" in error.problem and "latency SLI" in error.definition


def test_proofs_are_made_when_first_read_and_equal_those_made_at_once():
    """An SLO alert's proofs are deferred (AlertRule.with_deferred_tests) until read: read or
    copied, the rule holds exactly the cases `proofs` makes, and equals a rule built with them."""
    import copy

    from obs.slo.proofs import proofs
    from obs.slo.rules import alert_rules
    env = Environment("dev", cluster="dev-1")
    latency = LatencySLI("http_request_duration_seconds", 0.5, selector='job="x"')
    for made in (slo(), slo(sli=latency)):
        untested = alert_rules(made, env, with_tests=False)
        for rule, bare, windows in zip(alert_rules(made, env), untested, made.alerting.windows().values(), strict=True):
            assert "_deferred_tests" in vars(rule) and "tests" not in vars(rule)
            copied = copy.copy(rule)
            expected = proofs(made, env, bare, windows)
            assert copied.tests == rule.tests == tuple(expected) and expected
            assert "_deferred_tests" not in vars(rule) and "_deferred_tests" not in vars(copied)
            assert rule == rule.with_generated_tests(expected)


def _cases(pack: RulePack) -> list[tuple]:
    return [(test.name, dict(test.series), test.at, [(dict(f.labels), f.description) for f in test.fires])
            for group in pack.groups for rule in group.alerts for test in rule.tests]


def test_slos_of_one_shape_share_a_selection_plan_but_keep_their_own_labels():
    """The second and third SLO of a shape get the selection case, planned once for the shape:
    each with its own series and expected alerts (the third's cases are the second's with its
    names), never a label of another SLO."""
    env = Environment("dev", cluster="dev-1")
    slos = [slo(service=service, labels={"team": team}, sloth_labels=True)
            for service, team in (("checkout", "shop"), ("payments", "pay"), ("orders", "ord"))]
    owner, second, third = slo_rule_packs(slos, env)
    assert len(_cases(owner)) > len(_cases(second))
    names = {case[0] for case in _cases(second)}
    assert "no traffic yet" in names and any(name.startswith("own series: ") for name in names)
    renamed = repr(_cases(second)).replace("payments", "orders").replace("pay", "ord")
    assert renamed == repr(_cases(third))
    assert "checkout" not in repr(_cases(second)) + repr(_cases(third))
