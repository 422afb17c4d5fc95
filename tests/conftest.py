"""Shared fixtures: the reference bundle, real-tool lookups (a missing tool fails in CI), processes
stopped after each test, and a check cache of this run's own.

The check cache (obs.validate.cache) records passed tool checks on the machine; a test served from
it would not run the tool at all. Every test session therefore gets an empty check cache of its own
through OBS_CHECK_CACHE_DIR (inherited by the `obs` processes tests start), while the tool binaries
are still found in the obs cache (~/.cache/obs, $OBS_CACHE_DIR)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.support import write_rendered, require_tool


def pytest_configure(config: pytest.Config) -> None:
    from obs.validate import cache
    if not hasattr(config, "workerinput"):  # one folder per session, removed at exit
        folder = tempfile.mkdtemp(prefix="obs-test-check-cache-")
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        os.environ[cache.FOLDER_ENV] = folder
    os.environ.pop(cache.DISABLE_ENV, None)


@pytest.fixture(scope="session")
def promtool_bin() -> Path:
    from obs.tools import promtool
    return require_tool(promtool)


@pytest.fixture(scope="session")
def otelcol_bin() -> Path:
    from obs.tools import otelcol
    return require_tool(otelcol)


@pytest.fixture(scope="session")
def amtool_bin() -> Path:
    from obs.tools import amtool
    return require_tool(amtool)


@pytest.fixture(scope="module")
def prometheus_path() -> Path:
    from obs.tools import find_tool
    return require_tool(lambda: find_tool("prometheus", "OBS_PROMETHEUS", "apt-get install prometheus"))


@pytest.fixture(scope="session")
def reference_bundle():
    from rules.bundle import bundle
    return bundle


@pytest.fixture(scope="session")
def reference_folders(reference_bundle, tmp_path_factory) -> list[Path]:
    """The reference bundle rendered (no tool checks) into one folder per environment."""
    from obs.pipeline import render
    return write_rendered(render(reference_bundle), tmp_path_factory.mktemp("reference-build"))


@pytest.fixture
def started() -> Iterator[Callable[..., subprocess.Popen]]:
    """Start processes that are all terminated (then killed) when the test ends."""
    procs: list[subprocess.Popen] = []

    def start(args: list[str | Path], log: Path, **kwargs: Any) -> subprocess.Popen:
        proc = subprocess.Popen([str(a) for a in args], stdout=log.open("w"), stderr=subprocess.STDOUT, **kwargs)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(autouse=True)
def _progress_reported() -> Iterator[None]:
    """Each test starts with progress on (a test calling the CLI in-process with -q silences it for
    the rest of the process otherwise)."""
    from obs import progress
    progress.set_quiet(False)
    yield
    progress.set_quiet(False)
