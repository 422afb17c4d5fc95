"""The writer: deterministic bytes, atomic replacement, ownership through .obs-manifest, drift."""
from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from obs import output
from obs.errors import ObsError
from obs.output import MANIFEST, drift, read_manifest, write_tree
from obs.pipeline import build, check, render
from tests.sample_bundle import make_bundle
from tests.support import snapshot


def test_two_builds_are_byte_identical(tmp_path):
    build(make_bundle(), tmp_path / "a", check_with_tools=False)
    build(make_bundle(), tmp_path / "b", check_with_tools=False)
    first, second = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert first == second
    assert "dev/prometheus/rules/sample.yaml" in first


def test_manifest_lists_every_owned_file_with_its_hash(tmp_path):
    build(make_bundle(), tmp_path, check_with_tools=False)
    owned = read_manifest(tmp_path / "dev")
    files = snapshot(tmp_path / "dev")
    assert set(owned) == set(files) - {MANIFEST}
    assert all(owned[p] == output.digest(files[p]) for p in owned)


def test_foreign_files_are_kept_and_stale_owned_files_pruned(tmp_path):
    build(make_bundle(pack_name="old"), tmp_path, check_with_tools=False)
    env = tmp_path / "dev"
    (env / "README.md").write_text("ours, not obs's\n")
    (env / "prometheus" / "rules" / "handwritten.yaml").write_text("groups: []\n")
    build(make_bundle(pack_name="new"), tmp_path, check_with_tools=False)
    assert not (env / "prometheus/rules/old.yaml").exists(), "stale obs file must be pruned"
    assert (env / "prometheus/rules/new.yaml").exists()
    assert (env / "README.md").read_text() == "ours, not obs's\n"
    assert (env / "prometheus/rules/handwritten.yaml").read_text() == "groups: []\n"


def test_a_foreign_file_in_the_way_is_never_overwritten(tmp_path):
    env = tmp_path / "dev"
    (env / "prometheus" / "rules").mkdir(parents=True)
    (env / "prometheus/rules/sample.yaml").write_text("# hand-written\n")
    with pytest.raises(ObsError, match="refusing to overwrite files obs did not write: prometheus/rules/sample.yaml"):
        build(make_bundle(), tmp_path, check_with_tools=False)
    assert (env / "prometheus/rules/sample.yaml").read_text() == "# hand-written\n"


def test_a_crash_mid_write_leaves_the_old_output(tmp_path, monkeypatch):
    build(make_bundle(pack_name="old"), tmp_path, check_with_tools=False)
    before = snapshot(tmp_path / "dev")
    calls = []

    write_new = output._write_new

    def crash_on_second_file(folder: int, name: str, content: bytes) -> None:
        calls.append(name)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash")
        write_new(folder, name, content)

    monkeypatch.setattr(output, "_write_new", crash_on_second_file)
    with pytest.raises(KeyboardInterrupt):
        build(make_bundle(pack_name="new"), tmp_path, check_with_tools=False)
    assert snapshot(tmp_path / "dev") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev"], "no temp folder left behind"


def _many_files(count: int) -> dict[str, bytes]:
    """A tree of `count` files over three folders, as a large environment has."""
    return {f"{folder}/f{index:04d}.yaml": f"{folder} {index}\n".encode()
            for index in range(count) for folder in ("kubernetes", "prometheus/rules", "prometheus/tests")
            if index % 3 == ("kubernetes", "prometheus/rules", "prometheus/tests").index(folder)}


def test_two_processes_write_the_same_tree_as_one(tmp_path):
    files = _many_files(output.PARALLEL_WRITE_FILES + 1)
    write_tree(tmp_path / "one", files, jobs=1)
    write_tree(tmp_path / "two", files, jobs=2)
    assert snapshot(tmp_path / "two") == snapshot(tmp_path / "one")
    assert set(read_manifest(tmp_path / "two")) == set(files)


class _FullDisk(dict):
    """Files whose last one cannot be written (it falls to the second writer process)."""

    def __getitem__(self, path: str) -> bytes:
        if path == max(self):
            raise OSError(28, "No space left on device")
        return super().__getitem__(path)


def test_a_failure_in_the_second_writer_leaves_the_old_output(tmp_path):
    write_tree(tmp_path / "dev", {"old.yaml": b"old\n"})
    before = snapshot(tmp_path / "dev")
    with pytest.raises(ObsError, match="No space left on device"):
        write_tree(tmp_path / "dev", _FullDisk(_many_files(output.PARALLEL_WRITE_FILES)), jobs=2)
    assert snapshot(tmp_path / "dev") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev"], "no temp folder left behind"


def test_a_crash_between_the_renames_is_repaired_by_the_next_build(tmp_path):
    build(make_bundle(pack_name="old"), tmp_path, check_with_tools=False)
    before = snapshot(tmp_path / "dev")
    # what a build killed right after moving the old folder aside leaves behind (the fallback
    # swap without renameat2): both temp folders, recorded in the journal before they were made
    (tmp_path / "dev").rename(tmp_path / ".dev.obs-old-999999-ab")
    (tmp_path / ".dev.obs-tmp-999999-ab").mkdir()
    (tmp_path / ".dev.obs-journal").write_text(".obs-tmp .dev.obs-tmp-999999-ab\n.obs-old .dev.obs-old-999999-ab\n")
    result = render(make_bundle(pack_name="old"))[0]
    assert drift(tmp_path / "dev", result.files)  # the folder is gone: drift is reported
    write_tree(tmp_path / "dev", result.files)
    assert snapshot(tmp_path / "dev") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev"]


def test_check_reports_changed_missing_and_stale_files(tmp_path):
    bundle = make_bundle()
    build(bundle, tmp_path, check_with_tools=False)
    assert check(bundle, tmp_path) == {"dev": []}
    rules = tmp_path / "dev/prometheus/rules/sample.yaml"
    rules.write_text(rules.read_text().replace("for: 5m", "for: 1m"))
    (tmp_path / "dev/kustomization.yaml").unlink()
    problems = check(bundle, tmp_path)["dev"]
    assert any(p.startswith("changed: prometheus/rules/sample.yaml") and "-        for: 1m" in p
               and "+        for: 5m" in p for p in problems)
    assert "missing: kustomization.yaml" in problems
    problems = check(make_bundle(pack_name="renamed"), tmp_path)["dev"]
    assert any(p.startswith("stale: prometheus/rules/sample.yaml") for p in problems)


def test_rendered_files_have_the_documented_layout():
    files = render(make_bundle())[0].files
    assert sorted(files) == [
        "grafana/kube-prometheus-stack-values.yaml",  # the cluster label on the chart's series
        "kubernetes/prometheusrule-sample.yaml",
        "kustomization.yaml",
        "prometheus/rules/sample.yaml",
        "prometheus/tests/sample.test.yaml",
    ]
    assert b"- kubernetes/prometheusrule-sample.yaml" in files["kustomization.yaml"]


def test_folder_parents_split_like_pathlib_for_every_path_shape():
    # paths are split as text for speed; odd shapes (absolute, doubled or trailing slashes, ".")
    # must give the folders pathlib gives, or ownership checks would look at the wrong folders
    for path in ["a/b/c.yaml", "a", "", "/a/b", "a//b", "a/./b", "./a", "a/", "a/../b", "//a/b", "a/b/."]:
        parts = PurePosixPath(path).parts
        assert list(output._parents(path)) == ["/".join(parts[:i]) for i in range(1, len(parts))], path
