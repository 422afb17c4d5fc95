"""SLO rule generation, checked with the real promtool: the reference SLOs' generated proofs pass,
proofs fail when the rules disagree with them, and the edge cases behave (no traffic, varying
traffic, changed labels)."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from obs import SLO, Environment, EventsSLI, LatencySLI, SLOAlerting, BurnRateWindow, counter_rate
from obs.errors import ValidationError
from obs.model.rules import RecordingRule
from obs.slo.rules import BAD, TOTAL, slo_rule_packs
from obs.validate import promtool
from tests.slo_support import run_promtool, write_pack

ENV = Environment("dev", cluster="dev-1")
CONTRACT = {"slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days", "slo:current_burn_rate:ratio",
            "slo:period_burn_rate:ratio", "slo:period_error_budget_remaining:ratio"}
AVAILABILITY = SLO("checkout", "availability", 99.9,
                   EventsSLI(bad=counter_rate("http_requests_total", 'code=~"5.."'),
                             total=counter_rate("http_requests_total")),
                   labels={"team": "shop"}, min_event_rate=0.1)


def records(pack) -> dict[str, RecordingRule]:
    return {r.record: r for g in pack.groups for r in g.rules if isinstance(r, RecordingRule)}


def test_reference_slos_follow_the_dashboard_contract(reference_bundle):
    for env in reference_bundle.environments:
        packs = {p.name: p for p in reference_bundle.definitions(env).all_rule_packs() if p.name.startswith("slo-")}
        assert set(packs) == {"slo-checkout", "slo-otel-collector"}
        rules = records(packs["slo-checkout"])
        assert CONTRACT | {f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")} \
            <= set(rules)
        for name in CONTRACT:
            assert {"slo_service", "slo_name", "team"} <= set(rules[name].labels)
            # the cluster comes from the data, never pinned: one rule set serves every cluster
            assert env.cluster_label not in rules[name].labels
            assert not any(c.name in rules[name].expr for c in env.clusters)
        alerts = {a.name: a for a in packs["slo-checkout"].alerts}
        page = alerts["CheckoutAvailabilityErrorBudgetBurnPage"]
        assert page.severity == "critical" and page.labels["slo_severity"] == "page"
        assert alerts["CheckoutLatencyErrorBudgetBurnTicket"].severity == "warning"
        assert '"long_window", "1h"' in page.expr and '"short_window", "30m"' in page.expr


def test_reference_slo_proofs_pass_promtool(reference_bundle, promtool_bin, tmp_path):
    env = reference_bundle.environments[0]
    packs = [p for p in reference_bundle.definitions(env).all_rule_packs() if p.name.startswith("slo-")]
    names = {t.name for p in packs for a in p.alerts for t in a.tests}
    # Burn rates around every factor, no traffic, low traffic, both `le` formats, and per window
    # a case where only its short and one where only its long window holds the alert back.
    for expected in ("no traffic", "burn 15.84x (just above the 14.4x threshold)", "burn 0.5x (half the "
                     "sustainable rate)", 'histogram with le="1" at burn 15.84x', 'histogram with le="1.0" '
                     "at burn 15.84x", "burn 15.84x on traffic below min_event_rate"):
        assert expected in names
    for pair in ("1h/5m", "6h/30m", "1d/2h", "3d/6h"):
        for half in ("short", "long"):
            assert any(n.startswith(pair) and n.endswith(f"(the {half} window holds it back)") for n in names)
    # Burn cases feed a second cluster without errors, which must stay silent.
    page = next(a for p in packs for a in p.alerts if a.name == "CheckoutAvailabilityErrorBudgetBurnPage")
    burning = next(t for t in page.tests if t.name.startswith("burn 15.84x (just above"))
    assert {f'{env.cluster_label}="{env.cluster}-peer"' in s for s in burning.series} == {True, False}
    assert {f.labels[env.cluster_label] for f in burning.fires} == {env.cluster}
    assert run_promtool(env, packs, tmp_path) == 2


def test_proofs_fail_when_the_rules_disagree(promtool_bin, tmp_path):
    """The proofs come from one SLO, the rules from a copy paging at 20x instead of 14.4x: the
    15.84x case must now fail, so the generated tests really assert the thresholds."""
    (pack,) = slo_rule_packs([AVAILABILITY], ENV)
    stricter = replace(AVAILABILITY, alerting=SLOAlerting(page_windows=(BurnRateWindow("1h", "5m", 20),
                                                                        BurnRateWindow("6h", "30m", 6))))
    (other,) = slo_rule_packs([stricter], ENV)
    _, proofs = write_pack(ENV, pack, tmp_path / "proofs")
    write_pack(ENV, other, tmp_path)
    tests = tmp_path / "tests" / proofs.name
    tests.write_bytes(proofs.read_bytes())  # the proofs of `pack` against the rules of `other`
    with pytest.raises(ValidationError, match="15.84x"):
        promtool.test_rules([tests], tmp_path)


# Rule mutations the generated proofs must catch: (what, pattern, replacement, a case that fails).
WINDOW = r"slo:sli_error:ratio_rate{w}(\{{[^}}]*\}}) > ([0-9.]+)"
MUTATIONS = [
    ("short windows dropped", r"\n\s+and \(" + WINDOW.format(w="(?:5m|30m|2h|6h)") + r"\)", "",
     "the short window holds it back"),
    ("long windows read as the short ones", r"ratio_rate(1h|6h|1d|3d)\{(?=[^}]*\} > [0-9.]+\)\n\s+and)",
     lambda m: {"1h": "ratio_rate5m{", "6h": "ratio_rate30m{", "1d": "ratio_rate2h{", "3d": "ratio_rate6h{"}[m[1]],
     "the long window holds it back"),
    ("clusters summed together", r"(sum_over_time\(slo:sli_(?:bad|total)_events:rate1m\{[^}]*\}\[\w+\]\))",
     r"sum without (cluster) (\1)", "just above"),
]


@pytest.mark.parametrize("what,pattern,replacement,failing", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_proofs_catch_broken_windows_and_mixed_clusters(promtool_bin, tmp_path, what, pattern, replacement, failing):
    """The generated proofs pass on the rules and fail on each mutation: a rule that ignored the
    short or the long window of a pair, or summed the clusters, passed the constant-burn cases."""
    (pack,) = slo_rule_packs([AVAILABILITY], ENV)
    rules, proofs = write_pack(ENV, pack, tmp_path)
    assert promtool.test_rules([proofs], tmp_path) == 1
    text = rules.read_text()
    mutated, count = re.subn(pattern, replacement, text)
    assert count >= 2, what
    rules.write_text(mutated)
    with pytest.raises(ValidationError, match=re.escape(failing)):
        promtool.test_rules([proofs], tmp_path)


def test_test_files_fix_the_group_order():
    """Burn-rate alerts read the SLI group's ratios: promtool must evaluate SLI, metadata, alerts
    in that order at each step, not in map order (which made the window cases flaky)."""
    from obs.render.prometheus import render_tests
    (pack,) = slo_rule_packs([AVAILABILITY], ENV)
    assert render_tests(ENV, pack)["group_eval_order"] == [g.name for g in pack.groups] == [
        "slo-checkout-availability-sli", "slo-checkout-availability-meta", "slo-checkout-availability-alerts"]


@pytest.mark.parametrize("field", ["labels", "alerting.page_labels"])
def test_an_slo_cannot_pin_the_cluster(field):
    """A cluster label on an SLO would overwrite the data's: rejected, naming the field."""
    from obs import DefinitionError
    pinned = {"cluster": "prod-eu1"}
    slo = replace(AVAILABILITY, labels=pinned) if field == "labels" else \
        replace(AVAILABILITY, alerting=SLOAlerting(page_labels=pinned))
    with pytest.raises(DefinitionError) as caught:
        slo_rule_packs([slo], ENV)
    assert caught.value.field == field and "comes from the data" in caught.value.fix


