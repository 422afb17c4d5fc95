"""Issue 13 fault suite: `kill -9` during real `obs build` processes, concurrent builds, a full
file system (a small tmpfs), a read-only file system, and symlinks and foreign files in every
position. After each fault OUT/<env> is the old or the new complete tree (every file checked
against the `.obs-manifest` hashes) and nothing outside the output folder changed.
Bounded: a fixed number of kills and builds, each subprocess with a timeout."""
from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Iterator

import pytest

from obs.output import MANIFEST, digest, read_manifest
from tests.support import REPO, mount

PACKS = 40  # rule packs per version: enough files that a kill often lands mid-write

BUNDLE = textwrap.dedent(f"""\
    import os
    from obs import AlertRule, Bundle, Definitions, Environment, RuleGroup, RulePack

    def alert(i, version, padding):
        return AlertRule(name=f"Down{{i}}", expr=f'max by (cluster, job) (up{{{{job="j{{i}}"}}}}) == 0',
                         severity="warning", summary=f"down {{version}}" + "x" * padding,
                         description="{{{{ $labels.job }}}} is down")

    def define(env):
        version = os.environ.get("FAULT_VERSION", "old")
        padding = int(os.environ.get("FAULT_PADDING", "0"))
        return Definitions(rule_packs=[RulePack(f"p{{i}}-{{version}}", [RuleGroup("g", [alert(i, version, padding)])])
                                       for i in range({PACKS})])

    bundle = Bundle(name="fault", environments=[Environment("dev", cluster="c1")], define=define)
    """)


def run_build(bundle_dir: Path, out: Path, version: str, padding: int = 0) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{bundle_dir}{os.pathsep}{REPO}", "FAULT_VERSION": version,
           "FAULT_PADDING": str(padding), "OBS_LOCK_TIMEOUT": "60"}
    env.pop("OBS_BUNDLE", None)
    return subprocess.Popen([sys.executable, "-m", "obs", "build", "--no-validate", "--bundle",
                             "faultbundle:bundle", "--out", str(out)], cwd=bundle_dir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def build_here(bundle_dir: Path, out: Path, version: str, padding: int = 0) -> tuple[int, str]:
    """The same `obs build` in this process (no interpreter start-up): exit code and stderr."""
    import contextlib
    import io

    from obs.cli import main
    saved = {k: os.environ.get(k) for k in ("FAULT_VERSION", "FAULT_PADDING")}
    os.environ.update(FAULT_VERSION=version, FAULT_PADDING=str(padding))
    if str(bundle_dir) not in sys.path:
        sys.path.insert(0, str(bundle_dir))
    sys.modules.pop("faultbundle", None)  # a fresh bundle: definitions are cached per Bundle object
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["build", "--no-validate", "--bundle", "faultbundle:bundle", "--out", str(out)])
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    return code, err.getvalue()


def tree(folder: Path) -> dict[str, bytes]:
    """Every regular file under `folder` (links listed by their target)."""
    found = {}
    for root, dirs, names in os.walk(folder):
        for name in dirs + names:
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[rel] = b"-> " + os.readlink(path).encode()
            elif path.is_file():
                found[rel] = path.read_bytes()
    return found


def outside_fingerprint(root: Path, out: Path) -> str:
    """A hash of everything under `root` except the output folder."""
    h = hashlib.sha256()
    for root_dir, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if Path(root_dir, d) != out)
        for name in sorted(names):
            path = Path(root_dir, name)
            h.update(str(path).encode())
            h.update(path.read_bytes() if path.is_file() and not path.is_symlink() else b"")
    return h.hexdigest()


def assert_complete(env: Path, *candidates: dict[str, bytes]) -> None:
    """OUT/<env> is exactly one of the candidate trees, and its manifest matches every file."""
    assert env.is_dir() and not env.is_symlink(), "OUT/<env> must always exist as a real folder"
    now = tree(env)
    closest = min(candidates, key=lambda c: len(set(c.items()) ^ set(now.items())))
    assert any(now == c for c in candidates), ("the folder is neither the old nor the new tree; closest differs in "
                                               f"{sorted({k for k, _ in set(closest.items()) ^ set(now.items())})[:5]}")
    owned = read_manifest(env)
    assert owned, "a complete tree has its manifest"
    for path, sha in owned.items():
        assert digest(now[path]) == sha, f"{path} does not match the manifest"


