"""The `obs` CLI: help, clear one-line errors (never a traceback), build --check exit codes."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import assert_one_clear_error, obs


@pytest.mark.parametrize("command", ["build", "validate", "test", "list"])
def test_every_command_has_help_with_the_common_options(command):
    result = obs(command, "--help")
    assert result.returncode == 0
    for option in ("--bundle", "--env", "--out"):
        assert option in result.stdout


def test_unknown_bundle_module_is_one_clear_error(tmp_path):
    assert_one_clear_error(obs("list", "--bundle", "nope.bundle:bundle", cwd=tmp_path), "no module named 'nope'")


def test_missing_bundle_everywhere_says_how_to_fix(tmp_path):
    assert_one_clear_error(obs("list", cwd=tmp_path), "no bundle given", "--bundle")


def test_an_exception_in_user_definitions_points_at_their_file(tmp_path):
    (tmp_path / "team.py").write_text(textwrap.dedent("""
        from obs import Bundle, Definitions, Environment
        def define(env):
            return Definitions(rule_packs=[1 / 0])
        bundle = Bundle("team", [Environment("prod", cluster="p")], define)
    """))
    result = obs("build", "--bundle", "team:bundle", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_clear_error(result, "ZeroDivisionError", "team.py:4")
    assert not (tmp_path / "out").exists()


def test_a_bad_definition_is_one_clear_error(tmp_path):
    (tmp_path / "team.py").write_text(textwrap.dedent("""
        from obs import AlertRule
        AlertRule(name="X", expr="up", severity="page", summary="s", description="{{ $value }}")
    """))
    assert_one_clear_error(obs("list", "--bundle", "team:bundle", cwd=tmp_path),
                           "alert 'X': field 'severity'", "critical, warning, info")


def test_unknown_environment_lists_the_known_ones():
    assert_one_clear_error(obs("list", "--bundle", "tests.sample_bundle:bundle", "--env", "qa"),
                           "no environment 'qa'", "dev")


def test_build_then_check_then_drift_exits_1_with_a_diff(tmp_path, promtool_bin):
    spec = ("--bundle", "tests.sample_bundle:bundle", "--out", str(tmp_path))
    assert obs("build", *spec).returncode == 0
    assert obs("build", "--check", *spec).returncode == 0
    rules = tmp_path / "dev/prometheus/rules/sample.yaml"
    rules.write_text(rules.read_text().replace("severity: critical", "severity: info"))
    result = obs("build", "--check", *spec)
    assert result.returncode == 1
    assert "changed: prometheus/rules/sample.yaml" in result.stderr
    assert "+          severity: critical" in result.stderr


def test_list_shows_alerts_with_their_tests():
    result = obs("list", "--bundle", "tests.sample_bundle:bundle")
    assert result.returncode == 0
    assert "alert ApiDown [critical, for 5m, 2 tests]" in result.stdout


def test_validate_runs_promtool_check_and_tests(promtool_bin, tmp_path):
    result = obs("validate", "--bundle", "tests.sample_bundle:bundle")
    assert result.returncode == 0, result.stderr
    assert "promtool check rules: 1 files OK" in result.stdout
    assert "promtool test rules: 1 files OK" in result.stdout
    # and on an already-built folder, as a GitOps repo holder would run it
    spec = ("--bundle", "tests.sample_bundle:bundle", "--out", str(tmp_path))
    obs("build", *spec)
    result = obs("test", *spec)
    assert result.returncode == 0, result.stderr
    assert "promtool test rules: 1 files OK" in result.stdout


def test_the_command_exits_with_its_code_and_all_its_output(tmp_path):
    """`obs` skips the interpreter's teardown (obs.cli.run): what it printed still arrives whole,
    with its exit code, and a reader that stops early is no error."""
    result = obs("build", "--bundle", "bench.synthetic:bundle_10", "--no-validate", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [f"wrote {tmp_path / env} (85 files)" for env in ("staging", "prod")]
    listing = obs("list", "--bundle", "bench.synthetic:bundle_100").stdout
    assert listing.count("\n") > 1000 and listing.endswith("\n")
    piped = subprocess.run(f"{sys.executable} -m obs list --bundle bench.synthetic:bundle_100 | head -1; "
                           "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True,
                           text=True, cwd=Path(__file__).resolve().parent.parent)
    assert piped.returncode == 0 and piped.stdout.startswith("environment ") and "Traceback" not in piped.stderr
