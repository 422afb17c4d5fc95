"""One task per item in forked worker processes, so independent work (a bundle's environments)
uses several cores.

Each item gets its own forked process (Linux; wherever fork is available), which inherits the
loaded bundle: nothing but the item's index goes to it, only the result comes back (pickled
through a pipe), and the process exits after its task, so its memory is returned. Without fork,
with one job or one item, the work runs in this process. An exception in a worker comes back as
the same error: obs's own errors and OS errors as they are, any other exception (from a team's
definitions) as the one-line ObsError the CLI prints for it, pointing at the team's code. A
worker that dies without an answer (killed, out of memory) is an error naming the item; the other
workers are stopped.
"""
from __future__ import annotations

import gc
import os
import signal
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar, cast

from obs.errors import ObsError

if TYPE_CHECKING:  # multiprocessing is imported when a build forks (obs.lazy): a small one does not
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkContext
    from multiprocessing.process import BaseProcess

T = TypeVar("T")
R = TypeVar("R")

# What the forked workers run: set just before forking, read by `_child` in the worker.
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


def _fork_context() -> ForkContext | None:
    """multiprocessing's fork context, None where the platform cannot fork. multiprocessing is
    imported here, when a build first forks: a small build never does (obs.lazy)."""
    import multiprocessing
    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def run_each(work: Callable[[T], R], items: Sequence[T], jobs: int | None = None, doing: str = "",
             names: Sequence[str] | None = None) -> list[R]:
    """`[work(item) for item in items]`, in up to `jobs` forked processes at a time (default:
    default_jobs()); `names` name the items in errors."""
    jobs = default_jobs() if jobs is None else jobs
    fork = _fork_context() if jobs > 1 and len(items) > 1 else None
    if fork is None:
        return [work(item) for item in items]
    from multiprocessing.connection import wait
    global _TASK
    _TASK = (work, items)
    gc.freeze()  # what the workers inherit is never scanned by their cycle collector (nor copied for it)
    results: dict[int, R] = {}
    waiting = list(range(len(items)))
    running: dict[Connection, tuple[int, BaseProcess]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                index = waiting.pop(0)
                receive, send = fork.Pipe(duplex=False)
                # Not daemonic: a worker may fork one of its own (run_beside), which multiprocessing refuses
                # a daemonic process; every worker is joined, or stopped in `finally`, before this returns.
                process: BaseProcess = fork.Process(target=_child, args=(index, send, doing),
                                                                            daemon=False)
                process.start()
                send.close()
                running[receive] = (index, process)
            for receive in cast("list[Connection]", wait(list(running))):  # wait() returns what it was given
                index, process = running.pop(receive)
                try:
                    ok, value = receive.recv()
                except EOFError:
                    process.join()
                    raise _died(doing, names[index] if names else f"item {index}", process) from None
                finally:
                    receive.close()
                process.join()
                if not ok:
                    raise value
                results[index] = value
    finally:
        _TASK = None
        gc.unfreeze()
        for _, process in running.values():
            process.terminate()
            process.join()
    return [results[index] for index in range(len(items))]


def run_beside(here: Callable[[], R], there: Callable[[], T], name: str, doing: str = "") -> tuple[R, T]:
    """`(here(), there())`, with `there` in a forked process while `here` runs in this one (whose
    result stays here: nothing big is sent back). Without fork, `there` runs after `here`."""
    fork = _fork_context()
    if fork is None:
        return here(), there()
    global _TASK
    _TASK = (_call, [there])
    gc.freeze()  # as in run_each; and `here` does not scan what both read (the definitions) again
    receive, send = fork.Pipe(duplex=False)
    process = fork.Process(target=_child, args=(0, send, doing), daemon=False)  # as in run_each
    try:
        process.start()
        _TASK = None
        send.close()
        mine = here()
        try:
            ok, value = receive.recv()
        except EOFError:
            process.join()
            raise _died(doing, name, process) from None
        process.join()
    finally:
        _TASK = None
        gc.unfreeze()
        receive.close()
        if process.is_alive():
            process.terminate()
            process.join()
    if not ok:
        raise value
    return mine, value


def _call(task: Callable[[], T]) -> T:
    return task()


def _died(doing: str, name: str, process: BaseProcess) -> ObsError:
    return ObsError(f"{doing or 'rendering'}: the worker process for {name} stopped without an answer (exit code "
                    f"{process.exitcode}; -9 is usually the kernel's out-of-memory killer) (fix: free memory, or run "
                    "with --jobs 1)")


def _child(index: int, send: Connection, doing: str) -> None:
    """In a worker: send back (True, result) or (False, the error to raise in the parent)."""
    assert _TASK is not None
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to report (it stops the workers)
    work, items = _TASK
    try:
        outcome: tuple[bool, object] = (True, work(items[index]))
    except (ObsError, OSError) as exc:
        outcome = (False, exc)
    except Exception as exc:  # from a team's definitions: keep where it came from, as one line
        from obs.loader import user_code_error
        outcome = (False, user_code_error(exc, doing or "while building the definitions"))
    send.send(outcome)
    send.close()
