"""Issue 18 section 8: `obs new` writes a multi-team repo (two product teams, one of them in
YAML, and the platform team) whose alerts all carry `team`; it works in an existing repository,
refusing only the files it would overwrite; its Makefile works without an activated venv."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from obs.errors import ObsError
from obs.scaffold import new_project


def test_obs_new_works_in_an_existing_repository(tmp_path):
    repo = tmp_path / "acme"
    repo.mkdir()
    (repo / "NOTES.md").write_text("ours\n")
    (repo / ".gitignore").write_text("build/")
    written = new_project(repo, namespace="acme")
    assert (repo / "NOTES.md").read_text() == "ours\n"
    assert (repo / ".gitignore").read_text() == "build/\n.venv/\n__pycache__/\n*.egg-info/\n"  # extended
    assert repo / "teams" / "analytics.yaml" in written and repo / "acme_obs" / "bundle.py" in written
    assert "$schema=team.schema.json" in (repo / "teams" / "analytics.yaml").read_text()


def test_obs_new_refuses_only_the_files_it_would_overwrite_and_writes_nothing(tmp_path):
    repo = tmp_path / "acme"
    repo.mkdir()
    (repo / "Makefile").write_text("all:\n")
    (repo / "README.md").write_text("# ours\n")
    with pytest.raises(ObsError) as caught:
        new_project(repo)
    assert "already has Makefile, README.md (fix:" in str(caught.value)
    assert sorted(p.name for p in repo.iterdir()) == ["Makefile", "README.md"]
    assert (repo / "Makefile").read_text() == "all:\n"


@pytest.fixture(scope="module")
def scaffold_build(tmp_path_factory) -> Path:
    """The scaffold built with its own Makefile, no venv activated: .venv points at this venv."""
    repo = tmp_path_factory.mktemp("scaffold") / "acme"
    new_project(repo, namespace="acme")
    (repo / ".venv").symlink_to(Path(sys.prefix))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "OBS_BUNDLE")}
    env["PATH"] = "/usr/bin:/bin"
    if shutil.which("make", path=env["PATH"]) is None:
        pytest.skip("make is not installed")
    result = subprocess.run(["make", "build"], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return repo / "gitops"


def test_the_makefile_builds_without_an_activated_venv(scaffold_build):
    assert sorted(p.name for p in scaffold_build.iterdir()) == ["prod", "staging"]


def test_every_scaffold_alert_carries_team_and_the_yaml_team_is_routed(scaffold_build):
    for folder in sorted(scaffold_build.iterdir()):
        alerts = [r for f in sorted((folder / "prometheus" / "rules").glob("*.yaml"))
                  for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"] if "alert" in r]
        teams = Counter(a.get("labels", {}).get("team") for a in alerts)
        assert None not in teams and set(teams) == {"acme", "analytics", "platform"}, teams
        cases = yaml.safe_load((folder / "alertmanager" / "routing-tests.yaml").read_text())["cases"]
        per_team = Counter(c["labels"]["team"] for c in cases)
        assert set(per_team) == {"acme", "analytics", "platform"}
        print(folder.name, len(alerts), dict(teams), "routing cases", dict(per_team))
