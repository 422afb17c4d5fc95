"""Window precision, proved with the real promtool: alerts fire and resolve within one evaluation of
the SRE workbook's windows (events of exactly the last W), a steady burn of exactly a threshold
never alerts (no flapping), and the per-minute tiles read from raw counters add up to exact windows."""
from __future__ import annotations

from dataclasses import replace

import pytest

from obs import SLO, BurnRateWindow, Environment, EventsSLI, SLOAlerting, counter_rate
from obs.model.rules import AlertRule, AlertTest, FiringAlert, RuleGroup, RulePack
from obs.slo.resolve_proofs import checks, resolve_proofs
from obs.slo.rules import description, series_labels, slo_rule_packs
from tests.slo_support import expr_test, run_promtool

ENV = Environment("dev", cluster="dev-1")
EVENTS = EventsSLI(bad=counter_rate("http_requests_total", 'code="500"'), total=counter_rate("http_requests_total"))
SHARE = BurnRateWindow.budget_share
SLOTH_7D = SLOAlerting(page_windows=[SHARE("1h", "5m", 8, "7d"), SHARE("6h", "30m", 12.5, "7d")],
                       ticket_windows=[SHARE("1d", "2h", 20, "7d"), SHARE("3d", "6h", 42, "7d")])
CUSTOM_30D = SLOAlerting(page_windows=[SHARE("30m", "2m", 1, "30d"), SHARE("3h", "15m", 2, "30d")],
                         ticket_windows=[SHARE("12h", "1h", 5, "30d"), SHARE("36h", "3h", 5, "30d")])


def with_tests(pack: RulePack, make) -> RulePack:
    """`pack` with every alert's tests replaced by make(rule)."""
    groups = [RuleGroup(g.name, [replace(r, tests=make(r)) if isinstance(r, AlertRule) else r for r in g.rules],
                        g.interval) for g in pack.groups]
    return RulePack(pack.name, groups)


# Shapes and the alerts proved for them: the 28d and 7d windows have the 30d durations (the same
# tiles) at other factors, so their ticket alerts (a day of samples per case) are left to the 30d one.
SHAPES = {
    "google 30d": (SLO("checkout", "availability", 99.9, EVENTS), ("page", "ticket")),
    "google 28d, 99%": (SLO("checkout", "availability", 99.0, EVENTS, period="28d"), ("page",)),
    "sloth 7d windows": (SLO("checkout", "availability", 99.9, EVENTS, period="7d", alerting=SLOTH_7D), ("page",)),
    "custom 30d windows, 2m short": (SLO("checkout", "availability", 99.5, EVENTS, alerting=CUSTOM_30D),
                                     ("page", "ticket")),
}


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_alerts_fire_and_resolve_within_one_evaluation_of_the_workbook_windows(shape, promtool_bin, tmp_path):
    slo, severities = SHAPES[shape]
    (pack,) = slo_rule_packs([slo], ENV)
    windows = slo.alerting.windows()
    made = {}

    def make(rule: AlertRule) -> list[AlertTest]:
        severity = rule.labels["slo_severity"]
        if severity in severities:
            made[severity] = resolve_proofs(slo, ENV, rule, windows[severity])
        return made.get(severity, [])

    pack = with_tests(pack, make)
    # Two checks (one evaluation either side of the moment) for stop and start of every pair.
    assert set(made) == set(severities)
    for severity, tests in made.items():
        assert len(tests) == len(checks(slo, windows[severity])) == 4 * len(windows[severity]), severity
        assert any(t.fires for t in tests) and any(not t.fires for t in tests)
    assert run_promtool(ENV, [pack], tmp_path) == 1


def test_the_old_5m_rates_resolved_late(promtool_bin, tmp_path):
    """The cases fail on rules whose short window reads 5 more minutes (a 5m rate summed over W
    covered W+5m): the resolve check one evaluation after the workbook's moment catches it."""
    slo = SHAPES["google 30d"][0]
    (pack,) = slo_rule_packs([slo], ENV)
    page = slo.alerting.windows()["page"]
    pack = with_tests(pack, lambda r: resolve_proofs(slo, ENV, r, page) if r.name.endswith("Page") else [])
    groups = []
    for group in pack.groups:
        rules = [replace(r, expr=r.expr.replace("[4m30s]", "[9m30s]")) if r.name.endswith("rate5m") else r
                 for r in group.rules]
        groups.append(RuleGroup(group.name, rules, group.interval))
    from obs.errors import ValidationError
    with pytest.raises(ValidationError, match=r"1h/5m: burn .* so it has resolved"):
        run_promtool(ENV, [RulePack(pack.name, groups)], tmp_path)


