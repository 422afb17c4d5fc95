"""Issue 13, the output folder under hostile conditions: symlinks (class 1), a file at OUT/<env>
(2), permissions and owners (3), readers and concurrent builds (6), OS errors and syntax errors
pointing at the right place (9)."""
from __future__ import annotations

import errno
import os
import stat
import textwrap
import threading
from pathlib import Path

import pytest

from obs import output, safefs
from obs.errors import ObsError
from obs.output import MANIFEST, read_manifest
from obs.pipeline import build, check, render, validate_folders
from tests.sample_bundle import make_bundle
from tests.support import assert_one_clear_error, missing_capability, obs


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


@pytest.fixture
def built(tmp_path: Path) -> Path:
    build(make_bundle(), tmp_path / "out", check_with_tools=False)
    return tmp_path / "out"


def secret_outside(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE\n")
    return secret


# --- class 1: symlinks are never followed ------------------------------------------------------

def test_a_symlinked_env_folder_is_refused_and_its_target_untouched(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "dev").symlink_to(elsewhere)
    with pytest.raises(ObsError, match=r"out/dev is a symbolic link; obs never follows a symlink .*fix:"):
        build(make_bundle(), tmp_path / "out", check_with_tools=False)
    assert list(elsewhere.iterdir()) == []
    assert (tmp_path / "out" / "dev").is_symlink()


def test_a_symlinked_output_root_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "out").symlink_to(tmp_path / "real")
    with pytest.raises(ObsError, match="out is a symbolic link.*pass the link's target as --out"):
        build(make_bundle(), tmp_path / "out", check_with_tools=False)
    assert list((tmp_path / "real").iterdir()) == []


@pytest.mark.parametrize("link", ["prometheus", "prometheus/rules", "prometheus/rules/sample.yaml"])
def test_a_symlink_where_obs_writes_is_refused(built, tmp_path, link):
    env = built / "dev"
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine\n")
    target = env / link
    if target.is_dir():
        import shutil
        shutil.rmtree(target)
    else:
        target.unlink()
    target.symlink_to(victim)
    before = snapshot(env)
    with pytest.raises(ObsError, match=f"dev/{link} is a symbolic link"):
        build(make_bundle(), built, check_with_tools=False)
    assert [p.name for p in victim.iterdir()] == ["keep.txt"]
    assert snapshot(env) == before


def test_check_never_reads_through_a_symlink(built, tmp_path):
    secret = secret_outside(tmp_path)
    rules = built / "dev/prometheus/rules/sample.yaml"
    rules.unlink()
    rules.symlink_to(secret)
    problems = check(make_bundle(), built)["dev"]
    text = "\n".join(problems)
    assert "TOP-SECRET-VALUE" not in text
    assert "changed: prometheus/rules/sample.yaml" in text and "symbolic link" in text


def test_cli_check_and_validate_never_print_a_linked_file(built, tmp_path):
    secret = secret_outside(tmp_path)
    rules = built / "dev/prometheus/rules/sample.yaml"
    rules.unlink()
    rules.symlink_to(secret)
    for command in (["build", "--check"], ["validate"], ["test"]):
        result = obs(*command, "--bundle", "tests.sample_bundle:bundle", "--out", str(built))
        assert result.returncode != 0
        assert "TOP-SECRET-VALUE" not in result.stdout + result.stderr
        assert "symbolic link" in result.stdout + result.stderr


def test_validate_out_skips_foreign_links_and_reads_no_file_outside(built, tmp_path):
    secret = secret_outside(tmp_path)
    (built / "dev/prometheus/rules/linked.yaml").symlink_to(secret)
    staged = tmp_path / "staged"
    skipped = output.copy_for_reading(built / "dev", staged)
    assert skipped == ["prometheus/rules/linked.yaml"]
    assert not (staged / "prometheus/rules/linked.yaml").exists()
    assert (staged / "prometheus/rules/sample.yaml").is_file()


def test_a_symlinked_manifest_is_refused(built, tmp_path):
    secret = secret_outside(tmp_path)
    (built / "dev" / MANIFEST).unlink()
    (built / "dev" / MANIFEST).symlink_to(secret)
    with pytest.raises(ObsError, match="symbolic link"):
        build(make_bundle(), built, check_with_tools=False)


def test_foreign_links_elsewhere_are_kept_as_links_not_followed(built, tmp_path):
    secret = secret_outside(tmp_path)
    (built / "dev/docs").symlink_to(tmp_path)
    (built / "dev/notes.txt").symlink_to(secret)
    build(make_bundle(pack_name="other"), built, check_with_tools=False)
    assert os.readlink(built / "dev/docs") == str(tmp_path)
    assert os.readlink(built / "dev/notes.txt") == str(secret)
    assert secret.read_text() == "TOP-SECRET-VALUE\n"