def expr_test(tmp_path: Path, pack, series: dict[str, str], checks: list[tuple[str, str, list]]) -> None:
    """A promtool promql_expr_test on the rules of `pack` (or a sequence of packs): (expr,
    eval_time, expected samples)."""
    packs = pack if isinstance(pack, (list, tuple)) else [pack]
    rules = [str(write_pack(ENV, p, tmp_path)[0]) for p in packs]
    spec = {"rule_files": rules, "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [{"series": s, "values": v} for s, v in series.items()],
        "promql_expr_test": [{"expr": e, "eval_time": t, "exp_samples": samples} for e, t, samples in checks],
    }]}
    path = tmp_path / "expr.test.yaml"
    path.write_text(yaml.safe_dump(spec))
    promtool.test_rules([path], tmp_path)


IDENT = '{cluster="dev-1", slo_name="availability", slo_service="checkout"}'
LABELS = '{cluster="dev-1", slo_name="availability", slo_service="checkout", team="shop"}'


def test_no_traffic_has_no_ratio_and_a_full_budget(promtool_bin, tmp_path):
    (pack,) = slo_rule_packs([AVAILABILITY], ENV)
    quiet = 'http_requests_total{cluster="dev-1", code="200", job="checkout"}'
    expr_test(tmp_path, pack, {quiet: "0+0x60"}, [
        ("slo:sli_error:ratio_rate1h", "60m", []),  # 0/0 is no sample, not NaN
        ("slo:period_burn_rate:ratio", "60m", []),
        ("slo:period_error_budget_remaining:ratio", "60m", [{"labels": f"slo:period_error_budget_remaining:ratio"
                                                              f"{LABELS}", "value": 1}]),
        ("slo:objective:ratio", "60m", [{"labels": f"slo:objective:ratio{LABELS}", "value": 0.999}]),
        ("slo:time_period:days", "60m", [{"labels": f"slo:time_period:days{LABELS}", "value": 30}]),
    ])


