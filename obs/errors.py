"""Errors obs raises for bad definitions and failed validations."""
from __future__ import annotations


def _redact(text: str) -> str:
    """obs.secret_patterns.redact, imported with the first error (its patterns take a few ms to compile)."""
    from obs.secret_patterns import redact as hide
    return hide(text)


class ObsError(Exception):
    """Base class: every error obs reports to a user (the CLI prints these without a traceback).
    Its text passes through `redact`: a message never carries a secret, whoever built it and
    whatever it quotes (a user's value, a tool's output, a path)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(_redact(arg) if isinstance(arg, str) else arg for arg in args))


class DefinitionError(ObsError):
    """A definition is invalid: says which definition, which field, what is wrong and the fix."""

    def __init__(self, definition: str, field: str, problem: str, fix: str = "") -> None:
        # each part redacted too: callers read them (a message never carries a secret)
        self.definition = _redact(definition)
        self.field = _redact(field)
        self.problem = problem = _redact(problem)
        self.fix = _redact(fix)
        text = f"{self.definition}: field '{self.field}': {problem}"
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)

    def __reduce__(self) -> tuple:  # rebuilt from its parts when it comes back from a worker process
        return (type(self), (self.definition, self.field, self.problem, self.fix))


class ValidationError(ObsError):
    """A generated artifact failed a check (structural or a real tool such as promtool); the
    message (often a tool's output, which may quote a file) is redacted like every ObsError's."""


class ToolMissingError(ObsError):
    """A required external binary (promtool, otelcol) is not installed."""


_OS_FIXES = {
    "ENOSPC": "free space on that file system (a failed build leaves the old output as it was), or pass another --out",
    "EDQUOT": "free space within your disk quota, or pass another --out",
    "EROFS": "the file system is read-only: pass a writable --out, or remount it read-write",
    "EACCES": "obs may not write there: fix the folder's permissions, or run as its owner",
    "EPERM": "obs may not change that path: fix the folder's permissions, or run as its owner",
    "ENOTDIR": "a part of the path is a file, not a folder: move the file away, or pass another --out",
    "EISDIR": "a folder stands where a file belongs: move it away",
    "ELOOP": "a symbolic link is in the way; obs never follows a symlink it did not create: remove it",
    "EEXIST": "something already exists at that path: move it away",
}


def os_error(exc: OSError, doing: str) -> ObsError:
    """An operating-system error as one clear line: what obs was doing, the path, the cause, the fix."""
    import errno

    code = errno.errorcode.get(exc.errno or 0, "")
    path = f"{exc.filename}: " if exc.filename else ""
    fix = _OS_FIXES.get(code, "check the path and the file system, then run obs again")
    return ObsError(f"{doing}: {path}{exc.strerror or exc} [{code or 'OS error'}] (fix: {fix})")
