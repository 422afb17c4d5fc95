"""Write an environment's files atomically, own them through `.obs-manifest`, and detect drift.

Safety rules (docs/safety.md): a build holds a lock on the output root; the new tree is written to
a sibling temp folder, foreign files (not listed in the previous manifest) are carried into it
as hard links (same file, owner and mode), and the switch is one atomic exchange of the two
folders (`renameat2(RENAME_EXCHANGE)`), so readers always see a complete OUT/<env>. Where the
exchange is not available the old two-rename swap is used. Temp folders are recorded in a
journal; only recorded folders are ever removed. obs never follows a symlink it did not create,
and existing folders and files keep their permissions and owners.

Orphans: a folder obs wrote (it holds a manifest) that no definition produces now, such as an
environment renamed or removed, is named by `--check` and emptied of obs's files by `--prune`
(`prune_tree`, the same atomic replacement with nothing to write). A folder inside an environment
(`clusters/<cluster>/`) that no longer holds any file obs writes is pruned by the next build like
any stale file, and `--check` names it as one folder.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Mapping, Sequence

from obs import safefs
from obs.errors import ObsError, os_error
from obs.safefs import SymlinkError, Tree
from obs.workers import run_beside

MANIFEST = ".obs-manifest"
_TMP = ".obs-tmp"
_OLD = ".obs-old"
_JOURNAL = ".obs-journal"
CLUSTERS_DIR = "clusters"  # <env>/clusters/<cluster>/: one overlay per cluster (docs/ARCHITECTURE.md)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def manifest_bytes(files: Mapping[str, bytes]) -> bytes:
    return _manifest({path: digest(files[path]) for path in files})


def _manifest(digests: Mapping[str, str]) -> bytes:
    """The manifest of files with these sha256 digests."""
    lines = ["# Files obs owns in this folder (sha256, path). obs prunes only these; do not edit."]
    lines += [f"{digests[path]}  {path}" for path in sorted(digests)]
    return ("\n".join(lines) + "\n").encode()


def read_manifest(folder: Path) -> dict[str, str]:
    """path -> sha256 of the files obs wrote last time (empty when there is no manifest).
    Entries that are not plain relative paths inside the folder are ignored."""
    content = safefs.read_regular(folder, MANIFEST) if folder.is_dir() and not safefs.is_link(folder) else None
    owned: dict[str, str] = {}
    for line in (content or b"").decode(errors="replace").splitlines():
        if line and not line.startswith("#"):
            sha, _, path = line.partition("  ")
            if safefs.safe_relative(path):
                owned[path] = sha
    return owned


def foreign_files(target: Path) -> list[str]:
    """Files and links in `target` that obs did not write (not in its manifest): `--prune` keeps them."""
    tree, owned = safefs.scan(target), read_manifest(target)
    return sorted(p for p in [*tree.files, *tree.links] if p != MANIFEST and p not in owned)


def _check_target(target: Path) -> None:
    """OUT and OUT/<env> are real folders (or absent): never a symlink, never a user's file."""
    fixes = ("pass the link's target as --out", "remove the link; obs writes OUT/<env> as a real folder")
    for path, fix in zip((target.parent, target), fixes, strict=True):
        safefs.refuse_link(path, fix)
        if os.path.lexists(path) and not path.is_dir():
            raise ObsError(f"{path} exists and is not a folder; obs does not move or delete it "
                           f"(fix: move it away, or pass another --out)")


def _parents(path: str) -> Iterable[str]:
    """The folders above `path` ("a/b/c" -> "a", "a/b"), as PurePosixPath would split it; a plain
    relative path (every path obs renders) is split as text, thousands of times faster in a build."""
    parts = path.split("/")
    if "" in parts or "." in parts:  # absolute, doubled or trailing slashes, "./": pathlib's rules
        parts = list(PurePosixPath(path).parts)
    return ("/".join(parts[:i]) for i in range(1, len(parts)))


