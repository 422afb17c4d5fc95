"""Orphans (issue 19): folders obs wrote that no definition produces now. `obs build --check` fails
naming an environment folder left by a rename and a cluster folder left by a removed cluster;
`obs build --prune` removes obs's files from an orphaned environment (only what its manifest
lists) and never a foreign file: a folder left holding one stays and is reported."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from obs import Bundle, Definitions, Environment, RuleGroup, RulePack
from obs.cli import main
from obs.output import MANIFEST, drift, orphans, prune_tree, write_tree
from obs.pipeline import Rendered, build, check, write
from tests.sample_bundle import up_alert


def bundle_of(*names: str) -> Bundle:
    """The sample pack in environments `names` (a rename is the same bundle with another name)."""
    def define(env: Environment) -> Definitions:
        return Definitions(rule_packs=[RulePack("sample", [RuleGroup("sample.rules", [up_alert()])])])
    return Bundle(name="sample", environments=[Environment(n, cluster=f"{n}-1") for n in names], define=define)


# For the command-line tests (`--bundle tests.test_orphans:...`): staging and prod, then staging
# renamed to stage.
BEFORE = bundle_of("staging", "prod")
AFTER = bundle_of("stage", "prod")


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def obs(*args: str | Path) -> int:
    return main(["--quiet", *(str(a) for a in args)])


def test_check_fails_naming_a_renamed_environments_folder(tmp_path, capsys):
    assert obs("build", "--bundle", "tests.test_orphans:BEFORE", "--out", tmp_path, "--no-validate") == 0
    assert obs("build", "--bundle", "tests.test_orphans:AFTER", "--out", tmp_path, "--no-validate") == 0
    warned = capsys.readouterr().out
    assert f"warning: {tmp_path / 'staging'}: orphaned: obs wrote it" in warned and "--prune" in warned
    assert (tmp_path / "staging" / "prometheus/rules/sample.yaml").is_file(), "a plain build removes nothing"

    assert obs("build", "--bundle", "tests.test_orphans:AFTER", "--out", tmp_path, "--check") == 1
    err = capsys.readouterr().err
    files = len(tree(tmp_path / "staging")) - 1  # the manifest is not one of obs's files
    assert f"{tmp_path / 'staging'}: orphaned: obs wrote it ({files} files) but no environment 'staging'" in err
    assert "run `obs build --prune`" in err
    assert "prod" not in err.replace(str(tmp_path), ""), "the environments themselves are up to date"

    assert obs("build", "--bundle", "tests.test_orphans:AFTER", "--out", tmp_path, "--prune", "--no-validate") == 0
    assert f"pruned {tmp_path / 'staging'} ({files} files obs wrote" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path)) == ["prod", "stage"]
    assert obs("build", "--bundle", "tests.test_orphans:AFTER", "--out", tmp_path, "--check") == 0


def test_prune_keeps_foreign_files_and_the_folder_holding_them(tmp_path):
    build(BEFORE, tmp_path, check_with_tools=False)
    staging = tmp_path / "staging"
    (staging / "NOTES.md").write_text("hand-written, not obs's\n")
    (staging / "prometheus/rules/extra.yaml").write_text("groups: []\n")
    (staging / "empty-by-hand").mkdir()
    os.symlink("../prod", staging / "link-to-prod")
    owned_before = [p for p in tree(staging) if p not in ("NOTES.md", "prometheus/rules/extra.yaml")]
    assert "prometheus/rules/sample.yaml" in owned_before

    _, report = build(AFTER, tmp_path, check_with_tools=False, prune=True)
    (line,) = [line for line in report if "staging" in line]
    assert line.startswith(f"pruned {len(owned_before) - 1} files from {staging}; kept the folder")
    assert "NOTES.md" in line and "prometheus/rules/extra.yaml" in line and "empty-by-hand/" in line
    assert tree(staging) == ["NOTES.md", "prometheus/rules/extra.yaml"]
    assert (staging / "NOTES.md").read_text() == "hand-written, not obs's\n"
    assert (staging / "empty-by-hand").is_dir() and os.readlink(staging / "link-to-prod") == "../prod"
    assert not (staging / MANIFEST).exists()
    assert sorted(os.listdir(tmp_path)) == ["prod", "stage", "staging"], "no temp folder or journal left"
    # What is left is not obs's: no longer an orphan, and never touched again.
    assert orphans(tmp_path, ["stage", "prod"]) == []
    assert check(AFTER, tmp_path) == {"stage": [], "prod": []}


def test_only_folders_with_obs_manifest_are_orphans(tmp_path):
    build(BEFORE, tmp_path, check_with_tools=False)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("a folder obs never wrote\n")
    (tmp_path / ".staging.obs-tmp-1-ab").mkdir()  # looks like obs's temp folder: never looked into
    (tmp_path / ".staging.obs-tmp-1-ab" / MANIFEST).write_text("")
    os.symlink(tmp_path / "staging", tmp_path / "staging-link")
    found = orphans(tmp_path, ["prod"])
    assert [o.path.name for o in found] == ["staging"]
    assert orphans(tmp_path, ["prod", "staging"]) == []


def test_prune_removes_only_what_the_manifest_lists(tmp_path):
    """A file at a path obs never listed survives even when it looks like obs's output."""
    target = tmp_path / "old"
    write_tree(target, {"a.yaml": b"a: 1\n", "sub/b.yaml": b"b: 2\n"})
    (target / "sub" / "c.yaml").write_text("c: 3\n")
    assert prune_tree(target) == ["sub/c.yaml"]
    assert tree(target) == ["sub/c.yaml"]
    write_tree(tmp_path / "gone", {"a.yaml": b"a: 1\n"})
    assert prune_tree(tmp_path / "gone") == [] and not (tmp_path / "gone").exists()


