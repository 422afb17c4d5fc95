"""A second rule engine (issue 19): every rule file obs writes loads in VictoriaMetrics' vmalert
(`-dryRun`), and obs's rule unit tests pass under `vmalert-tool unittest` as under promtool. The
engines start their test clocks at different instants (promtool at the epoch, vmalert-tool at
2000-01-01), so timestamps in test data are relative to the start (ClockValues)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.synthetic import synthetic_bundle
from obs.model.bundle import Bundle
from obs.model.rules import AlertTest, ClockValues, RuleGroup, RulePack
from obs.packs import workloads
from obs.pipeline import render
from obs.render.prometheus import PROMTOOL, VMALERT_TOOL, render_rule_groups, render_tests
from obs.serialize import to_yaml
from obs.slo.formats import read_file
from obs.slo.importer import ImportOptions
from obs.slo.rules import slo_rule_packs
from obs.tools import vmalert, vmalert_tool
from obs.validate import vmalert as engine
from tests.sample_bundle import bundle as sample_bundle
from tests.sloth_examples import BUILDS, ENV, EXAMPLES
from tests.support import require_tool

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def vmalert_bin() -> Path:
    return require_tool(vmalert)


@pytest.fixture(scope="module")
def vmalert_tool_bin() -> Path:
    return require_tool(vmalert_tool)


def consumer_bundle() -> Bundle:
    """Team X's external bundle (tests/data/consumer): its own selectors, cluster label, thresholds."""
    sys.path.insert(0, str(DATA / "consumer"))
    try:
        from teamx_obs.bundle import bundle
    finally:
        sys.path.remove(str(DATA / "consumer"))
    return bundle


def write(root: Path, files: dict[str, bytes]) -> list[Path]:
    written = []
    for path, content in sorted(files.items()):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(content)
        written.append(root / path)
    return written


def rule_files(bundle: Bundle, root: Path) -> list[Path]:
    """Every plain rule file the bundle's environments render, written under `root`."""
    return [f for result in render(bundle) for f in
            write(root / result.env.name, {p: c for p, c in result.files.items() if p.startswith("prometheus/rules/")})]


def test_every_rule_file_loads_in_vmalert(reference_bundle, vmalert_bin, tmp_path):
    files = []
    for name, bundle in (("reference", reference_bundle), ("consumer", consumer_bundle()),
                         ("sample", sample_bundle), ("synthetic", synthetic_bundle(2))):
        files += rule_files(bundle, tmp_path / name)
    options = ImportOptions()
    for example in sorted(BUILDS):  # the Sloth and OpenSLO examples obs imports
        for pack in slo_rule_packs(read_file(EXAMPLES / example, options).slos, ENV):
            files += write(tmp_path / "sloth" / example, {f"{pack.name}.yaml": to_yaml(render_rule_groups(ENV, pack))})
    assert len(files) > 40
    outcome = engine.dry_run(files)
    assert outcome.passed, outcome.output


def test_vmalert_dry_run_rejects_a_broken_rule_naming_it(vmalert_bin, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("groups:\n- name: g\n  rules:\n  - alert: Up\n    expr: up == 0\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("groups:\n- name: g\n  rules:\n  - alert: Broken\n    expr: sum(rate(x[5m])\n")
    assert engine.dry_run([good]).passed
    outcome = engine.dry_run([good, bad])
    assert not outcome.passed and 'invalid expression for rule "Broken"' in outcome.output and str(bad) in outcome.output


def test_reference_unit_tests_pass_under_vmalert_tool(reference_bundle, vmalert_tool_bin, tmp_path):
    """Every pack's unit tests, both environments, rendered for vmalert-tool beside the rule files."""
    tests = []
    for result in render(reference_bundle):
        folder = tmp_path / result.env.name
        write(folder, {p: c for p, c in result.files.items() if "prometheus/rules/" in p})  # fleets: each tier's
        written = write(folder, engine.test_files(reference_bundle, result.env))
        promtool_tests = [p for p in result.files if "prometheus/tests/" in p]
        assert len(promtool_tests) == len(written) > 0
        tests += written
    failed = [outcome.output for outcome in engine.unit_tests(tests) if not outcome.passed]
    assert not failed, "\n\n".join(failed)


def jobs_pack(bundle: Bundle) -> tuple[RulePack, AlertTest]:
    """JobRunningTooLong alone: its test reads `time() - kube_job_status_start_time`."""
    env = bundle.environment("prod")
    alert = workloads.job_running_too_long(env)
    return RulePack("jobs", [RuleGroup("job.rules", [alert])]), alert.tests[0]


def test_timestamps_in_test_data_follow_each_engines_clock(reference_bundle, vmalert_tool_bin, tmp_path):
    """The start time is the only difference between the two renderings, and it matters: the
    promtool rendering (start at the epoch) fails under vmalert-tool, the vmalert-tool one passes."""
    pack, test = jobs_pack(reference_bundle)
    env = reference_bundle.environment("prod")
    assert any(isinstance(v, ClockValues) for v in test.series.values())
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "jobs.yaml").write_bytes(to_yaml(render_rule_groups(env, pack)))
    outcomes = {}
    for tester in (PROMTOOL, VMALERT_TOOL):
        rendered = render_tests(env, pack, tester)
        values = [s["values"] for case in rendered["tests"] for s in case["input_series"]]
        assert f"{tester.clock_start}x70" in values
        path = tmp_path / "tests" / f"{tester.name}.test.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(to_yaml(rendered))
        outcomes[tester.name] = engine.unit_test(path)
    assert outcomes["vmalert-tool"].passed, outcomes["vmalert-tool"].output
    assert not outcomes["promtool"].passed and "10957d 1h 10m 0s" in outcomes["promtool"].output


@pytest.mark.parametrize("values, start, expected", [
    ("0x25", 946_684_800, "946684800x25"),
    ("60 120 _ stale", 1000, "1060 1120 _ stale"),
    ("0+60x10 _x3 1.5", 10, "10+60x10 _x3 11.5"),
    ("-30x2", 0, "-30x2"),
])
def test_clock_values_shift_each_run_by_the_start(values, start, expected):
    assert ClockValues(values).at(start) == expected


def test_clock_values_reject_what_is_not_a_sample():
    from obs import DefinitionError
    with pytest.raises(DefinitionError, match="'ten' is not a sample"):
        ClockValues("0 ten")