def steady(burn_per_mille: str, minutes: int) -> dict[str, str]:
    """Raw counters: 7 requests a minute, `burn_per_mille` of them per mille failing (at 7, the
    float sums of a 1x burn land above 1 at some evaluations, below at others)."""
    bad = 7 * float(burn_per_mille) / 1000
    sel = 'http_requests_total{cluster="dev-1", code="%s"}'
    return {sel % "200": f"0+{7 - bad:.12g}x{minutes}", sel % "500": f"0+{bad:.12g}x{minutes}"}


def test_a_steady_burn_at_exactly_the_threshold_never_alerts(promtool_bin, tmp_path):
    """1x of a 99.9% budget on a 1x ticket window: the ratio of float sums lands a hair above or
    below 1 from one evaluation to the next; the 1 ppm tolerance holds the alert silent at every
    evaluation. 1.01x fires."""
    slo = SLO("checkout", "availability", 99.9, EVENTS,
              alerting=SLOAlerting(page_windows=(), ticket_windows=[BurnRateWindow("1h", "5m", 1)]))
    (pack,) = slo_rule_packs([slo], ENV)
    labels = {**series_labels(slo, ENV), "cluster": "dev-1", "long_window": "1h", "short_window": "5m"}

    def make(rule: AlertRule) -> list[AlertTest]:
        labels_ = {k: v for k, v in labels.items() if k not in rule.static_labels}
        tests = [AlertTest(f"exactly 1x at minute {m}", steady("1", 130), at=f"{m}m") for m in range(61, 131, 5)]
        tests.append(AlertTest("1.01x", steady("1.01", 70), at="70m",
                               fires=[FiringAlert(labels_, description(slo.service, slo.name, "1.0", "1h", "5m"))]))
        return tests

    assert run_promtool(ENV, [with_tests(pack, make)], tmp_path) == 1


def test_tiles_from_raw_counters_add_up_to_exact_windows(promtool_bin, tmp_path):
    """Through the SLI queries: 30 minutes of 6% errors then clean traffic. At minute 65 the 1h
    window holds exactly minutes 6-65: 25 bad minutes of 60 (2.5%); the 5m window none. A 5m rate
    summed over the window would have counted 30 bad minutes of 65."""
    slo = SLO("checkout", "availability", 99.9, EVENTS)
    (pack,) = slo_rule_packs([slo], ENV)
    sel = 'http_requests_total{cluster="dev-1", code="%s"}'
    series = {sel % "200": "0+564x30 17520+600x39", sel % "500": "0+36x30 1080+0x39"}
    ident = '{cluster="dev-1", slo_name="availability", slo_service="checkout"}'
    expr_test(tmp_path, pack, series, [
        (f"abs(slo:sli_error:ratio_rate1h{ident} - 0.025) < bool 1e-12", "65m", [{"labels": ident, "value": 1}]),
        (f"slo:sli_error:ratio_rate5m{ident}", "65m", [{"labels": f"slo:sli_error:ratio_rate5m{ident}", "value": 0}]),
        (f"abs(slo:sli_error:ratio_rate30m{ident} - 0.06) < bool 1e-12", "30m", [{"labels": ident, "value": 1}]),
    ])


def test_without_the_tolerance_the_exact_threshold_flaps(promtool_bin, tmp_path):
    """The same steady 1x burn against a bare `> 0.001` (1x of the 0.1% budget): some evaluations
    fire (float sums land above it), which is the flapping the tolerance removes."""
    slo = SLO("checkout", "availability", 99.9, EVENTS,
              alerting=SLOAlerting(page_windows=(), ticket_windows=[BurnRateWindow("1h", "5m", 1)]))
    (pack,) = slo_rule_packs([slo], ENV)
    silent = with_tests(pack, lambda r: [AlertTest(f"exactly 1x at minute {m}", steady("1", 130), at=f"{m}m")
                                         for m in range(61, 131, 5)])
    groups = [RuleGroup(g.name, [replace(r, expr=r.expr.replace("> 0.001000001", "> 0.001")) if isinstance(r, AlertRule)
                                 else r for r in g.rules], g.interval) for g in silent.groups]
    from obs.errors import ValidationError
    with pytest.raises(ValidationError, match="exactly 1x"):
        run_promtool(ENV, [RulePack(pack.name, groups)], tmp_path)
