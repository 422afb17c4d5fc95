"""`obs import`: a document in the shape of every example of Sloth v0.16's `examples/` either imports
and builds (the module runs, its SLOs render, lint clean and pass `promtool check rules`) or fails
at import naming the file, SLO and feature; --allow-dropped lists what was left out; windows specs,
OpenSLO v1, label coercion, CamelCase alert names and runbooks; hostile file names stay inert."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from obs import DefinitionError, EventsSLI, RawSLI
from obs.cli import main
from obs.render.prometheus import render_rule_groups
from obs.slo.rules import slo_rule_packs
from obs.validate.lint import lint_pack

from tests.sloth_examples import BUILDS, ENV, EXAMPLES, FAILS, WINDOWS


def test_every_sloth_example_shape_is_covered():
    names = set(BUILDS) | set(FAILS)
    assert len(names) == 18  # Sloth v0.16 examples/*.y*ml
    assert {p.name for p in EXAMPLES.iterdir()} >= names


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_import(tmp_path: Path, *args: str) -> object:
    out = tmp_path / "imported.py"
    assert main(["import", *args, "--out", str(out)]) == 0
    return load_module(out)


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_example_shape_imports_and_builds(name, tmp_path, promtool_bin):
    module = run_import(tmp_path, str(EXAMPLES / name))
    assert [f"{s.service}/{s.name}" for s in module.SLOS] == BUILDS[name]
    assert module.SOURCES == [name] and module.DROPPED == []
    for pack in slo_rule_packs(module.SLOS, ENV):
        assert [i for i in lint_pack(ENV, pack) if i.level == "error"] == []
        for group in render_rule_groups(ENV, pack)["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    assert rule["alert"][0].isupper() and "runbook" not in rule["annotations"]


@pytest.mark.parametrize("name", sorted(FAILS))
def test_example_shape_fails_naming_the_feature(name, capsys):
    assert main(["import", str(EXAMPLES / name)]) == 2
    error = capsys.readouterr().err
    field, feature = FAILS[name]
    assert name in error and f"field '{field}'" in error and feature in error and "--allow-dropped" in error


def test_allow_dropped_imports_the_rest_and_lists_it(tmp_path, promtool_bin):
    module = run_import(tmp_path, str(EXAMPLES / "contrib-slo-plugins.yml"), "--allow-dropped")
    info, intervals = module.SLOS
    assert dict(info.info_labels) == {"docs": "handbook", "pager": "payments"} and info.sloth_labels
    assert not intervals.sloth_labels
    assert len(module.DROPPED) == 1 and "rule_intervals" in module.DROPPED[0] and "http-availability-intervals" \
        in module.DROPPED[0]
    (pack,) = slo_rule_packs([info], ENV)
    (record,) = [r for g in pack.groups for r in g.rules if r.name == "sloth_slo_info"]
    assert record.labels["docs"] == "handbook" and record.labels["sloth_id"] == "payments-http-availability-info"


def test_an_sli_plugin_leaves_nothing_to_import(capsys):
    assert main(["import", str(EXAMPLES / "plugin-getting-started.yml"), "--allow-dropped"]) == 2
    assert "no SLO could be imported (1 dropped)" in capsys.readouterr().err


def test_metricsql_fails_at_import_naming_the_slo(capsys, promtool_bin):
    """With the VictoriaMetrics validator dropped, the queries are still MetricsQL: promtool rejects
    them at import, naming the SLO, instead of at the next `obs build`."""
    assert main(["import", str(EXAMPLES / "victoria-metrics.yml"), "--allow-dropped"]) == 2
    error = capsys.readouterr().err
    assert "SLO image-resizer/resize-latency-p90" in error and "histogram_share" in error and "PromQL" in error


def test_labels_are_strings_and_alert_names_camel_case(tmp_path, promtool_bin):
    """victoria-metrics.yml's labels (true, 90, 0.5) and snake_case alert name, on PromQL queries."""
    text = (EXAMPLES / "victoria-metrics.yml").read_text()
    text = text.split("slo_plugins:")[0] + "slos:" + text.split("\nslos:")[1]
    text = text.replace("1 - histogram_share(0.5, sum by (vmrange) (rate(resize_duration_seconds_bucket"
                        '{app="resizer"}[{{.window}}])))',
                        'sum(rate(resize_duration_seconds_count{app="resizer"}[{{.window}}])) - sum(rate('
                        'resize_duration_seconds_bucket{app="resizer",le="0.5"}[{{.window}}]))')
    text = text.replace("vector(1)[{{.window}}]", 'sum(rate(resize_duration_seconds_count{app="resizer"}[{{.window}}]))')
    spec = tmp_path / "resizer.yml"
    spec.write_text(text)
    module = run_import(tmp_path, str(spec))
    (slo,) = module.SLOS
    assert slo.labels["generated"] == "true" and slo.labels["target_le"] == "0.5"
    assert slo.alerting.labels["objective"] == "90"
    assert slo.alerting.name == "SloImageResizerResizeLatencyP90Fail"
    assert any("generated: True written as the string 'true'" in n for n in module.NOTES)
    # 90%: the 1h/5m page (14.4x) needs a 144% error ratio: dropped with a note, the 6h/30m page kept.
    assert [w.long for w in slo.alerting.page_windows] == ["6h"]
    assert any("page window 1h/5m dropped" in n for n in module.NOTES)


