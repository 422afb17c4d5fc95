"""`obs tools install thanos`: Thanos is built through a wrapper module that carries the replace
block of Thanos' own go.mod, read at install time, because `go install ...@version` refuses a
module with replace directives. The build itself runs in `make tools`; here: the replace block
read from Go's module cache, what cannot be carried over, and the binary's version."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from obs.errors import ValidationError
from obs.tools import find
from obs.tools.gowrapper import GoCommand, replace_directives, replace_values
from obs.tools.registry import tool
from tests.support import REPO, require_tool

THANOS = GoCommand(*find.THANOS_MODULE.rsplit("@", 1), "cmd/thanos")


def test_replace_values_carry_versions_and_refuse_local_directories():
    parsed = {"Replace": [
        {"Old": {"Path": "example.com/a"}, "New": {"Path": "example.com/fork", "Version": "v1.2.3"}},
        {"Old": {"Path": "example.com/b", "Version": "v0.1.0"}, "New": {"Path": "example.com/b", "Version": "v0.2.0"}}]}
    assert replace_values("m@v1", parsed) == ["example.com/a=example.com/fork@v1.2.3",
                                              "example.com/b@v0.1.0=example.com/b@v0.2.0"]
    assert replace_values("m@v1", {"Replace": None}) == []
    with pytest.raises(ValidationError, match=r"m@v1 replaces example.com/c with the local directory \.\./c"):
        replace_values("m@v1", {"Replace": [{"Old": {"Path": "example.com/c"}, "New": {"Path": "../c"}}]})


@pytest.mark.tools
def test_the_replace_block_is_read_from_thanos_go_mod(tmp_path):
    """From the module Go downloads (its cache or the module proxy): Thanos pins its own gRPC fork."""
    if not shutil.which("go") and not os.path.exists("/usr/local/go/bin/go"):
        pytest.skip("go is not installed")
    values = replace_directives(THANOS, tmp_path, tmp_path / "log")
    assert any(v.startswith("google.golang.org/grpc=github.com/thanos-community/grpc-go@v") for v in values), values
    assert len(values) == len(set(values)) >= 2


def test_thanos_is_an_optional_tool_installed_by_name():
    thanos = tool("thanos")
    assert thanos.optional
    assert find.THANOS_MODULE.endswith("@v0.41.0")
    assert find.thanos_path() == find.cache_dir() / "thanos-v0.41.0" / "thanos"


def test_obs_thanos_env_var_wins_and_a_bad_one_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("OBS_THANOS", str(tmp_path / "nothing"))
    with pytest.raises(Exception, match=r"OBS_THANOS=.*not an executable file \(fix: run `obs tools install thanos`"):
        find.thanos()


@pytest.mark.tools
def test_the_built_thanos_reports_its_version_and_obs_tools_lists_it():
    binary = require_tool(find.thanos)
    assert find.tool_version(binary) == "0.41.0"
    listing = subprocess.run([sys.executable, "-m", "obs", "tools", "--all-components"], cwd=REPO,
                             capture_output=True, text=True, timeout=120).stdout
    row = next(line for line in listing.splitlines() if line.startswith("thanos "))
    assert "present" in row and "0.41.0" in row and str(binary) in row