def _check_clashes(target: Path, tree: Tree, owned: Mapping[str, str], files: Mapping[str, bytes]) -> None:
    """Refuse to overwrite a foreign file, or to write through or over a link obs did not create."""
    foreign = {p for p in tree.files if p not in owned and p != MANIFEST}
    clashes = sorted(foreign & set(files))
    if clashes:
        raise ObsError(f"{target}: refusing to overwrite files obs did not write: {', '.join(clashes)} "
                       f"(fix: move them away, or delete them if obs should own them)")
    folders = {d for path in files for d in _parents(path)}
    for path in sorted(set(tree.links) & (set(files) | folders)):
        raise SymlinkError(target / path, "remove the link; obs writes its own files and folders there")
    for path in sorted(foreign & folders):
        raise ObsError(f"{target / path}: a file obs did not write stands where obs needs a folder "
                       f"(fix: move it away)")
    if tree.special:
        raise ObsError(f"{target / tree.special[0]} is not a regular file, folder or symlink "
                       f"(fix: move it out of the output folder)")


class _Journal:
    """The temp folders a build creates next to OUT/<env>, recorded before they exist, so a later
    build removes exactly those (never a user's folder that merely looks like one)."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.path = target.parent / f".{target.name}{_JOURNAL}"
        self.entries: list[tuple[str, str]] = []

    def new_folder(self, kind: str) -> Path:
        name = f".{self.target.name}{kind}-{os.getpid()}-{secrets.token_hex(4)}"
        self.entries.append((kind, name))
        self._write()
        return self.target.parent / name

    def _write(self) -> None:
        safefs.refuse_link(self.path)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("".join(f"{kind} {name}\n" for kind, name in self.entries))
            handle.flush()
            os.fsync(handle.fileno())

    def close(self) -> None:
        self.entries = []
        if os.path.lexists(self.path):
            os.unlink(self.path)

    def recover(self) -> None:
        """Undo what a killed build left: put a moved-aside old folder back, drop its temp folders."""
        content = safefs.read_regular(self.target.parent, self.path.name)
        if content is None:
            return
        recorded = [line.split(" ", 1) for line in content.decode(errors="replace").splitlines() if " " in line]
        prefix = f".{self.target.name}"
        for kind, name in sorted(recorded, key=lambda entry: entry[0] != _OLD):
            folder = self.target.parent / name
            if kind not in (_TMP, _OLD) or not name.startswith(prefix + kind + "-") or "/" in name:
                continue
            if safefs.is_link(folder) or not folder.is_dir():
                continue
            if kind == _OLD and not os.path.lexists(self.target):
                folder.rename(self.target)
            else:
                shutil.rmtree(folder)
        self.close()


def _carry_foreign(target: Path, tmp: Path, tree: Tree, foreign: Iterable[str]) -> None:
    """Foreign files keep their identity (hard links); links are recreated, never followed."""
    for path in foreign:
        dest = tmp / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path in tree.links:
            os.symlink(tree.links[path], dest)
            continue
        try:
            os.link(target / path, dest, follow_symlinks=False)
        except OSError:  # another owner's file under protected_hardlinks, or a file system without links
            shutil.copy2(target / path, dest, follow_symlinks=False)
            safefs.keep_metadata(tree.files[path], dest)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC  # open(path, "wb")'s flags (Python adds O_CLOEXEC)


def _write_new(folder: int, name: str, content: bytes) -> None:
    """A new file `name` in the open folder `folder` (in obs's own temp folder), by plain system
    calls: `open(path, "wb")` builds a buffered file object per file (a tenth of the write stage's
    CPU), and a name relative to an open folder spares the kernel walking the whole path."""
    fd = os.open(name, _NEW_FILE, 0o666, dir_fd=folder)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _write_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


# Files from which a tree is written by two processes, each creating half of them (given a spare
# core, see `_fill`). Below this the fork costs about what it saves.
PARALLEL_WRITE_FILES = 1_000


def write_plain_files(root: Path, files: Mapping[str, bytes]) -> None:
    """`files` as plain files under `root` (which may not exist yet; obs's own temp folders: no
    manifest, no swap), each folder made and opened once."""
    paths = sorted(files)
    _make_folders(root, paths)
    _write_files(root, paths, files, digests=False)


def _make_folders(root: Path, paths: Sequence[str]) -> None:
    for folder in sorted({os.path.dirname(path) for path in paths}):  # one mkdir per folder, not per file
        os.makedirs(os.path.join(root, folder), exist_ok=True)


def _write_files(tmp: Path, paths: Sequence[str], files: Mapping[str, bytes], digests: bool = True) -> dict[str, str]:
    """Write `paths` of `files` into `tmp` (their folders exist); path -> sha256 of each (none
    without `digests`). Each file's bytes are read once (they may be held compressed); each folder
    is opened once and its files created relative to it."""
    found = {}
    folders: dict[str, int] = {}  # folder -> its open descriptor
    try:
        for path in paths:
            content = files[path]
            folder, _, name = path.rpartition("/")
            fd = folders.get(folder)
            if fd is None:
                fd = folders[folder] = os.open(os.path.join(tmp, folder), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            _write_new(fd, name, content)
            if digests:
                found[path] = digest(content)
    finally:
        for fd in folders.values():
            os.close(fd)
    return found


def _fill(target: Path, tmp: Path, tree: Tree, owned: Mapping[str, str], files: Mapping[str, bytes],
          jobs: int = 1) -> None:
    """Write the new tree into `tmp`: foreign entries, obs's files, the manifest, kept metadata.
    With `jobs` above 1 and PARALLEL_WRITE_FILES files or more, a forked process writes the second
    half of the files (in path order, so mostly other folders) while this one writes the first:
    creating a file is kernel work (~0.1 ms each, more than writing its bytes) that two processes
    do side by side, and a 1,000-service environment has 3,000 files. The tree is the same."""
    foreign = [p for p in [*tree.files, *tree.links] if p not in owned and p != MANIFEST]
    _carry_foreign(target, tmp, tree, foreign)
    paths = sorted(files)
    _make_folders(tmp, paths)
    if jobs > 1 and len(paths) >= PARALLEL_WRITE_FILES:
        half = len(paths) // 2
        first, second = run_beside(lambda: _write_files(tmp, paths[:half], files),
                                   lambda: _write_files(tmp, paths[half:], files),
                                   str(target), doing=f"writing {target}")
        digests = {**first, **second}
    else:
        digests = _write_files(tmp, paths, files)
    _write_file(tmp / MANIFEST, _manifest(digests))
    holding = {parent for path in [*tree.files, *tree.links, *tree.dirs] for parent in _parents(path)}
    for path in tree.dirs:
        if path and path not in holding:  # an empty folder someone made: keep it
            (tmp / path).mkdir(parents=True, exist_ok=True)
    for path, info in [*tree.dirs.items(), *((p, tree.files[p]) for p in files if p in tree.files)]:
        if os.path.lexists(tmp / path):
            safefs.keep_metadata(info, tmp / path)


def _merge_late(target: Path, old: Path, owned: Mapping[str, str], files: Mapping[str, bytes]) -> None:
    """After the exchange `old` holds the previous tree: foreign files another tool created or
    replaced there while obs was building move into the new tree."""
    late = safefs.scan(old)
    for path in sorted([*late.files, *late.links]):
        if path in owned or path in files or path == MANIFEST:
            continue
        dest = target / path
        if safefs.link_on_path(target, str(PurePosixPath(path).parent)) is not None:
            continue
        if os.path.lexists(dest) and os.lstat(dest).st_ino == os.lstat(old / path).st_ino:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(old / path, dest)


def _swap(target: Path, tmp: Path, journal: _Journal, owned: Mapping[str, str], files: Mapping[str, bytes]) -> None:
    if not os.path.lexists(target):
        tmp.rename(target)
    elif safefs.exchange(tmp, target):
        _merge_late(target, tmp, owned, files)
        shutil.rmtree(tmp)
    else:  # no atomic exchange here: two renames; a kill between them is undone by the next build
        old = journal.new_folder(_OLD)
        target.rename(old)
        try:
            tmp.rename(target)
        except BaseException:
            old.rename(target)  # put the old tree back before the error goes up
            raise
        _merge_late(target, old, owned, files)
        shutil.rmtree(old)


def write_tree(target: Path, files: Mapping[str, bytes], jobs: int = 1) -> None:
    """Replace the obs-owned content of `target` with `files`, atomically; keep foreign files.
    With `jobs` above 1, two processes write a large tree (see `_fill`)."""
    _replace(target, files, jobs)


def prune_tree(target: Path) -> list[str]:
    """Remove every file `target`'s manifest lists, and the manifest, atomically like a build;
    foreign files, links and folders stay. The folder itself goes when nothing is left in it.
    Returns the foreign entries that stay (empty: the folder is gone)."""
    target = Path(os.path.abspath(target))
    _replace(target, {})  # obs's files out, atomically: what is left is foreign, and an empty manifest
    try:
        with safefs.locked(target.parent):
            if safefs.read_regular(target, MANIFEST) == manifest_bytes({}):
                os.unlink(target / MANIFEST)
            if target.is_dir() and not safefs.is_link(target) and not any(target.iterdir()):
                target.rmdir()
                return []
            tree = safefs.scan(target)
    except OSError as exc:
        raise os_error(exc, f"pruning {target}") from None
    holding = {parent for path in [*tree.files, *tree.links, *tree.dirs] for parent in _parents(path)}
    return sorted([*tree.files, *tree.links, *(d + "/" for d in tree.dirs if d and d not in holding)])


@dataclass(frozen=True)
class Orphan:
    """A folder directly under OUT that obs wrote (it holds a manifest) and that no environment
    of the bundle produces now, e.g. after an environment was renamed."""

    path: Path
    files: int  # files its manifest lists that are still there

    def __str__(self) -> str:
        return (f"{self.path}: orphaned: obs wrote it ({self.files} files) but no environment "
                f"{self.path.name!r} is defined now (fix: `obs build --prune` removes obs's files from it, "
                "or define the environment again)")


def orphans(out: Path, environments: Iterable[str]) -> list[Orphan]:
    """The folders under `out` holding obs's manifest that are not among `environments`. Hidden
    folders (obs's own temp folders) and links are never looked into."""
    out = Path(os.path.abspath(out))
    if not out.is_dir() or safefs.is_link(out):
        return []
    names = set(environments)
    found = []
    for child in sorted(out.iterdir()):
        if child.name.startswith(".") or child.name in names or safefs.is_link(child) or not child.is_dir():
            continue
        manifest = child / MANIFEST
        if not os.path.lexists(manifest) or not stat.S_ISREG(os.lstat(manifest).st_mode):
            continue
        present = [p for p in read_manifest(child) if safefs.link_on_path(child, p) is None
                   and os.path.lexists(child / p)]
        found.append(Orphan(child, len(present)))
    return found


def vacated_folders(target: Path, files: Mapping[str, bytes]) -> dict[str, list[str]]:
    """Folders inside `target` where obs wrote files last time and writes none now (e.g. the
    `clusters/<cluster>/` of a cluster no longer defined): the topmost such folder -> the files
    obs owned there that are still present."""
    kept = {parent for path in files for parent in _parents(path)}
    vacated: dict[str, list[str]] = {}
    for path in sorted(read_manifest(target)):
        if path in files or safefs.link_on_path(target, path) is not None or not os.path.lexists(target / path):
            continue
        top = next((folder for folder in _parents(path) if folder not in kept), None)
        if top is not None:
            vacated.setdefault(top, []).append(path)
    return vacated


def describe_folder(folder: str) -> str:
    """A vacated folder in words: a cluster's overlay is named as such."""
    parts = PurePosixPath(folder).parts
    if len(parts) == 2 and parts[0] == CLUSTERS_DIR:
        return f"cluster folder {folder}/ (no cluster {parts[1]!r} in this environment now)"
    return f"folder {folder}/"


def _replace(target: Path, files: Mapping[str, bytes], jobs: int = 1) -> None:
    target = Path(os.path.abspath(target))
    try:
        _check_target(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        with safefs.locked(target.parent):
            journal = _Journal(target)
            journal.recover()
            _check_target(target)
            tree, owned = safefs.scan(target), read_manifest(target)
            _check_clashes(target, tree, owned, files)
            tmp = journal.new_folder(_TMP)
            try:
                tmp.mkdir()
                _fill(target, tmp, tree, owned, files, jobs)
                _swap(target, tmp, journal, owned, files)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            finally:
                journal.close()
    except OSError as exc:
        raise os_error(exc, f"writing {target}") from None


def drift(target: Path, files: Mapping[str, bytes]) -> list[str]:
    """Human-readable differences between `target` and what obs would write (empty: up to date)."""
    target = Path(os.path.abspath(target))
    _check_target(target)
    if not target.parent.is_dir():
        return [f"missing: {path}" for path in sorted(files)]
    try:
        with safefs.locked(target.parent, shared=True):
            return _drift(target, files)
    except OSError as exc:
        raise os_error(exc, f"reading {target}") from None


def _drift(target: Path, files: Mapping[str, bytes]) -> list[str]:
    problems: list[str] = []
    owned = read_manifest(target)
    for path in sorted(files):
        try:
            old = safefs.read_regular(target, path)
        except ObsError as exc:  # a symlink or a special file where obs's file belongs: never read
            problems.append(f"changed: {path}: {exc}")
            continue
        if old is None:
            problems.append(f"missing: {path}")
        elif old != files[path]:
            diff = difflib.unified_diff(old.decode(errors="replace").splitlines(),
                                        files[path].decode(errors="replace").splitlines(),
                                        f"{path} (on disk)", f"{path} (from definitions)", lineterm="", n=2)
            problems.append(f"changed: {path}\n" + "\n".join(diff))
    vacated = vacated_folders(target, files)
    in_vacated = {path for paths in vacated.values() for path in paths}
    for folder, paths in vacated.items():
        problems.append(f"stale: {describe_folder(folder)}: {len(paths)} files obs no longer writes; a build "
                        "prunes them")
    for path in sorted(set(owned) - set(files) - in_vacated):
        if safefs.link_on_path(target, path) is None and os.path.lexists(target / path):
            problems.append(f"stale: {path} (obs no longer writes it; a build prunes it)")
    if not problems and safefs.read_regular(target, MANIFEST) != manifest_bytes(files):
        problems.append(f"changed: {MANIFEST}")
    return problems


def copy_for_reading(folder: Path, dest: Path) -> list[str]:
    """Copy the regular files of a written folder to `dest` for tools to read, never following a
    link: a link in obs's place (the folder, a manifest path) is an error; other links are left
    out and returned."""
    folder = Path(os.path.abspath(folder))
    _check_target(folder)
    if not folder.is_dir():
        raise ObsError(f"no such output folder: {folder} (fix: run `obs build` first)")
    try:
        tree, owned = safefs.scan(folder), read_manifest(folder)
        for path in sorted(set(tree.links) & ({*owned, MANIFEST} | {d for p in owned for d in _parents(p)})):
            raise SymlinkError(folder / path, "delete it and run `obs build`")
        for path in tree.files:
            content = safefs.read_regular(folder, path)
            _write_file(dest / path, content or b"")
        return sorted(tree.links)
    except OSError as exc:
        raise os_error(exc, f"reading {folder}") from None