@pytest.fixture(scope="module")
def fault_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    (folder / "faultbundle.py").write_text(BUNDLE)
    return folder


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory, fault_bundle: Path) -> dict[str, dict[str, bytes]]:
    """The old and new trees, built once each in scratch folders."""
    trees = {}
    for version in ("old", "new"):
        scratch = tmp_path_factory.mktemp(f"scratch-{version}")
        code, err = build_here(fault_bundle, scratch, version)
        assert code == 0, err
        trees[version] = tree(scratch / "dev")
    return trees


def writing_temp_folder(out: Path, proc: subprocess.Popen) -> bool:
    """Whether this build's own temp folder exists (a killed build's leftovers carry another pid)."""
    return any(p.name.startswith(f".dev.obs-tmp-{proc.pid}-") for p in out.iterdir())


def freeze(proc: subprocess.Popen) -> None:
    """Stop the process where it is (SIGSTOP) and wait until the kernel reports it stopped, so what
    the test sees next is what the kill lands on, however loaded the machine is."""
    proc.send_signal(signal.SIGSTOP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return  # gone already
        if state in ("T", "t", "Z", "X"):
            return
        time.sleep(0.0002)


def kill_during_write(proc: subprocess.Popen, out: Path, delay: float) -> None:
    """Wait for the temp folder to appear, let the build write for `delay` seconds, then freeze it."""
    deadline = time.monotonic() + 60
    while not writing_temp_folder(out, proc) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.0002)
    if delay:
        time.sleep(delay)
    freeze(proc)


def test_kill_9_at_random_moments_leaves_the_old_or_the_new_tree(tmp_path, fault_bundle, versions):
    out = tmp_path / "out"
    (tmp_path / "neighbour.txt").write_text("not obs's\n")
    assert build_here(fault_bundle, out, "old")[0] == 0
    started = time.monotonic()
    assert finish(run_build(fault_bundle, out, "new"))[0] == 0
    duration = time.monotonic() - started
    before = outside_fingerprint(tmp_path, out)
    rng = random.Random(13)
    outcomes = []
    mid_write = 0
    current = "new"
    # Six kills, then more (at most ten) until one has landed while the temp tree was being written:
    # writing 40 packs takes a few ms, so a kill at a random moment rarely lands in it by chance.
    while len(outcomes) < 6 or (not mid_write and len(outcomes) < 16):
        version = "old" if current == "new" else "new"
        proc = run_build(fault_bundle, out, version)
        if len(outcomes) % 2:  # at a random moment of the whole run
            time.sleep(rng.uniform(0.3, 1.0) * duration)
            freeze(proc)
        else:  # while writing or swapping: the first such kill as soon as the temp folder appears
            kill_during_write(proc, out, rng.uniform(0, 0.004) if mid_write else 0)
        writing = proc.poll() is None and writing_temp_folder(out, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        outcomes.append(tree(out / "dev") == versions[version])
        assert_complete(out / "dev", versions["old"], versions["new"])
        current = version if outcomes[-1] else current
        leftovers = sorted(p.name for p in out.iterdir() if p.name != "dev")
        assert all(name.startswith(".dev.obs-") for name in leftovers), leftovers
        mid_write += writing and bool(leftovers)
    code, err = finish(run_build(fault_bundle, out, "old"))  # the next build recovers and cleans up
    assert code == 0, err
    assert_complete(out / "dev", versions["old"])
    assert sorted(p.name for p in out.iterdir()) == ["dev"]
    assert outside_fingerprint(tmp_path, out) == before
    assert mid_write >= 1, "no kill landed while the temp tree was being written: the test proved nothing about it"
    print(f"kill -9 outcomes (True: the new tree was already in place): {outcomes}; "
          f"{mid_write} kills left temp folders behind (killed mid-write)")


def test_concurrent_builds_serialise_and_leave_one_complete_tree(tmp_path, fault_bundle, versions):
    out = tmp_path / "out"
    procs = [run_build(fault_bundle, out, version) for version in ("old", "new", "old")]
    results = [finish(proc) for proc in procs]
    assert [code for code, _ in results] == [0, 0, 0], [err for _, err in results]
    assert_complete(out / "dev", versions["old"], versions["new"])
    assert sorted(p.name for p in out.iterdir()) == ["dev"]


@pytest.fixture
def mount_point(tmp_path: Path) -> Iterator[Path]:
    """A folder on which the test may mount; unmounted in teardown whatever happens."""
    point = tmp_path / "mnt"
    point.mkdir()
    yield point
    for _ in range(3):
        if not os.path.ismount(point):
            break
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def pages(files: dict[str, bytes]) -> int:
    return sum(max(1, -(-len(content) // 4096)) for content in files.values())


def test_a_full_file_system_fails_clearly_and_keeps_the_old_tree(fault_bundle, versions, mount_point):
    padding = 6000  # the new version's files take two pages each: it cannot fit beside the old one
    size = (pages(versions["old"]) + len(versions["old"]) + 16) * 4096
    mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount_point))
    out = mount_point / "out"
    assert build_here(fault_bundle, out, "old")[0] == 0
    old = tree(out / "dev")
    code, err = build_here(fault_bundle, out, "new", padding=padding)
    assert code == 2, err
    assert err.startswith("obs: error: writing ") and "[ENOSPC]" in err and "free space" in err
    assert "Traceback" not in err and "while building the definitions" not in err
    assert_complete(out / "dev", old)
    assert sorted(p.name for p in out.iterdir()) == ["dev"], "the failed build removed its temp folder"


def test_a_read_only_file_system_fails_clearly_and_changes_nothing(fault_bundle, versions, mount_point):
    mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount_point))
    out = mount_point / "out"
    assert build_here(fault_bundle, out, "old")[0] == 0
    mount("-o", "remount,ro", str(mount_point))
    code, err = build_here(fault_bundle, out, "new")
    assert code == 2, err
    assert "[EROFS]" in err and "read-only" in err and "Traceback" not in err
    assert_complete(out / "dev", versions["old"])