def cluster_files(clusters: tuple[str, ...]) -> dict[str, bytes]:
    files = {"kustomization.yaml": b"resources: []\n"}
    for cluster in clusters:
        files[f"clusters/{cluster}/kustomization.yaml"] = f"# {cluster}\n".encode()
        files[f"clusters/{cluster}/prometheus/rules/sample.yaml"] = b"groups: []\n"
    return files


def test_a_removed_clusters_folder_is_named_by_check_and_pruned_by_a_build(tmp_path):
    target = tmp_path / "prod"
    write_tree(target, cluster_files(("eu1", "us1")))
    (target / "clusters/us1/OWNERS").write_text("team-x\n")  # foreign: must survive
    problems = drift(target, cluster_files(("eu1",)))
    assert problems == ["stale: cluster folder clusters/us1/ (no cluster 'us1' in this environment now): "
                        "2 files obs no longer writes; a build prunes them"]
    write_tree(target, cluster_files(("eu1",)))
    assert tree(target) == [MANIFEST, "clusters/eu1/kustomization.yaml", "clusters/eu1/prometheus/rules/sample.yaml",
                            "clusters/us1/OWNERS", "kustomization.yaml"]
    assert drift(target, cluster_files(("eu1",))) == []
    # Without a foreign file the folder goes entirely.
    write_tree(target, cluster_files(("eu1", "ap1")))
    write_tree(target, cluster_files(("eu1",)))
    assert not (target / "clusters/ap1").exists()


def test_build_reports_a_vacated_cluster_folder_it_had_to_keep(tmp_path):
    """The write that drops a cluster says which foreign files kept its folder."""
    env = Environment("prod", cluster="prod-1")
    write([Rendered(env, cluster_files(("eu1", "us1")), ())], tmp_path)
    (tmp_path / "prod/clusters/us1/OWNERS").write_text("team-x\n")
    assert write([Rendered(env, cluster_files(("eu1",)), ())], tmp_path) == [
        f"kept {tmp_path / 'prod/clusters/us1'}/: obs pruned its files from the cluster folder clusters/us1/ "
        "(no cluster 'us1' in this environment now) but these are not obs's: clusters/us1/OWNERS"]
    assert write([Rendered(env, cluster_files(("eu1",)), ())], tmp_path) == []


def test_check_and_prune_together_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        obs("build", "--bundle", "tests.test_orphans:AFTER", "--out", tmp_path, "--check", "--prune")
    assert "not allowed with argument" in capsys.readouterr().err

