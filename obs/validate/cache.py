"""A content-addressed record of tool checks that passed, so unchanged input is not checked again.

A key is the SHA-256 of the check's kind, the tool's identity (its version output) and the bytes
of every input file (e.g. a promtool test file and the rule files it loads). Only passes are
recorded: a failure is re-run every time and reported afresh. Entries are empty files under
`$OBS_CHECK_CACHE_DIR`, by default `<obs cache>/checks/` (obs.tools.cache_dir(): ~/.cache/obs or
$OBS_CACHE_DIR); deleting the folder is always safe. Set OBS_NO_CHECK_CACHE=1 (or `obs validate
--no-cache`) to check everything. The tests point OBS_CHECK_CACHE_DIR at a folder of their own run,
so a check that passed on this machine before (or under another obs) never stands in for a tool run.
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Iterable

from obs.tools.env import cache_dir

DISABLE_ENV = "OBS_NO_CHECK_CACHE"
FOLDER_ENV = "OBS_CHECK_CACHE_DIR"


def folder() -> Path:
    """Where passes are recorded: $OBS_CHECK_CACHE_DIR, else <obs cache>/checks (read on every call)."""
    explicit = os.environ.get(FOLDER_ENV)
    return Path(explicit) if explicit else cache_dir() / "checks"


def enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "") in ("", "0")


def disable() -> None:
    """Check everything afresh in this process (and the tools it starts)."""
    os.environ[DISABLE_ENV] = "1"


def key(kind: str, tool_identity: str, contents: Iterable[bytes]) -> str:
    """The cache key of one check: kind, tool and every input's bytes (length-prefixed)."""
    digest = hashlib.sha256()
    for part in (kind.encode(), tool_identity.encode(), *contents):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _entry(entry: str) -> Path:
    return folder() / entry[:2] / entry


_warned: list[str] = []


def _warn_once(exc: OSError) -> None:
    """One line on stderr the first time the cache cannot be used: it only saves time."""
    if not _warned:
        _warned.append(str(exc))
        print(f"obs: warning: the check cache {folder()} cannot be read ({exc.strerror or exc}); checking "
              "everything afresh (fix: make it readable, or delete it)", file=sys.stderr)


def passed(entry: str) -> bool:
    """Whether this exact check passed before (an unreadable cache: no, with one warning)."""
    if not enabled():
        return False
    try:
        return _entry(entry).is_file()
    except OSError as exc:
        _warn_once(exc)
        return False


def record(entry: str) -> None:
    """Remember that the check passed (best effort: a read-only cache only costs time)."""
    if not enabled():
        return
    path = _entry(entry)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError:
        pass