# Symlinks and foreign things in every position: (where, what, does the build succeed).
POSITIONS = [
    ("out", "link", False), ("out/dev", "link", False), ("out/dev/prometheus", "link", False),
    ("out/dev/prometheus/rules", "link", False), ("out/dev/prometheus/rules/p0-new.yaml", "link", False),
    ("out/dev/" + MANIFEST, "link", False), ("out/.dev.obs-journal", "link", False),
    ("out/dev/notes", "link", True), ("out/dev/prometheus/rules/extra.yaml", "link", True),
    ("out/dev", "file", False), ("out/dev/prometheus/rules/p0-new.yaml", "file", False),
    ("out/dev/prometheus", "file", False), ("out/dev/README.md", "file", True),
    ("out/dev/prometheus/rules/handwritten.yaml", "file", True), ("out/dev/kubernetes/extra/deep.yaml", "file", True),
    ("out/dev/queue", "fifo", False), ("out/.dev.obs-tmp-1", "folder", True), ("out/.dev.obs-old-1-ab", "folder", True),
]


@pytest.mark.parametrize("where, what, succeeds", POSITIONS, ids=[f"{w}:{k}" for w, k, _ in POSITIONS])
def test_symlinks_and_foreign_files_in_every_position(tmp_path, where, what, succeeds, fault_bundle, versions):
    out = tmp_path / "out"
    if not where.startswith("out/dev") or where.count("/") > 1:
        assert build_here(fault_bundle, out, "old")[0] == 0
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "secret.txt").write_text("TOP-SECRET\n")
    position = tmp_path / where
    if position.is_dir() and not position.is_symlink():
        shutil.rmtree(position)
    elif position.exists() or position.is_symlink():
        position.unlink()
    position.parent.mkdir(parents=True, exist_ok=True)
    if what == "link":
        position.symlink_to(victim if not where.endswith((".yaml", MANIFEST, "journal")) else victim / "secret.txt")
    elif what == "file":
        position.write_text("foreign\n")
    elif what == "fifo":
        os.mkfifo(position)
    else:
        position.mkdir()
        (position / "mine.txt").write_text("keep\n")
    before_out = tree(out) if out.is_dir() and not out.is_symlink() else None
    before_outside = outside_fingerprint(tmp_path, out)
    code, err = build_here(fault_bundle, out, "new")
    assert outside_fingerprint(tmp_path, out) == before_outside, "something outside the output folder changed"
    assert (victim / "secret.txt").read_text() == "TOP-SECRET\n" and sorted(os.listdir(victim)) == ["secret.txt"]
    assert "TOP-SECRET" not in err and "Traceback" not in err
    if succeeds:
        assert code == 0, err
        owned = read_manifest(out / "dev")
        assert set(owned) == set(versions["new"]) - {MANIFEST}
        assert os.path.lexists(position), "the foreign entry is kept"
    else:
        assert code == 2 and err.startswith("obs: error: ") and "fix:" in err, err
        assert where.split("/")[-1] in err
        if before_out is not None:
            assert tree(out) == before_out, "a refused build changed the output folder"
