"""One task per item in forked worker processes, so independent work (a bundle's environments)
uses several cores.

Workers are forked (Linux, macOS with fork available): they inherit the loaded bundle, so nothing
but the item's index goes to them and only the result comes back (pickled). Without fork, with
one job or one item, the work runs in this process. An exception in a worker comes back as the
same error: obs's own errors and OS errors as they are, any other exception (from a team's
definitions) as the one-line ObsError the CLI prints for it, pointing at the team's code.
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Callable, Sequence, TypeVar

from obs.errors import ObsError

T = TypeVar("T")
R = TypeVar("R")

# What the forked workers run: set just before the pool forks, read by `_run` in the worker.
_TASK: tuple[Callable, Sequence] | None = None


def default_jobs() -> int:
    """$OBS_JOBS, else the cores this process may use."""
    configured = os.environ.get("OBS_JOBS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ObsError(f"OBS_JOBS={configured!r} is not a number (fix: set OBS_JOBS to a whole number "
                           "of worker processes, e.g. 2, or unset it)") from None
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_each(work: Callable[[T], R], items: Sequence[T], jobs: int | None = None, doing: str = "") -> list[R]:
    """`[work(item) for item in items]`, in up to `jobs` forked processes (default: default_jobs())."""
    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or len(items) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [work(item) for item in items]
    global _TASK
    _TASK = (work, items)
    try:
        fork = multiprocessing.get_context("fork")
        with fork.Pool(min(jobs, len(items)), maxtasksperchild=1) as pool:  # a worker exits after its task
            outcomes = pool.starmap(_run, [(index, doing) for index in range(len(items))], chunksize=1)
    finally:
        _TASK = None
    results = []
    for ok, value in outcomes:
        if not ok:
            raise value
        results.append(value)
    return results


def _run(index: int, doing: str) -> tuple[bool, object]:
    """In a worker: the item's result, or the error to raise in the parent."""
    assert _TASK is not None
    work, items = _TASK
    try:
        return True, work(items[index])
    except (ObsError, OSError) as exc:
        return False, exc
    except Exception as exc:  # from a team's definitions: keep where it came from, as one line
        from obs.loader import user_code_error
        return False, user_code_error(exc, doing or "while building the definitions")
