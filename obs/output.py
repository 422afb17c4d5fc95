"""Write an environment's files atomically, own them through `.obs-manifest`, and detect drift.

The new tree is written to a sibling temp folder, foreign files (not listed in the previous
manifest) are copied into it untouched, and the folders are swapped with two renames. A crash
before the swap leaves the old folder as it was; a crash between the renames is repaired by
the next build (the old folder is put back before anything else happens).
"""
from __future__ import annotations

import difflib
import hashlib
import os
import shutil
from pathlib import Path
from typing import Mapping

from obs.errors import ObsError

MANIFEST = ".obs-manifest"
_TMP = ".obs-tmp"
_OLD = ".obs-old"


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def manifest_bytes(files: Mapping[str, bytes]) -> bytes:
    lines = ["# Files obs owns in this folder (sha256, path). obs prunes only these; do not edit."]
    lines += [f"{digest(files[path])}  {path}" for path in sorted(files)]
    return ("\n".join(lines) + "\n").encode()


def read_manifest(folder: Path) -> dict[str, str]:
    """path -> sha256 of the files obs wrote last time (empty when there is no manifest)."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return {}
    owned: dict[str, str] = {}
    for line in manifest.read_text().splitlines():
        if line and not line.startswith("#"):
            sha, _, path = line.partition("  ")
            owned[path] = sha
    return owned


def _all_files(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    found = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            found.append((Path(root) / name).relative_to(folder).as_posix())
    return found


def _recover(target: Path) -> None:
    """Undo a build that died between the two renames, and drop leftover temp folders."""
    parent = target.parent
    for leftover in sorted(parent.glob(f".{target.name}{_OLD}-*")):
        if not target.exists():
            leftover.rename(target)
        else:
            shutil.rmtree(leftover)
    for leftover in parent.glob(f".{target.name}{_TMP}-*"):
        if not _alive(int(leftover.name.rsplit("-", 1)[1])):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether a process (a concurrent build that owns a temp folder) is still running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != os.getpid()


def _write_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def foreign_files(target: Path) -> list[str]:
    """Files in `target` that obs did not write (not in its manifest)."""
    owned = read_manifest(target)
    return [p for p in _all_files(target) if p != MANIFEST and p not in owned]


def write_tree(target: Path, files: Mapping[str, bytes]) -> None:
    """Replace the obs-owned content of `target` with `files`, atomically; keep foreign files."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover(target)
    foreign = foreign_files(target)
    clashes = sorted(set(foreign) & set(files))
    if clashes:
        raise ObsError(f"{target}: refusing to overwrite files obs did not write: {', '.join(clashes)} "
                       f"(fix: move them away, or delete them if obs should own them)")
    tmp = target.parent / f".{target.name}{_TMP}-{os.getpid()}"
    old = target.parent / f".{target.name}{_OLD}-{os.getpid()}"
    try:
        tmp.mkdir()
        for path in foreign:
            dest = tmp / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target / path, dest, follow_symlinks=False)
        for path in sorted(files):
            _write_file(tmp / path, files[path])
        _write_file(tmp / MANIFEST, manifest_bytes(files))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def drift(target: Path, files: Mapping[str, bytes]) -> list[str]:
    """Human-readable differences between `target` and what obs would write (empty: up to date)."""
    problems: list[str] = []
    owned = read_manifest(target)
    for path in sorted(files):
        current = target / path
        if not current.is_file():
            problems.append(f"missing: {path}")
            continue
        old = current.read_bytes()
        if old != files[path]:
            diff = difflib.unified_diff(old.decode(errors="replace").splitlines(),
                                        files[path].decode(errors="replace").splitlines(),
                                        f"{path} (on disk)", f"{path} (from definitions)", lineterm="", n=2)
            problems.append(f"changed: {path}\n" + "\n".join(diff))
    for path in sorted(set(owned) - set(files)):
        if (target / path).exists():
            problems.append(f"stale: {path} (obs no longer writes it; a build prunes it)")
    manifest = target / MANIFEST
    if not problems and (not manifest.is_file() or manifest.read_bytes() != manifest_bytes(files)):
        problems.append(f"changed: {MANIFEST}")
    return problems