def test_missing_error_counter_counts_as_zero_errors(promtool_bin, tmp_path):
    (pack,) = slo_rule_packs([AVAILABILITY], ENV)
    ok = 'http_requests_total{cluster="dev-1", code="200", job="checkout"}'
    expr_test(tmp_path, pack, {ok: "0+600x60"}, [
        ("slo:sli_error:ratio_rate1h", "60m", [{"labels": f"slo:sli_error:ratio_rate1h{LABELS}", "value": 0}]),
        ("slo:period_error_budget_remaining:ratio", "60m",
         [{"labels": f"slo:period_error_budget_remaining:ratio{LABELS}", "value": 1}]),
    ])


def test_long_windows_are_a_ratio_of_sums_not_an_average_of_ratios(promtool_bin, tmp_path):
    """30 busy minutes without errors (100 req/s), then 30 quiet minutes of errors only
    (1 req/s): 1800 bad of 181800 requests is 0.99%; averaging 5m ratios would say ~45%."""
    (pack,) = slo_rule_packs([AVAILABILITY], ENV)
    ok = 'http_requests_total{cluster="dev-1", code="200", job="checkout"}'
    bad = 'http_requests_total{cluster="dev-1", code="500", job="checkout"}'
    expr = f"(slo:sli_error:ratio_rate1h{IDENT} > bool 0.007) * (slo:sli_error:ratio_rate1h{IDENT} < bool 0.013)"
    expr_test(tmp_path, pack, {ok: "0+6000x30 180000+0x30", bad: "0+0x30 0+60x30"}, [
        (expr, "60m", [{"labels": LABELS, "value": 1}]),
        # What Sloth's 30d rule does (average of 5m ratios) is far off on the same data.
        (f"avg_over_time(slo:sli_error:ratio_rate5m{IDENT}[1h]) > bool 0.3", "60m", [{"labels": LABELS, "value": 1}]),
    ])