def test_camel_case_and_runbook(tmp_path, promtool_bin):
    (orders,) = run_import(tmp_path, str(EXAMPLES / "contrib-denominator-corrected.yaml")).SLOS
    assert orders.alerting.name == "CheckoutOrdersAlert" and orders.sli.denominator_corrected
    availability, latency = run_import(tmp_path, str(EXAMPLES / "kubernetes-apiserver.yml")).SLOS
    assert availability.alerting.runbook_url == "https://runbooks.example.com/etcd/availability"
    assert "runbook" not in availability.alerting.annotations  # one link: runbook_url, not a second one


def test_windows_specs_become_the_slos_alert_windows(tmp_path, promtool_bin):
    """Factors written out from the specs: factor = budget% x period / long window.
    7d: 8% x 168h / 1h = 13.44, 12.5% x 168h / 6h = 3.5, 20% x 168h / 24h = 1.4, 42% x 168h / 72h = 0.98.
    custom 30d: 1% x 720h / 0.5h = 14.4, 2% x 720h / 3h = 4.8, 5% x 720h / 12h = 3, 5% x 720h / 36h = 1."""
    spec = str(EXAMPLES / "getting-started.yml")
    (week,) = run_import(tmp_path, spec, "--period", "7d", "--windows", str(WINDOWS)).SLOS
    assert [(w.long, w.short, w.factor) for w in week.alerting.page_windows + week.alerting.ticket_windows] == [
        ("1h", "5m", 13.44), ("6h", "30m", 3.5), ("1d", "2h", 1.4), ("3d", "6h", 0.98)]
    (month,) = run_import(tmp_path, spec, "--windows", str(WINDOWS / "custom-30d.yaml")).SLOS
    assert [(w.long, w.short, w.factor) for w in month.alerting.page_windows + month.alerting.ticket_windows] == [
        ("30m", "2m", 14.4), ("3h", "15m", 4.8), ("12h", "1h", 3), ("36h", "3h", 1)]


def test_a_period_without_windows_is_refused_unless_scaling_is_asked_for(tmp_path, capsys, promtool_bin):
    spec = str(EXAMPLES / "getting-started.yml")
    assert main(["import", spec, "--period", "7d"]) == 2
    error = capsys.readouterr().err
    assert "no alert windows are designed for a 7d period" in error and "--scale-windows" in error
    module = run_import(tmp_path, spec, "--period", "7d", "--scale-windows")
    assert [w.factor for w in module.SLOS[0].alerting.ticket_windows] == [0.7, 0.233333]
    assert any("scaled to the 7d period" in n for n in module.NOTES)


