"""Progress of long work on stderr: a bar on a terminal, plain lines otherwise, nothing when quiet.

    with progress("promtool test", total=len(files)) as step:
        for f in files:
            ...
            step.advance(note=f.name)

Each message is printed once. `set_quiet(True)` (the CLI's --quiet) silences every reporter.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import IO, Iterator

_quiet = False


def set_quiet(quiet: bool) -> None:
    """Silence (or restore) progress output for the whole process."""
    global _quiet
    _quiet = quiet


class Progress:
    """Counts steps of one piece of work. On a terminal it redraws one bar line; elsewhere it
    prints a line at most every `every` seconds, and the summary at the end, so logs stay short."""

    def __init__(self, label: str, total: int | None = None, stream: IO[str] | None = None,
                 every: float = 5.0) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every
        self._last = 0.0
        self._start = time.monotonic()
        self._counts: dict[str, int] = {}

    def advance(self, n: int = 1, note: str = "", outcome: str | None = None) -> None:
        """One or more steps done; `outcome` (e.g. 'cached', 'failed') is counted for the summary."""
        self.done += n
        if outcome:
            self._counts[outcome] = self._counts.get(outcome, 0) + n
        now = time.monotonic()
        if self.tty or now - self._last >= self.every:
            self._last = now
            self._show(note)

    def message(self, text: str) -> None:
        """A line of its own (e.g. a build step), printed once."""
        if _quiet:
            return
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(f"{self.label}: {text}\n")
        self.stream.flush()

    def _summary(self) -> str:
        counted = ", ".join(f"{v} {k}" for k, v in sorted(self._counts.items()))
        of = f"/{self.total}" if self.total is not None else ""
        return f"{self.done}{of}" + (f" ({counted})" if counted else "")

    def _show(self, note: str) -> None:
        if _quiet:
            return
        if self.tty and self.total:
            width = 24
            filled = int(width * self.done / max(self.total, 1))
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r\033[K{self.label} [{bar}] {self._summary()} {note}"[:200])
        else:
            self.stream.write(f"{self.label}: {self._summary()}{' ' + note if note else ''}\n")
        self.stream.flush()

    def close(self) -> None:
        """The final line: what was done and how long it took."""
        if _quiet:
            return
        elapsed = time.monotonic() - self._start
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(f"{self.label}: {self._summary()} in {elapsed:.1f}s\n")
        self.stream.flush()


@contextmanager
def progress(label: str, total: int | None = None, stream: IO[str] | None = None) -> Iterator[Progress]:
    """A Progress that prints its summary line when the work ends."""
    step = Progress(label, total, stream)
    try:
        yield step
    finally:
        step.close()
