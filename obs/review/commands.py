"""`obs diff` and `obs backtest` as functions of their options (the CLI only parses arguments)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Sequence

from obs.review import json_format, markdown, text
from obs.review.compare import Report, compare
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


def diff(base: str | None, head: str | None, fmt: str, bundle: str | None = None,
         envs: Sequence[str] | None = None, cwd: Path | None = None) -> tuple[str, Report]:
    """The rendered report and the report itself."""
    cwd = cwd or Path.cwd()
    old, new = sides(base, head)
    with review_area() as work:
        before: Built = resolve(old, cwd, work, "base", bundle)
        after: Built = resolve(new, cwd, work, "head", bundle)
        report = compare(select(load(before.path), envs), select(load(after.path), envs), before.label, after.label)
    return FORMATS[fmt](report), report
