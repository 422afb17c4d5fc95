"""obs as a platform team uses it: a wheel installed into a fresh venv outside the checkout.

The wheel is built from the package sources alone (pyproject, README, obs/), installed into a new
venv in a temporary folder, and used from there with no file of this repo on the path: an
external three-service bundle with non-default parameters builds and passes its promtool tests,
and `obs new` writes a repo whose `obs build` passes at once.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEAMX = Path(__file__).parent / "data" / "consumer" / "teamx_obs"
pytestmark = pytest.mark.tools


def run(args: list[str | Path], cwd: Path, venv: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command of the consumer venv in `cwd`, with nothing of this repo importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OBS_BUNDLE", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def consumer(tmp_path_factory, promtool_bin) -> tuple[Path, Path]:
    """(venv, work folder): obs installed from its wheel into a fresh venv outside the checkout."""
    root = tmp_path_factory.mktemp("consumer")
    source = root / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "obs", source / "obs", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = root / "wheels"
    ok(subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(source)],
                      capture_output=True, text=True, timeout=600))
    wheel = next(wheels.glob("obs-*.whl"))
    venv = root / "venv"
    ok(subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300))
    ok(run([venv / "bin" / "pip", "install", "--quiet", wheel], root, venv))
    work = root / "work"
    work.mkdir()
    return venv, work


def test_wheel_holds_the_library_content(consumer) -> None:
    venv, work = consumer
    out = ok(run([venv / "bin" / "python", "-c",
                  "import obs, obs.packs.workloads, obs.dashboards, obs.topologies, obs.scaffold; print(obs.__file__)"],
                 work, venv))
    assert str(venv) in out and str(REPO) not in out


def test_external_bundle_with_other_parameters_passes_promtool(consumer) -> None:
    venv, work = consumer
    shutil.copytree(TEAMX, work / "teamx_obs")
    spec = "teamx_obs.bundle:bundle"
    ok(run([venv / "bin" / "obs", "build", "--bundle", spec, "--out", "gitops"], work, venv))
    tests = (work / "gitops" / "dev" / "prometheus" / "tests" / "kubernetes-workloads.test.yaml").read_text()
    assert 'namespace="team-a"' in tests and 'namespace="shop"' not in tests  # cases follow the selector
    rules = (work / "gitops" / "dev" / "prometheus" / "rules" / "opentelemetry.yaml").read_text()
    assert 'job=~"tx-hub|tx-node"' in rules and 'job=~"otel-collector' not in rules  # its own collectors
    assert "by (k8s_cluster" in rules
    ok(run([venv / "bin" / "obs", "test", "--bundle", spec, "--out", "gitops"], work, venv))


def test_obs_new_writes_a_repo_that_builds_at_once(consumer) -> None:
    venv, work = consumer
    ok(run([venv / "bin" / "obs", "new", "acme", "--namespace", "acme"], work, venv))
    repo = work / "acme"
    for path in ("pyproject.toml", "acme_obs/bundle.py", "Makefile", ".github/workflows/obs.yml", "README.md",
                 "teams/analytics.yaml"):
        assert (repo / path).is_file(), path
    ok(run([venv / "bin" / "obs", "build", "--out", "gitops"], repo, venv))
    assert sorted(p.name for p in (repo / "gitops").iterdir()) == ["prod", "staging"]
    ok(run([venv / "bin" / "obs", "build", "--out", "gitops", "--check"], repo, venv))
    ok(run([venv / "bin" / "obs", "test", "--out", "gitops", "--env", "staging"], repo, venv))
    again = run([venv / "bin" / "obs", "new", "acme"], work, venv)
    assert again.returncode == 2 and "already has pyproject.toml" in again.stderr and "Traceback" not in again.stderr
