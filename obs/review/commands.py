"""`obs diff` and `obs backtest` as functions of their options (the CLI only parses arguments)."""
from __future__ import annotations

import datetime
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from obs.errors import ObsError
from obs.model.checks import DURATION_RE, duration_seconds
from obs.review import json_format, markdown, text
from obs.review.backtest import Window, pick_scope, run
from obs.review.backtest_report import as_json
from obs.review.backtest_report import text as backtest_text
from obs.review.compare import Report, compare
from obs.review.plot import plot
from obs.review.prometheus import Prometheus, auth
from obs.review.semantics import Scope, load
from obs.review.trees import Built, resolve, review_area

FORMATS: Mapping[str, Callable[[Report], str]] = {"text": text.render, "markdown": markdown.render,
                                                  "json": json_format.render}


def select(scopes: Mapping[str, Scope], envs: Sequence[str] | None) -> dict[str, Scope]:
    """The scopes of the named environments (all when none are named)."""
    return {k: v for k, v in scopes.items() if not envs or k.split("/", 1)[0] in envs}


def sides(base: str | None, head: str | None) -> tuple[str, str | None]:
    """`obs diff` compares HEAD with the working tree; `obs diff REF` REF with the working tree."""
    return base or "HEAD", head


def both(base: str, head: str | None, cwd: Path, work: Path, bundle: str | None) -> tuple[Built, Built]:
    """Both sides built side by side (each build is its own process)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        before = pool.submit(resolve, base, cwd, work, "base", bundle)
        after = pool.submit(resolve, head, cwd, work, "head", bundle)
        return before.result(), after.result()


def diff(base: str | None, head: str | None, fmt: str, bundle: str | None = None,
         envs: Sequence[str] | None = None, cwd: Path | None = None) -> tuple[str, Report]:
    """The rendered report and the report itself."""
    cwd = cwd or Path.cwd()
    old, new = sides(base, head)
    with review_area() as work:
        before, after = both(old, new, cwd, work, bundle)
        report = compare(select(load(before.path), envs), select(load(after.path), envs), before.label, after.label)
    return FORMATS[fmt](report), report


STEP_FLOOR = 10.0  # seconds: no finer evaluation than this, whatever the rule group says


def parse_time(value: str | None, now: float) -> float:
    """--end: RFC 3339 or Unix seconds; default now."""
    if value is None:
        return now
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ObsError(f"--end {value!r} is not a time (fix: RFC 3339 such as 2026-12-01T00:00:00Z, "
                       "or Unix seconds)") from None


def parse_duration(option: str, value: str) -> float:
    if not DURATION_RE.match(value) or duration_seconds(value) <= 0:
        raise ObsError(f"{option} {value!r} is not a Prometheus duration (fix: e.g. 7d, 1h30m, 1m)")
    return duration_seconds(value)


@dataclass(frozen=True)
class BacktestOptions:
    prometheus: str
    range: str = "7d"
    end: str | None = None
    step: str | None = None
    eval_interval: str = "1m"
    base: str | None = None
    head: str | None = None
    rules: Sequence[str] = ()
    env: str | None = None
    bundle: str | None = None
    fmt: str = "text"
    plot: Path | None = None
    bearer_token_file: Path | None = None
    basic_auth_file: Path | None = None
    timeout: float = 120.0
    max_series: int = 2000


def backtest(options: BacktestOptions, cwd: Path | None = None) -> str:
    """Build both sides, replay the chosen rules against the Prometheus, and render the result."""
    cwd = cwd or Path.cwd()
    span = parse_duration("--range", options.range)
    end = parse_time(options.end, time.time())
    step = parse_duration("--step", options.step) if options.step else None
    if step is not None and step < STEP_FLOOR:
        raise ObsError(f"--step {options.step} is finer than {STEP_FLOOR:g}s (fix: a coarser step, or none to use "
                       "each rule group's interval)")
    window = Window(end - span, end, max(parse_duration("--eval-interval", options.eval_interval), STEP_FLOOR), step)
    client = Prometheus(options.prometheus, auth(options.bearer_token_file, options.basic_auth_file),
                        options.timeout, options.max_series)
    with review_area() as work:
        before, after = both(options.base or "HEAD", options.head, cwd, work, options.bundle)
        old, new = load(before.path), load(after.path)
        name = pick_scope({**old, **new}, options.env)
        if name not in old or name not in new:
            raise ObsError(f"{name} is only in the {'head' if name in new else 'base'} build (fix: pick an --env "
                           "both builds have)")
        result = run(client, old[name], new[name], (before.label, after.label), window, options.rules)
    if options.plot is not None:
        plot(result, options.plot)
    return as_json(result) if options.fmt == "json" else backtest_text(result)
