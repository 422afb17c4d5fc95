"""Sloth import: both file forms map onto the model, `obs import sloth` writes an equivalent
module, bad specs are rejected by field, and imported SLOs alert at the burn rates Sloth's own
rules alert at (checked with the real promtool on the spec's source metrics)."""
from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest

from obs import DefinitionError, Environment, EventsSLI, RawSLI
from obs.cli import main
from obs.model.rules import AlertRule, AlertTest, FiringAlert, RuleGroup, RulePack
from obs.slo.rules import description, series_labels, slo_rule_packs
from obs.slo.formats import load_sloth, parse_sloth
from obs.validate.lint import lint_pack
from tests.slo_support import expr_test, run_promtool

DATA = Path(__file__).parent / "data" / "sloth"
ENV = Environment("dev", cluster="dev-1")


def test_prometheus_v1_spec_maps_onto_the_model():
    (slo,) = load_sloth(DATA / "myservice.yaml")
    assert (slo.service, slo.name, slo.objective, slo.period) == ("myservice", "requests-availability", 99.9, "30d")
    assert isinstance(slo.sli, EventsSLI) and slo.sli.bad.endswith('code=~"(5..|429)"}[{{window}}]))')
    assert dict(slo.labels) == {"owner": "myteam", "repo": "myorg/myservice"}
    assert slo.alerting.name == "MyServiceHighErrorRate" and dict(slo.alerting.labels) == {"category": "availability"}
    assert dict(slo.alerting.page_labels) == {"routing_key": "myteam"}  # Sloth's severity label is obs' severity
    assert dict(slo.alerting.ticket_labels) == {"slack_channel": "#alerts-myteam"}


def test_kubernetes_manifest_maps_onto_the_model():
    slos, notes = parse_sloth((DATA / "myservice-k8s.yaml").read_text(), period="28d")
    events, raw = slos
    assert events.period == raw.period == "28d" and events.sli == load_sloth(DATA / "myservice.yaml")[0].sli
    assert events.alerting.ticket_windows == () and events.alerting.runbook_url.endswith("/myservice/errors")
    assert isinstance(raw.sli, RawSLI) and "[{{window}}]))\n/ sum" in raw.sli.error_ratio
    assert any("severity='pageteam' dropped" in note for note in notes)


