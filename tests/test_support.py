"""The switches the tests themselves rely on: what counts as CI, where checks are cached (a test
session's own folder), and that a disabled cache neither serves nor records a pass."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from obs.tools.env import cache_dir, in_ci
from obs.validate import cache
from tests.support import missing_capability


@pytest.mark.parametrize("value, ci", [("", False), ("false", False), ("False", False), ("0", False),
                                       (" 0 ", False), ("true", True), ("1", True), ("yes", True),
                                       ("github-actions", True)])
def test_ci_is_any_value_but_empty_false_or_0(monkeypatch, value, ci):
    monkeypatch.setenv("CI", value)
    assert in_ci() is ci


def test_ci_unset_is_not_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert not in_ci()


def test_a_missing_capability_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="missing in CI"):
        missing_capability("no mount(8)")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="MISSING CAPABILITY"):
        missing_capability("no mount(8)")


def test_this_session_checks_with_a_cache_of_its_own():
    """conftest points the check cache at a folder of this run; the tools stay in the obs cache."""
    folder = cache.folder()
    assert os.environ[cache.FOLDER_ENV] == str(folder)
    assert "obs-test-check-cache-" in folder.name and folder != cache_dir() / "checks"


def test_the_cache_folders_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OBS_CACHE_DIR", str(tmp_path / "obs"))
    monkeypatch.delenv(cache.FOLDER_ENV)
    assert cache_dir() == tmp_path / "obs" and cache.folder() == tmp_path / "obs" / "checks"
    monkeypatch.setenv(cache.FOLDER_ENV, str(tmp_path / "mine"))
    assert cache.folder() == tmp_path / "mine"


def test_a_disabled_cache_neither_serves_nor_records(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.FOLDER_ENV, str(tmp_path))
    entry = cache.key("promtool-test", "promtool 2", [b"rules"])
    cache.record(entry)
    assert cache.passed(entry)
    monkeypatch.setenv(cache.DISABLE_ENV, "1")
    assert not cache.passed(entry), "--no-cache must check again"
    other = cache.key("promtool-test", "promtool 2", [b"other"])
    cache.record(other)
    monkeypatch.delenv(cache.DISABLE_ENV)
    assert not cache.passed(other), "a disabled cache recorded a pass"
    assert sorted(p.name for p in Path(tmp_path).rglob("*") if p.is_file()) == [entry]
