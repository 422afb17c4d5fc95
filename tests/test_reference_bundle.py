"""The reference bundle end to end: deterministic build, clean --check, every linter clean."""
from __future__ import annotations

from pathlib import Path

from obs.pipeline import build, check, render
from tests.support import snapshot


def test_reference_build_is_deterministic_and_up_to_date(reference_bundle, tmp_path, promtool_bin, otelcol_bin):
    build(reference_bundle, tmp_path / "a")
    build(reference_bundle, tmp_path / "b")
    first, second = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert first == second
    assert {path.split("/")[0] for path in first} == {e.name for e in reference_bundle.environments}
    assert all(not problems for problems in check(reference_bundle, tmp_path / "a").values())


def test_reference_bundle_lints_clean(reference_bundle):
    for result in render(reference_bundle):
        assert [str(i) for i in result.issues] == [], result.env.name


def test_every_environment_writes_rules_tests_crds_and_kustomization(reference_bundle):
    for result in render(reference_bundle):
        paths = set(result.files)
        assert "kustomization.yaml" in paths
        rule_files = {p for p in paths if p.startswith("prometheus/rules/")}
        assert rule_files
        for rule_file in rule_files:
            pack = Path(rule_file).stem
            assert f"prometheus/tests/{pack}.test.yaml" in paths
            assert f"kubernetes/prometheusrule-{pack}.yaml" in paths
            assert f"- kubernetes/prometheusrule-{pack}.yaml".encode() in result.files["kustomization.yaml"]


def test_every_reference_alert_links_to_a_rendered_dashboard(reference_bundle):
    for env in reference_bundle.environments:
        defs = reference_bundle.definitions(env)
        uids = {board.uid for board in defs.all_dashboards()}
        for pack in defs.all_rule_packs():
            for alert in pack.alerts:
                assert alert.dashboard is not None, f"{env.name}: {alert.name} links to no dashboard"
                assert alert.dashboard.uid in uids, f"{env.name}: {alert.name} links to an unrendered dashboard"