def test_cli_writes_an_equivalent_module(tmp_path, capsys):
    out = tmp_path / "imported_slos.py"
    assert main(["import", "sloth", str(DATA / "myservice-k8s.yaml"), "--out", str(out), "--period", "28d"]) == 0
    assert "2 SLOs" in capsys.readouterr().out
    spec = importlib.util.spec_from_file_location("imported_slos", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.SLOS == load_sloth(DATA / "myservice-k8s.yaml", period="28d")
    assert "severity='pageteam' dropped" in out.read_text()


def test_imported_slos_keep_the_cluster_and_build():
    """Sloth specs aggregate with plain sum(...) and pin the cluster as a label (one rule set per
    cluster); obs lints every aggregation for the cluster label, so the import failed `obs build`.
    The importer adds the cluster label to each aggregation and drops the pinned label, noting both."""
    text = (DATA / "myservice.yaml").read_text().replace("labels:\n  owner", 'labels:\n  cluster: "valhalla"\n  owner', 1)
    (slo,), notes = parse_sloth(text, source="myservice.yaml")
    assert slo.sli.total == ('sum by (cluster) (rate(http_request_duration_seconds_count{job="myservice"}'
                             "[{{window}}]))")
    assert "cluster" not in slo.labels and any("label cluster='valhalla' dropped" in n for n in notes)
    assert any("sli.events.error_query: added `cluster` to 1 aggregation(s)" in n for n in notes)
    (pack,) = slo_rule_packs([slo], ENV)
    assert lint_pack(ENV, pack) == []
    (raw,) = parse_sloth((DATA / "myservice-k8s.yaml").read_text(), cluster_label="k8s_cluster")[0][1:]
    assert raw.sli.error_ratio.count("sum by (k8s_cluster) (rate(") == 2


@pytest.mark.parametrize("text,field", [
    ("version: prometheus/v2\nservice: a\nslos: []\n", "apiVersion"),
    ("version: prometheus/v1\nservice: a\nslos: []\n", "slos"),
    ("version: prometheus/v1\nservice: a\nslos:\n- name: x\n  objective: 99\n  sli: {plugin: {id: p}}\n",
     "slos[0].sli.plugin"),
    ("version: prometheus/v1\nservice: a\nslos:\n- name: x\n  objective: 100\n  sli: {raw: {error_ratio_query: "
     "'sum(rate(e[{{.window}}]))'}}\n", "objective"),
    ("version: prometheus/v1\nservice: a\nslos:\n- name: x\n  objective: 99\n  sli: {raw: {error_ratio_query: "
     "'sum(rate(e[5m]))'}}\n", "error_ratio"),
    ("version: [unclosed\n", "yaml"),
])
def test_bad_specs_are_rejected_by_field(text, field):
    with pytest.raises(DefinitionError) as caught:
        parse_sloth(text, source="bad.yaml")
    assert caught.value.field == field, str(caught.value)


# What Sloth's own rules do. Sloth (v0.11+) writes, per SLO, one page and one ticket alert:
#   page:   (ratio_rate5m > 14.4*budget and ratio_rate1h > 14.4*budget)
#        or (ratio_rate30m > 6*budget  and ratio_rate6h > 6*budget)
#   ticket: (ratio_rate2h > 3*budget   and ratio_rate1d > 3*budget)
#        or (ratio_rate6h > 1*budget   and ratio_rate3d > 1*budget)
# (its generated examples, e.g. examples/_gen/getting-started.yml). The factors come from its
# default windows spec: page spends 2% of the budget in 1h and 5% in 6h, ticket 10% in 1d and
# 10% in 3d, factor = share x period / long window. With `--default-slo-period 28d` that gives
# 13.44, 5.6, 2.8 and 0.9333. Under a constant burn b every window sees b, so an alert fires iff
# b is strictly above one of its factors. The table is written out here, not computed by obs.
SLOTH_FACTORS = {
    "30d": {"page": [("1h", "5m", 14.4), ("6h", "30m", 6.0)], "ticket": [("1d", "2h", 3.0), ("3d", "6h", 1.0)]},
    "28d": {"page": [("1h", "5m", 13.44), ("6h", "30m", 5.6)], "ticket": [("1d", "2h", 2.8), ("3d", "6h", 0.9333)]},
    # Sloth's examples/windows/7d.yaml (errorBudgetPercent 8, 12.5, 20, 42): share x 168h / long window.
    "7d": {"page": [("1h", "5m", 13.44), ("6h", "30m", 3.5)], "ticket": [("1d", "2h", 1.4), ("3d", "6h", 0.98)]},
}
WINDOWS_7D = (DATA / "windows" / "7d.yaml").read_text()
# Burns between the two periods' factors, so the 28d import must differ from the 30d one.
BURNS = (0.5, 0.97, 1.2, 2.9, 3.5, 5.8, 6.5, 14.0, 15.0)


def sloth_expectations(slo, rule: AlertRule, severity: str, burn: float) -> list[FiringAlert]:
    out = []
    for long_, short, factor in SLOTH_FACTORS[slo.period][severity]:
        if burn > factor:
            labels = {**series_labels(slo, ENV), "long_window": long_, "short_window": short}
            out.append(FiringAlert({k: v for k, v in labels.items() if k not in rule.static_labels},
                                   description(slo.service, slo.name, f"{burn:.1f}", long_, short)))
    return out


def source_series(burn: float) -> dict[str, str]:
    """The spec's own metrics: 100 req/s, a burn x 0.1% of them 5xx or 429."""
    bad = 6000 * burn * 0.001
    sel = 'http_request_duration_seconds_count{job="myservice", code="%s"}'
    return {sel % "200": f"0+{6000 - bad:.6g}x40", sel % "500": f"0+{bad / 2:.6g}x40",
            sel % "429": f"0+{bad / 2:.6g}x40"}


@pytest.mark.parametrize("period", ["30d", "28d", "7d"])
def test_imported_slo_fires_where_sloth_fires(period, promtool_bin, tmp_path):
    """Sloth's alerts at constant burns, for its Google windows (30d, 28d) and a 7d windows spec
    (Sloth: `--default-slo-period 7d --slo-period-windows-path`), with Sloth's labels at 7d; a burn
    of exactly 3.5x sits on the 7d page factor and does not fire, as in Sloth (`>`)."""
    text = (DATA / "myservice.yaml").read_text() + ("---\n" + WINDOWS_7D if period == "7d" else "")
    (slo,), _ = parse_sloth(text, period=period, sloth_labels=period == "7d")
    (pack,) = slo_rule_packs([slo], ENV)
    groups = []
    for group in pack.groups:
        rules = []
        for rule in group.rules:
            if isinstance(rule, AlertRule):
                severity = rule.labels["slo_severity"]
                tests = [AlertTest(f"constant burn {b}x", source_series(b), at="40m",
                                   fires=sloth_expectations(slo, rule, severity, b)) for b in BURNS]
                tests.append(AlertTest("no traffic", {'http_request_duration_seconds_count{job="myservice", '
                                                      'code="200"}': "0+0x40"}, at="40m"))
                rule = replace(rule, tests=tests)
            rules.append(rule)
        groups.append(RuleGroup(group.name, rules))
    assert {a.name for g in groups for a in g.alerts} == {"MyServiceHighErrorRatePage", "MyServiceHighErrorRateTicket"}
    if slo.sloth_labels:  # Sloth's alert labels (its examples/_gen/getting-started.yml)
        page = next(a for g in groups for a in g.alerts if a.name.endswith("Page"))
        assert page.labels["sloth_severity"] == "page"
    assert run_promtool(ENV, [RulePack(pack.name, groups)], tmp_path) == 1


SLOTH_SERIES = {  # what Sloth's dashboards read, with Sloth's labels (from its generated rules)
    "slo:sli_error:ratio_rate5m": {}, "slo:objective:ratio": {}, "slo:error_budget:ratio": {},
    "slo:time_period:days": {}, "slo:current_burn_rate:ratio": {}, "slo:period_burn_rate:ratio": {},
    "slo:period_error_budget_remaining:ratio": {},
    "sloth_slo_info": {"sloth_mode": "cli-gen-prom", "sloth_objective": "99.9", "sloth_spec": "prometheus/v1"},
}


def test_sloth_labels_feed_sloths_dashboards(promtool_bin, tmp_path):
    """With --sloth-labels every series Sloth's Grafana dashboards query exists with sloth_id,
    sloth_service and sloth_slo (as Sloth writes them: id = <service>-<slo>), and the info series
    with Sloth's info labels."""
    (slo,), _ = parse_sloth((DATA / "myservice.yaml").read_text(), sloth_labels=True)
    (pack,) = slo_rule_packs([slo], ENV)
    ident = 'sloth_id="myservice-requests-availability", sloth_service="myservice", sloth_slo="requests-availability"'
    checks = []
    for metric, extra in SLOTH_SERIES.items():
        sel = ", ".join([ident, *(f'{k}="{v}"' for k, v in extra.items())])
        checks.append((f"count({metric}{{{sel}}})", "40m", [{"labels": "{}", "value": 1}]))
    expr_test(tmp_path, pack, source_series(0.5), checks)


def test_denominator_corrected_divides_by_the_periods_traffic(promtool_bin, tmp_path):
    """Sloth's denominator_corrected_rules plugin: SLI(W) = numerator_correction(W) x errors(W) /
    total(W), numerator_correction(W) = total(W) / total(period), i.e. errors(W) / total(period).
    50 minutes at 100 req/s without errors, then 10 minutes at 10 req/s with 1% errors (0.1/s):
    at 60m the period's traffic averages (50 x 100 + 10 x 10) / 60 = 85 req/s, so the 5m SLI is
    0.1 / 85 and the 1h one (0.1 x 10/60) / 85, where the plain ratio says 1% and 0.1/60 x 10 / 85."""
    text = (DATA / "myservice.yaml").read_text().replace("slos:", "slo_plugins:\n  chain:\n    - id: "
                                                         "sloth.dev/contrib/denominator_corrected_rules/v1\nslos:", 1)
    (slo,), notes = parse_sloth(text)
    assert slo.sli.denominator_corrected and any("denominator_corrected_rules" in n for n in notes)
    (pack,) = slo_rule_packs([slo], ENV)
    sel = 'http_request_duration_seconds_count{job="myservice", code="%s"}'
    series = {sel % "200": "100000+6000x50 400594+594x9", sel % "500": "100+0x50 106+6x9"}  # no counter starts at 0
    labels = '{owner="myteam", repo="myorg/myservice", slo_name="requests-availability", slo_service="myservice"}'
    near = "abs(slo:sli_error:ratio_rate%s{slo_service=\"myservice\"} - %r) < bool 1e-9"
    expr_test(tmp_path, pack, series, [
        (near % ("5m", 0.1 / 85), "60m", [{"labels": labels, "value": 1}]),
        (near % ("1h", 0.1 * 10 / 60 / 85), "60m", [{"labels": labels, "value": 1}]),
    ])


@pytest.mark.parametrize("query", [
    'sum(rate(x_total{job="a", code=~"5.."}[{{.window}}]))',
    'sum by (code) (rate(x_total{job="sum(b)"}[{{.window}}])) / sum(rate(x_total{job="a"}[{{.window}}]))',
    'sum by ("my.label") (rate(x_total{le="0.5"}[{{.window}}]))',
    "sum(rate(x_total{job='single'}[{{.window}}]))", 'sum without (pod) (x{a="\\"q\\""})', "vector(1)",
    'max(x{a="(("}) by (b)'])
def test_cluster_is_added_per_query_shape_as_to_the_query_itself(query):
    """by_cluster works the edits out once per shape (literals emptied) and puts the literals back:
    the same query as editing the query itself."""
    from obs.slo.sloth import _by_cluster, by_cluster
    assert by_cluster(query, "cluster") == _by_cluster(query, "cluster")
    assert by_cluster(query, "region") == _by_cluster(query, "region")
