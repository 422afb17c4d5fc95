"""File-system primitives for the output folder that never follow a symlink obs did not create.

Everything here works on a folder obs writes (`OUT/<env>`) and paths relative to it: listing
without following links, reading only regular files reached without links, an atomic exchange of
two folders (`renameat2(RENAME_EXCHANGE)` on Linux), and a lock that serialises builds.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import math
import os
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterator

from obs.errors import ObsError

LOCK_TIMEOUT_ENV = "OBS_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 300.0
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class SymlinkError(ObsError):
    """A symlink where obs would read or write: obs never follows a symlink it did not create."""

    def __init__(self, path: Path | str, fix: str = "") -> None:
        self.path = str(path)
        fix = fix or "replace the link with the real file or folder, or remove it"
        super().__init__(f"{path} is a symbolic link; obs never follows a symlink it did not create "
                         f"(fix: {fix})")


def is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False


def refuse_link(path: Path, fix: str = "") -> None:
    """Raise SymlinkError when `path` itself is a symlink."""
    if is_link(path):
        raise SymlinkError(path, fix)


def safe_relative(rel: str) -> bool:
    """Whether `rel` is a plain relative path inside a folder (no '..', not absolute, not empty)."""
    parts = PurePosixPath(rel).parts
    return bool(parts) and not PurePosixPath(rel).is_absolute() and ".." not in parts and "." not in parts \
        and "\\" not in rel and "\0" not in rel


def link_on_path(root: Path, rel: str) -> str | None:
    """The first component of `rel` under `root` (itself included) that is a symlink, else None."""
    current = root
    parts = PurePosixPath(rel).parts
    for index, part in enumerate(parts):
        current = current / part
        if is_link(current):
            return "/".join(parts[:index + 1])
    return None


def read_regular(root: Path, rel: str) -> bytes | None:
    """The bytes of root/rel, or None when missing; SymlinkError when a link is on the way,
    ObsError when it is not a regular file."""
    link = link_on_path(root, rel)
    if link is not None:
        raise SymlinkError(root / link)
    try:
        fd = os.open(root / rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ObsError(f"{root / rel} is not a regular file (fix: move it away; obs only reads regular files)")
        return handle.read()


@dataclass
class Tree:
    """What a folder holds, listed without following links: relative path -> lstat result."""

    files: dict[str, os.stat_result] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    dirs: dict[str, os.stat_result] = field(default_factory=dict)
    special: list[str] = field(default_factory=list)


def scan(root: Path) -> Tree:
    """List `root` (which must be a real folder) without following any link."""
    tree = Tree()
    if not root.is_dir() or is_link(root):
        return tree
    tree.dirs[""] = os.lstat(root)
    for folder, dirs, names in os.walk(root, followlinks=False):
        base = Path(folder).relative_to(root)
        for name in sorted(dirs + names):
            path = Path(folder) / name
            rel = (base / name).as_posix()
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                tree.links[rel] = os.readlink(path)
            elif stat.S_ISDIR(info.st_mode):
                tree.dirs[rel] = info
            elif stat.S_ISREG(info.st_mode):
                tree.files[rel] = info
            else:
                tree.special.append(rel)
        dirs[:] = sorted(d for d in dirs if not is_link(Path(folder) / d))
    return tree


def keep_metadata(info: os.stat_result, path: Path) -> None:
    """Give `path` the permission bits of `info`; as root also its owner (never widen or re-own)."""
    current = os.lstat(path)
    if stat.S_ISLNK(current.st_mode):
        return
    if stat.S_IMODE(current.st_mode) != stat.S_IMODE(info.st_mode):
        os.chmod(path, stat.S_IMODE(info.st_mode))
    if os.geteuid() == 0 and (current.st_uid, current.st_gid) != (info.st_uid, info.st_gid):
        os.lchown(path, info.st_uid, info.st_gid)


def _renameat2() -> object | None:
    """renameat2 of the C library the interpreter runs on (dlopen(NULL) sees its symbols), or None.
    Not `ctypes.util.find_library`: on Linux that runs `ldconfig -p`, a few ms of every start-up."""
    try:
        func = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_RENAMEAT2 = _renameat2()


def exchange(first: Path, second: Path) -> bool:
    """Atomically swap two existing folders; False when the platform or file system cannot."""
    if _RENAMEAT2 is None:
        return False
    result = _RENAMEAT2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),  # type: ignore[operator]
                        _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)):
        return False
    raise OSError(code, os.strerror(code), str(second))


def lock_timeout() -> float:
    """Seconds to wait for another build's lock: $OBS_LOCK_TIMEOUT, a finite number >= 0 (anything
    else, such as 'nan' or 'abc', is an error rather than a silent default or an endless wait)."""
    text = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ObsError(f"${LOCK_TIMEOUT_ENV} is {text[:40]!r}, not a number of seconds "
                       f"(fix: set it to a number such as {DEFAULT_LOCK_TIMEOUT:g}, or unset it)")
    return value


@contextmanager
def locked(folder: Path, shared: bool = False) -> Iterator[None]:
    """Hold an flock on `folder` (the output root) itself: no lock file to commit or to leave behind.
    A second build on the same root waits (up to $OBS_LOCK_TIMEOUT seconds), then fails clearly."""
    refuse_link(folder, "pass the link's target as --out")
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        deadline = time.monotonic() + lock_timeout()
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ObsError(f"{folder}: another obs build holds the lock on this folder "
                                   f"(fix: wait for it to finish, or raise ${LOCK_TIMEOUT_ENV})") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