def test_changed_labels_cannot_duplicate_series(promtool_bin, tmp_path):
    """Range selections read only the 5m base series, which carry no free labels. Even with the
    previous rules' differently-labelled outputs still in the TSDB, every window yields one series."""
    (pack,) = slo_rule_packs([AVAILABILITY], ENV)
    for rule in records(pack).values():
        for metric in re.findall(r"([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\[\w+\]", rule.expr):
            if rule.record not in (BAD, TOTAL):  # only the base series read the SLI's own metrics
                assert metric in (BAD, TOTAL), (rule.record, metric)
    ok = 'http_requests_total{cluster="dev-1", code="200", job="checkout"}'
    stale = 'slo:sli_error:ratio_rate5m{cluster="dev-1", slo_name="availability", slo_service="checkout", team="old"}'
    expr_test(tmp_path, pack, {ok: "0+600x60", stale: "0.5x60"}, [
        ("slo:sli_error:ratio_rate30d", "60m", [{"labels": f"slo:sli_error:ratio_rate30d{LABELS}", "value": 0}]),
    ])


def test_latency_sli_matches_both_le_formats(promtool_bin, tmp_path):
    latency = SLO("checkout", "latency", 99.0, LatencySLI("http_server_request_duration_seconds", 1.0,
                                                           'job="checkout"'))
    (pack,) = slo_rule_packs([latency], ENV)
    count = 'http_server_request_duration_seconds_count{cluster="dev-1", job="checkout", instance="%s"}'
    bucket = 'http_server_request_duration_seconds_bucket{cluster="dev-1", job="checkout", instance="%s", le="%s"}'
    labels = '{cluster="dev-1", slo_name="latency", slo_service="checkout"}'
    # Prometheus 2.x scraped a Go client ("1"); a 3.x server normalises to "1.0". 10% slow on each.
    series = {count % "a": "0+600x60", bucket % ("a", "1"): "0+540x60",
              count % "b": "0+600x60", bucket % ("b", "1.0"): "0+540x60"}
    expr_test(tmp_path, pack, series, [
        (f"slo:sli_error:ratio_rate1h{labels} > bool 0.0999", "60m", [{"labels": labels, "value": 1}]),
        (f"slo:sli_error:ratio_rate1h{labels} < bool 0.1001", "60m", [{"labels": labels, "value": 1}]),
    ])


def test_collector_slo_adds_up_its_counters(promtool_bin, tmp_path):
    """Two collectors, 2% of spans refused or failed overall; `failed` missing on one of them
    (counter_rates counts a missing counter as 0 instead of dropping the sum)."""
    from obs.packs.slos import collector_slo
    slo = collector_slo(ENV)
    (pack,) = slo_rule_packs([slo], ENV)
    spans = 'otelcol_receiver_%s_spans{cluster="dev-1", job="%s", receiver="otlp", transport="grpc"}'
    labels = '{cluster="dev-1", slo_name="span-ingestion", slo_service="otel-collector", team="platform"}'
    series = {spans % ("accepted", "otel-collector"): "0+5880x30", spans % ("refused", "otel-collector"): "0+120x30",
              spans % ("accepted", "otel-collector-gw"): "0+5880x30", spans % ("refused", "otel-collector-gw"):
              "0+60x30", spans % ("failed", "otel-collector-gw"): "0+60x30"}
    expr = f"(slo:sli_error:ratio_rate30m{labels} > bool 0.0199) * (slo:sli_error:ratio_rate30m{labels} < bool 0.0201)"
    expr_test(tmp_path, pack, series, [(expr, "30m", [{"labels": labels, "value": 1}])])