def test_manifest_paths_that_leave_the_folder_are_ignored(built):
    manifest = built / "dev" / MANIFEST
    manifest.write_text(manifest.read_text() + "0" * 64 + "  ../../etc/passwd\n" + "0" * 64 + "  /etc/shadow\n")
    assert "../../etc/passwd" not in read_manifest(built / "dev")
    assert not any("passwd" in p or "shadow" in p for p in check(make_bundle(), built)["dev"])


# --- class 2: a non-folder at OUT/<env> ---------------------------------------------------------

def test_a_file_at_the_env_path_is_an_error_and_stays(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out/dev").write_text("my notes\n")
    for _attempt in range(2):
        with pytest.raises(ObsError, match=r"out/dev exists and is not a folder.*fix: move it away"):
            build(make_bundle(), tmp_path / "out", check_with_tools=False)
    assert (tmp_path / "out/dev").read_text() == "my notes\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["dev"]


def test_a_file_at_the_output_root_is_one_clear_cli_error(tmp_path):
    (tmp_path / "out").write_text("not a folder\n")
    result = obs("build", "--no-validate", "--bundle", "tests.sample_bundle:bundle", "--out", str(tmp_path / "out"))
    assert_one_clear_error(result, "out exists and is not a folder", "fix:")
    assert "while building the definitions" not in result.stderr


# --- class 3: permissions and owners never widen -------------------------------------------------

def test_modes_of_existing_folders_and_files_are_kept(built):
    env = built / "dev"
    env.chmod(0o700)
    (env / "prometheus").chmod(0o750)
    (env / "prometheus/rules/sample.yaml").chmod(0o600)
    build(make_bundle(), built, check_with_tools=False)
    assert stat.S_IMODE(env.stat().st_mode) == 0o700
    assert stat.S_IMODE((env / "prometheus").stat().st_mode) == 0o750
    assert stat.S_IMODE((env / "prometheus/rules/sample.yaml").stat().st_mode) == 0o600


def test_owners_of_existing_folders_and_foreign_files_are_kept(built):
    if os.geteuid() != 0:
        missing_capability("changing owners needs root")
    env = built / "dev"
    os.chown(env, 1234, 1234)
    (env / "theirs").mkdir()
    (env / "theirs/file.txt").write_text("x\n")
    os.chown(env / "theirs", 4321, 4321)
    os.chown(env / "theirs/file.txt", 4321, 4321)
    build(make_bundle(), built, check_with_tools=False)
    assert (env.stat().st_uid, env.stat().st_gid) == (1234, 1234)
    assert (env / "theirs").stat().st_uid == 4321
    assert (env / "theirs/file.txt").stat().st_uid == 4321


# --- class 6: readers, concurrent builds, late foreign files, lookalike temp names ---------------

def test_the_env_folder_never_disappears_during_a_build(built, monkeypatch):
    seen: list[bool] = []
    real_exchange = safefs.exchange

    def watching(first: Path, second: Path) -> bool:
        seen.append(second.is_dir())
        done = real_exchange(first, second)
        seen.append(second.is_dir())
        return done

    monkeypatch.setattr(safefs, "exchange", watching)
    build(make_bundle(pack_name="other"), built, check_with_tools=False)
    assert seen == [True, True]
    assert (built / "dev/prometheus/rules/other.yaml").is_file()


def test_exchange_swaps_two_folders_atomically(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/x").write_text("a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b/x").write_text("b")
    if not safefs.exchange(tmp_path / "a", tmp_path / "b"):
        missing_capability("renameat2(RENAME_EXCHANGE) is not available on this platform or file system")
    assert (tmp_path / "a/x").read_text() == "b" and (tmp_path / "b/x").read_text() == "a"


def test_without_exchange_the_fallback_swap_still_works(built, monkeypatch):
    monkeypatch.setattr(safefs, "exchange", lambda first, second: False)
    build(make_bundle(pack_name="other"), built, check_with_tools=False)
    assert (built / "dev/prometheus/rules/other.yaml").is_file()
    assert sorted(p.name for p in built.iterdir()) == ["dev"]


def test_a_second_build_waits_for_the_lock_then_fails_clearly(built, monkeypatch):
    monkeypatch.setenv(safefs.LOCK_TIMEOUT_ENV, "0.3")
    with safefs.locked(built):
        with pytest.raises(ObsError, match="another obs build holds the lock.*fix: wait"):
            build(make_bundle(), built, check_with_tools=False)


def test_concurrent_builds_in_threads_serialise(built):
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            build(make_bundle(pack_name=name), built, check_with_tools=False)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"p{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    owned = read_manifest(built / "dev")
    assert len([p for p in owned if p.startswith("prometheus/rules/")]) == 1
    assert sorted(p.name for p in built.iterdir()) == ["dev"]


def test_a_file_written_by_another_tool_during_the_build_is_kept(built, monkeypatch):
    real_fill = output._fill

    def fill_then_someone_writes(target, tmp, tree, owned, files, jobs=1):
        real_fill(target, tmp, tree, owned, files, jobs)
        (target / "late.txt").write_text("written mid-build\n")
        (target / "prometheus/late").mkdir()
        (target / "prometheus/late/x.yaml").write_text("x: 1\n")

    monkeypatch.setattr(output, "_fill", fill_then_someone_writes)
    build(make_bundle(pack_name="other"), built, check_with_tools=False)
    assert (built / "dev/late.txt").read_text() == "written mid-build\n"
    assert (built / "dev/prometheus/late/x.yaml").read_text() == "x: 1\n"


def test_user_folders_that_look_like_obs_temp_folders_are_never_deleted(built):
    for name in (".dev.obs-tmp-1", ".dev.obs-old-1", ".dev.obs-tmp-1-abcd", ".dev.obs-old-99-ff"):
        (built / name).mkdir()
        (built / name / "mine.txt").write_text("keep\n")
    build(make_bundle(pack_name="other"), built, check_with_tools=False)
    build(make_bundle(), built, check_with_tools=False)
    for name in (".dev.obs-tmp-1", ".dev.obs-old-1", ".dev.obs-tmp-1-abcd", ".dev.obs-old-99-ff"):
        assert (built / name / "mine.txt").read_text() == "keep\n"


def test_a_journal_naming_foreign_paths_deletes_nothing_outside(built, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (built / ".dev.obs-journal").write_text(f".obs-tmp ../victim\n.obs-tmp {victim}\n.obs-old .dev.obs-old-x/../..\n")
    build(make_bundle(), built, check_with_tools=False)
    assert victim.is_dir()
    assert not (built / ".dev.obs-journal").exists()


# --- class 9: OS errors and syntax errors point at the right place -------------------------------

@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, "free space"), (errno.EROFS, "read-only"), (errno.EACCES, "permissions")])
def test_os_errors_name_the_path_and_the_fix(built, monkeypatch, code, words):
    def failing(path: Path, content: bytes) -> None:
        raise OSError(code, os.strerror(code), str(path))

    before = snapshot(built / "dev")
    monkeypatch.setattr(output, "_write_file", failing)
    with pytest.raises(ObsError) as info:
        build(make_bundle(pack_name="other"), built, check_with_tools=False)
    message = str(info.value)
    assert message.startswith(f"writing {built / 'dev'}: ") and errno.errorcode[code] in message
    assert words in message and "fix:" in message
    assert snapshot(built / "dev") == before
    assert sorted(p.name for p in built.iterdir()) == ["dev"]


