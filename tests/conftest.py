"""Shared fixtures: the reference bundle, real-tool lookups (a missing tool fails in CI)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from obs.errors import ToolMissingError

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def require_tool(find) -> Path:
    """The tool's path; in CI a missing tool fails the test, elsewhere it is a loud skip."""
    try:
        return find()
    except ToolMissingError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"required tool missing in CI: {exc}")
        pytest.skip(f"TOOL MISSING (run `make tools`): {exc}")


@pytest.fixture(scope="session")
def promtool_bin() -> Path:
    from obs.tools import promtool
    return require_tool(promtool)


@pytest.fixture(scope="session")
def otelcol_bin() -> Path:
    from obs.tools import otelcol
    return require_tool(otelcol)


@pytest.fixture(scope="session")
def reference_bundle():
    from rules.bundle import bundle
    return bundle


@pytest.fixture(scope="session")
def amtool_bin() -> Path:
    from obs.tools import amtool
    return require_tool(amtool)


@pytest.fixture(scope="session")
def reference_folders(reference_bundle, tmp_path_factory) -> list[Path]:
    """The reference bundle rendered (no tool checks) into one folder per environment."""
    from obs.pipeline import _staged, render
    return _staged(render(reference_bundle), tmp_path_factory.mktemp("reference-build"))
