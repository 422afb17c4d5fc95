"""BASE and HEAD of a review as built folders: a folder `obs build` wrote is used as it is; a git ref is
exported (`git archive`) and built; "the working tree" is built where it stands.

What a ref builds is what `obs build` run in a checkout of that ref would write: the bundle is loaded
from the exported tree (its pyproject's [tool.obs] bundle, or --bundle). The build runs as
`python -m obs build` with the exported tree as the working folder, so a repo that holds its own `obs`
package (obs's own repo, whose reference bundle is made of the library's packs) builds with that ref's
obs, and any other repo with the obs installed here. Builds go to a temporary folder of obs's own
(`obs-review-*` in the system temp folder), removed afterwards.
"""
from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from obs.errors import ObsError

WORKING_TREE = "working tree"


@dataclass(frozen=True)
class Built:
    """A built root folder and how to name it in a report."""
    path: Path
    label: str


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=300, check=False)
    except FileNotFoundError:
        raise ObsError("git not found (fix: install git, or pass two built folders to compare)") from None


def _commit(ref: str, cwd: Path) -> str | None:
    result = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    return result.stdout.decode().strip() if result.returncode == 0 else None


def _prefix(cwd: Path) -> str:
    result = _git(["rev-parse", "--show-prefix"], cwd)
    if result.returncode != 0:
        raise ObsError(f"{cwd} is not in a git repository (fix: run obs diff in the bundle's repo, "
                       "or pass two folders `obs build` wrote)")
    return result.stdout.decode().strip()


def build_here(source: Path, out: Path, bundle: str | None, what: str) -> None:
    """`obs build` of the bundle in `source` into `out` (no tool checks: only the files are compared)."""
    command = [sys.executable, "-m", "obs", "build", "--no-validate", "--out", str(out)]  # options every obs has
    if bundle:
        command += ["--bundle", bundle]
    try:
        result = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=1800, check=False)
    except subprocess.TimeoutExpired:
        raise ObsError(f"building {what} took more than 30 minutes (fix: compare built folders instead)") from None
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        raise ObsError(f"building {what} failed (obs build in {source}):\n{tail}")


def _export(commit: str, cwd: Path, into: Path) -> None:
    result = _git(["archive", "--format=tar", commit], cwd)
    if result.returncode != 0:
        raise ObsError(f"git archive {commit[:12]} failed: {result.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        extract(archive, into)


def extract(archive: tarfile.TarFile, into: Path) -> None:
    """The archive's files in `into`, none outside it. Python 3.11.4 and later refuse what would land
    outside (`filter="data"`); earlier 3.11 releases (Debian 12's is 3.11.2) have no filters, so the
    same is checked here first: members are files, folders or links, named and linking inside `into`."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(into, filter="data")
        return
    root = into.resolve()
    for member in archive.getmembers():
        target = (root / member.name).resolve()
        linked = (target.parent / member.linkname if member.issym() else root / member.linkname).resolve() \
            if member.islnk() or member.issym() else root
        kind_ok = member.isfile() or member.isdir() or member.issym() or member.islnk()
        if not kind_ok or not target.is_relative_to(root) or not linked.is_relative_to(root):
            raise ObsError(f"the exported tree holds {member.name!r}, which would land or link outside {into} "
                           "(fix: remove it from the repository, or compare built folders instead)")
    archive.extractall(into)  # every member was checked above


def resolve(spec: str | None, cwd: Path, work: Path, name: str, bundle: str | None) -> Built:
    """A built folder for `spec`: None (the working tree), a folder `obs build` wrote, or a git ref."""
    if spec is None or spec == WORKING_TREE:
        out = work / name
        _prefix(cwd)  # must be a repo, as the default base is a ref of it
        build_here(cwd, out, bundle, "the working tree")
        return Built(out, WORKING_TREE)
    folder = Path(spec)
    if folder.is_dir() and _commit(spec, cwd) is None:
        return Built(folder, str(folder))
    prefix = _prefix(cwd)
    commit = _commit(spec, cwd)
    if commit is None:
        raise ObsError(f"{spec!r} is neither a folder nor a git ref of {cwd} (fix: pass a ref such as HEAD~1 or "
                       "origin/main, or a folder `obs build` wrote)")
    source = work / f"{name}-source"
    source.mkdir()
    _export(commit, cwd, source)
    out = work / name
    build_here(source / prefix, out, bundle, f"{spec} ({commit[:12]})")
    return Built(out, f"{spec} ({commit[:12]})")


@contextmanager
def review_area() -> Iterator[Path]:
    """obs's temporary folder for the builds of one review."""
    with tempfile.TemporaryDirectory(prefix="obs-review-") as tmp:
        yield Path(tmp)