OPENSLO_V1 = """\
apiVersion: openslo/v1
kind: SLI
metadata:
  name: cart-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: http_requests_total{job="cart",code=~"5.."}
    total:
      metricSource:
        type: Prometheus
        spec:
          query: http_requests_total{job="cart"}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: cart-availability
spec:
  service: cart
  indicatorRef: cart-errors
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: good enough
      target: 0.995
"""


def test_openslo_v1_with_an_indicator_reference(tmp_path, capsys, promtool_bin):
    spec = tmp_path / "cart.yaml"
    spec.write_text(OPENSLO_V1)
    (slo,) = run_import(tmp_path, str(spec)).SLOS
    assert (slo.service, slo.name, slo.objective, slo.period) == ("cart", "cart-availability-0", 99.5, "28d")
    assert isinstance(slo.sli, EventsSLI) and slo.sli.bad == (
        'sum by (cluster) (rate(http_requests_total{job="cart",code=~"5.."}[{{window}}]))')
    spec.write_text(OPENSLO_V1.replace("Occurrences", "Timeslices"))
    assert main(["import", str(spec)]) == 2
    assert "field 'spec.budgetingMethod': 'Timeslices' budgeting" in capsys.readouterr().err


def test_openslo_v1alpha_reads_good_over_total_as_sloth_does():
    from obs.slo.formats import read_text
    from obs.slo.importer import ImportOptions
    result = read_text((EXAMPLES / "openslo-getting-started.yml").read_text(), "o.yml", ImportOptions())
    (slo,) = result.slos
    assert slo.objective == 99.95 and slo.alerting.windows() == {}  # Sloth writes no alerts for OpenSLO
    assert slo.sli.total in slo.sli.bad and "code!~" in slo.sli.bad and not isinstance(slo.sli, RawSLI)


HOSTILE_NAMES = [
    'a"""\nimport os; os.system("touch PWNED")\n"""x.yml',
    "b'''\\\n__import__('os').system('touch PWNED')#.yml",
    'c\\"); open("PWNED", "w") #\r\n.yml',
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=["triple-double", "triple-single-backslash", "quote-cr"])
def test_a_hostile_file_name_cannot_run_code_in_the_module(name, tmp_path, promtool_bin):
    folder = tmp_path / "in"
    folder.mkdir()
    spec = folder / name
    spec.write_text((EXAMPLES / "getting-started.yml").read_text())
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        module = run_import(tmp_path, str(spec))
    finally:
        os.chdir(cwd)
    assert module.SOURCES == [name] and not (folder / "PWNED").exists() and not (tmp_path / "PWNED").exists()
    assert all(name in note for note in module.NOTES)


def test_errors_name_file_document_slo_and_field():
    from obs.slo.formats import parse_sloth
    text = (EXAMPLES / "getting-started.yml").read_text().replace("objective: 99.95", "objective: 100")
    with pytest.raises(DefinitionError) as caught:
        parse_sloth(text, source="getting-started.yml")
    assert caught.value.field == "objective"
    assert caught.value.definition.startswith("getting-started.yml document 0 SLO 'http-availability'")


def test_two_window_specs_for_one_period_are_refused(tmp_path, capsys):
    other = tmp_path / "other-7d.yaml"
    other.write_text((WINDOWS / "7d.yaml").read_text().replace("errorBudgetPercent: 8,", "errorBudgetPercent: 9,"))
    args = ["import", str(EXAMPLES / "getting-started.yml"), "--period", "7d", "--windows", str(WINDOWS / "7d.yaml"),
            "--windows", str(other)]
    assert main(args) == 2
    assert "7d already has other windows (from 7d.yaml document 0)" in capsys.readouterr().err


def test_scrape_interval_sets_the_tile_range(tmp_path, promtool_bin):
    (slo,) = run_import(tmp_path, str(EXAMPLES / "getting-started.yml"), "--scrape-interval", "15s").SLOS
    (pack,) = slo_rule_packs([slo], ENV)
    (total,) = [r for g in pack.groups for r in g.rules if r.name == "slo:sli_total_events:rate1m"]
    assert "[1m15s]" in total.expr
