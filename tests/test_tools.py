"""`obs tools` and `obs tools install` as a platform team's repo uses them: real promtool and amtool
(amtool really built with `go install` into a fresh cache), the otelcol cache keyed by the bundle's
own collector components, and a missing otelcol that stops `obs build` unless --no-otelcol."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from obs.collector.builder import binary_path, cached_binary, covers, merge_manifests, reference_manifest
from obs.render import render_environment
from obs.render.collector import BUILDER_MANIFEST
from obs.tools import find
from obs.tools.commands import bundle_needs
from obs.tools.registry import TOOLS
from tests.support import REPO, missing_capability

TEAM_BUNDLE = '''
from obs import Bundle, Definitions, Environment
from obs.collector import Collector, Exporter, Pipeline, Processor, Receiver

def define(env):
    otlp = Receiver("otlp", {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"}}})
    limiter = Processor("memory_limiter", {"check_interval": "1s", "limit_percentage": 80})
    traces = Pipeline("traces", [otlp], [Exporter("debug")], [limiter, Processor("batch")])
    gateway = Collector("gateway", "deployment", ports={"otlp-grpc": 4317}, pipelines=[traces])
    return Definitions(collectors=[gateway])

bundle = Bundle("team", [Environment("prod", cluster="prod-1")], define)
'''


def obs(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m obs` from a folder outside this repo (obs importable, no $OBS_BUNDLE or $CI)."""
    base = {k: v for k, v in os.environ.items() if k not in ("OBS_BUNDLE", "CI")}
    base["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "obs", *args], cwd=cwd, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def team_repo(tmp_path: Path) -> Path:
    """A platform team's repo: a bundle module and pyproject's [tool.obs] pointing at it."""
    (tmp_path / "team.py").write_text(textwrap.dedent(TEAM_BUNDLE))
    (tmp_path / "pyproject.toml").write_text('[tool.obs]\nbundle = "team:bundle"\n')
    return tmp_path


def test_status_shows_each_tool_with_version_path_and_the_fix(team_repo):
    """A tool that is there shows the version it reports; a missing one says `obs tools install`
    and the exit code says a needed tool is missing."""
    amtool = find.amtool()
    result = obs("tools", cwd=team_repo, env={"OBS_PROMTOOL": str(team_repo / "no-promtool")})
    assert result.returncode == 1, result.stdout + result.stderr
    rows = {line.split()[0]: line for line in result.stdout.split("\n\n")[0].splitlines()[2:]}
    assert set(rows) == {t.name for t in TOOLS} >= {"promtool", "otelcol", "amtool", "promtool3", "vmalert", "vmalert-tool"}
    assert "MISSING" in rows["promtool"]
    assert f"{find.tool_version(amtool)}" in rows["amtool"] and str(amtool) in rows["amtool"]
    assert "present" in rows["amtool"]
    for optional in ("promtool3", "vmalert", "vmalert-tool"):
        assert "optional" in rows[optional] or "present" in rows[optional]
    assert "fix: run `obs tools install`" in result.stdout
    assert "bundle 'team'" in result.stdout.splitlines()[0]


def test_version_comes_from_the_tool_itself():
    version = subprocess.run([str(find.promtool()), "--version"], capture_output=True, text=True).stdout
    assert find.tool_version(find.promtool()) in version


def test_install_leaves_present_tools_alone_and_reports_each_step_once(team_repo):
    result = obs("tools", "install", "promtool", "amtool", cwd=team_repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"promtool {find.tool_version(find.promtool())}: {find.promtool()} (present)",
        f"amtool {find.tool_version(find.amtool())}: {find.amtool()} (present)"]
    lines = result.stderr.splitlines()
    assert len(lines) == len(set(lines)), result.stderr
    assert lines[-1].startswith("obs tools install: 2/2 (2 present) in ")


def test_install_builds_amtool_with_go_into_an_empty_cache(tmp_path):
    """The path a non-root consumer takes: `go install` into the cache, progress once per step, and
    afterwards `obs tools` finds that binary. (Cold: ~1-4 min; with Go's build cache warm: seconds.)"""
    go = shutil.which("go") or shutil.which("go", path="/usr/local/go/bin")
    if go is None:
        missing_capability("go is not installed (the non-root install path needs it)")
    cache, bin_dir = tmp_path / "cache", tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "go").symlink_to(go)
    env = {"OBS_CACHE_DIR": str(cache), "PATH": str(bin_dir)}  # go only: no Debian amtool on this PATH
    result = obs("tools", "install", "amtool", "--no-apt", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    binary = cache / "amtool-v0.28.1" / "amtool"
    assert result.stdout.strip() == f"amtool 0.28.1: {binary}"
    assert subprocess.run([binary, "check-config", "--help"], capture_output=True).returncode == 0
    steps = [line for line in result.stderr.splitlines() if "go install" in line]
    assert steps == [f"obs tools install: amtool: go install {find.AMTOOL_MODULE} (the first build takes "
                     f"minutes; log {binary.parent / 'install.log'})"]
    assert not [p for p in binary.parent.iterdir() if p.name.startswith(".")], "temporary GOBIN left behind"
    again = obs("tools", "install", "amtool", "--no-apt", cwd=tmp_path, env=env)
    assert again.stdout.strip() == f"amtool 0.28.1: {binary} (present)"


def test_unknown_tool_is_one_clear_error(team_repo):
    result = obs("tools", "install", "grafana", cwd=team_repo)
    assert result.returncode == 2
    assert result.stderr.startswith("obs: error: unknown tool grafana") and "promtool" in result.stderr


def test_otelcol_is_keyed_by_the_bundles_own_components(team_repo, monkeypatch):
    """The cache key is the union of the environments' builder manifests, not the reference manifest."""
    monkeypatch.syspath_prepend(str(team_repo))
    from obs.loader import load_bundle
    bundle = load_bundle("team:bundle", team_repo)
    needs = bundle_needs(bundle)
    rendered = yaml.safe_load(render_environment(bundle, bundle.environments[0])[BUILDER_MANIFEST])
    assert needs.otelcol_manifest == merge_manifests([rendered])
    gomods = {e["gomod"].split()[0].rsplit("/", 1)[1] for k, v in needs.otelcol_manifest.items() if k != "dist"
              for e in v}
    assert {"otlpreceiver", "debugexporter", "batchprocessor", "memorylimiterprocessor"} <= gomods
    assert "prometheusremotewriteexporter" not in gomods
    assert binary_path(needs.otelcol_manifest) != binary_path(reference_manifest())


def _cached(cache: Path, name: str, manifest: dict) -> Path:
    folder = cache / name
    folder.mkdir(parents=True)
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    (folder / "otelcol").write_text("")
    return folder / "otelcol"


def test_a_cached_collector_with_every_needed_component_is_reused(team_repo, tmp_path, monkeypatch):
    """No second 13-minute build: the reference binary (every component) validates the team's bundle;
    one missing a component or of another collector version does not."""
    monkeypatch.syspath_prepend(str(team_repo))
    from obs.loader import load_bundle
    needed = bundle_needs(load_bundle("team:bundle", team_repo)).otelcol_manifest
    cache = tmp_path / "cache"
    assert cached_binary(needed, cache) is None
    fewer = {**needed, "processors": needed["processors"][:1]}
    older = {**reference_manifest(), "dist": {**reference_manifest()["dist"], "version": "0.1.0"}}
    _cached(cache, "otelcol-a", fewer)
    _cached(cache, "otelcol-b", older)
    assert not covers(fewer, needed) and not covers(older, needed)
    assert cached_binary(needed, cache) is None
    full = _cached(cache, "otelcol-c", reference_manifest())
    assert cached_binary(needed, cache) == full
    exact = binary_path(needed, cache)
    exact.parent.mkdir()
    exact.write_text("")
    assert cached_binary(needed, cache) == exact


def test_a_missing_otelcol_stops_build_unless_no_otelcol(team_repo):
    """A wrong collector config must not build with exit 0 just because otelcol is absent."""
    missing = {"OBS_OTELCOL": str(team_repo / "no-otelcol")}
    stopped = obs("build", "--out", "out", cwd=team_repo, env=missing)
    assert stopped.returncode == 2
    assert "obs tools install" in stopped.stderr and "--no-otelcol" in stopped.stderr
    assert not (team_repo / "out").exists()
    skipped = obs("build", "--out", "out", "--no-otelcol", cwd=team_repo, env=missing)
    assert skipped.returncode == 0, skipped.stderr
    assert "SKIPPED otelcol validate" in skipped.stdout
    assert (team_repo / "out" / "prod" / "collector" / "gateway.yaml").is_file()


def test_a_bundle_without_collectors_needs_no_otelcol(tmp_path):
    """`obs tools` does not ask for what validation will not run; installing otelcol anyway says why not."""
    env = {"OBS_OTELCOL": str(tmp_path / "no-otelcol")}
    spec = ("--bundle", "tests.sample_bundle:bundle")
    status = obs("tools", *spec, cwd=tmp_path, env=env)
    otelcol_row = next(line for line in status.stdout.splitlines() if line.startswith("otelcol "))
    assert "not needed (no collectors)" in otelcol_row
    assert status.returncode == 0, status.stdout  # promtool and amtool are there, otelcol is not needed
    refused = obs("tools", "install", "otelcol", *spec, cwd=tmp_path, env=env)
    assert refused.returncode == 2 and "has no collectors" in refused.stderr and "--all-components" in refused.stderr