def test_reference_slos_read_the_series_the_otel_sdk_produces(promtool_bin, tmp_path):
    """The reference HTTP SLOs on series shaped like the SDK's through the collector (the helper the
    web alerts are tested with: job = service.namespace/service.name, "shop/checkout", as the
    instrumentation round trip sees it). 1% of checkout's requests answer 503 and 2% take longer
    than 1s; another service's errors do not count. With job="checkout" both SLOs saw nothing."""
    from obs.packs.http import METRIC
    from obs.packs.slos import http_slos
    from obs.packs.testdata import source_series
    availability, latency = http_slos(ENV)
    packs = slo_rule_packs([availability, latency], ENV)

    def requests(status: str, per_minute: int, fast: int, **labels: str) -> dict[str, str]:
        common = {"http_request_method": "GET", "http_response_status_code": status, "http_route": "/api/cart",
                  **labels}
        return {source_series(ENV, "otel_services", f"{METRIC}_count", **common): f"0+{per_minute}x30",
                source_series(ENV, "otel_services", f"{METRIC}_bucket", le="1", **common): f"0+{fast}x30"}

    series = {**requests("200", 5940, 5820), **requests("503", 60, 60), **requests("500", 6000, 6000, job="shop/search")}
    checks = []
    for name, ratio in (("availability", 0.01), ("latency", 0.02)):
        labels = f'{{cluster="dev-1", slo_name="{name}", slo_service="checkout", team="shop", tier="1"}}'
        checks.append((f"(slo:sli_error:ratio_rate30m{labels} > bool {ratio * 0.99:g}) * "
                       f"(slo:sli_error:ratio_rate30m{labels} < bool {ratio * 1.01:g})", "30m",
                       [{"labels": labels.replace("{", '{namespace="shop", '), "value": 1}]))  # kept for routing
    expr_test(tmp_path, packs, series, checks)


def near(metric: str, value: float) -> str:
    """1 for the series of `metric` within 1e-9 of `value` (sums of floats are not exact)."""
    return f"(abs({metric} - {value}) < bool 1e-9) == 1"


def test_one_rule_set_serves_many_clusters(promtool_bin, tmp_path):
    """A Thanos/Mimir ruler sees every cluster: the SLO yields one series per cluster (no
    'same labelset after applying rule labels' error) and each cluster keeps its own ratio."""
    (pack,) = slo_rule_packs([AVAILABILITY], ENV)
    total = 'http_requests_total{cluster="%s", code="%s", job="checkout"}'
    series = {total % ("eu", "200"): "0+5940x60", total % ("eu", "500"): "0+60x60",   # 1% errors
              total % ("us", "200"): "0+6000x60"}                                      # none
    labels = '{cluster="%s", slo_name="availability", slo_service="checkout", team="shop"}'
    expr_test(tmp_path, pack, series, [
        (f"slo:sli_error:ratio_rate1h{labels % 'eu'} > bool 0.0099", "60m", [{"labels": labels % "eu", "value": 1}]),
        (near("slo:sli_error:ratio_rate1h", 0.01) + " or " + near("slo:sli_error:ratio_rate1h", 0), "60m",
         [{"labels": labels % "eu", "value": 1}, {"labels": labels % "us", "value": 1}]),
        ("slo:objective:ratio", "60m", [{"labels": "slo:objective:ratio" + labels % "eu", "value": 0.999},
                                        {"labels": "slo:objective:ratio" + labels % "us", "value": 0.999}]),
        (near("slo:period_error_budget_remaining:ratio", -9) + " or " +
         near("slo:period_error_budget_remaining:ratio", 1), "60m",
         [{"labels": labels % "eu", "value": 1}, {"labels": labels % "us", "value": 1}]),
    ])


def test_rule_cost_per_slo_is_below_sloths():
    """Sloth writes 17 rules per SLO (8 SLI windows, 7 metadata, 2 alerts), all evaluated every
    minute. obs: the SLI tiles, window ratios and alerts every minute (the tiles must match the
    evaluation), the period ratio and metadata every 2m (below the 5m lookback even with one
    evaluation missed): fewer evaluations a minute, and the 30-day range read half as often."""
    from obs.model.checks import duration_seconds
    from obs.slo.rules import slo_groups
    groups = slo_groups(AVAILABILITY, ENV)
    assert [(g.name.rsplit("-", 1)[1], len(g.rules), g.interval) for g in groups] == [
        ("sli", 9, "1m"), ("meta", 7, "2m"), ("alerts", 2, "1m")]
    per_minute = sum(len(g.rules) * 60 / duration_seconds(g.interval) for g in groups)
    assert per_minute == 14.5 < 17
    (meta,) = [g for g in groups if g.name.endswith("-meta")]
    assert meta.rules[0].name == "slo:sli_error:ratio_rate30d"  # the only 30-day read
    assert not any("30d" in r.expr for g in groups if g is not meta for r in g.rules)