def test_a_syntax_error_in_a_bundle_names_the_users_file_and_line(tmp_path):
    (tmp_path / "broken.py").write_text(textwrap.dedent("""\
        from obs import Bundle

        bundle = Bundle(name="x", environments=[
        def oops
        """))
    result = obs("list", "--bundle", "broken:bundle", cwd=tmp_path)
    assert_one_clear_error(result, "SyntaxError", f"{tmp_path / 'broken.py'}:")
    assert "importlib" not in result.stderr and "<frozen" not in result.stderr


def test_render_is_unaffected_by_the_safety_checks():
    files = render(make_bundle())[0].files
    assert "prometheus/rules/sample.yaml" in files


def test_validate_folders_refuses_a_linked_env_folder(built, tmp_path):
    (built / "prod").symlink_to(built / "dev")
    with pytest.raises(ObsError, match="prod is a symbolic link"):
        validate_folders([built / "prod"], full=False)


def test_a_failure_between_the_fallback_renames_puts_the_old_tree_back(built, monkeypatch):
    before = snapshot(built / "dev")
    monkeypatch.setattr(safefs, "exchange", lambda first, second: False)
    real_rename = Path.rename

    def failing_second_rename(self: Path, target):
        if ".obs-tmp-" in self.name:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(self))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_second_rename)
    with pytest.raises(ObsError, match=r"\[EIO\]"):
        build(make_bundle(pack_name="other"), built, check_with_tools=False)
    assert snapshot(built / "dev") == before
    assert sorted(p.name for p in built.iterdir()) == ["dev"]
