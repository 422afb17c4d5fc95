"""Every ```python snippet in README.md and docs/*.md runs on the Python this suite runs on.

The snippets of one file run in order in one fresh interpreter (so a later snippet can use a
bundle an earlier one defined), in an empty working folder, with this repo importable. A snippet
that cannot run here is marked on the line before its fence, with the reason:

    <!-- no-run: needs a Kubernetes cluster -->

A marker without a reason, or one not followed by a python snippet, fails."""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import REPO

FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
NO_RUN = re.compile(r"^<!--\s*no-run:(.*?)-->[ \t]*$", re.MULTILINE)
# Runs the snippets given as JSON [[file, first line, code], ...]; compiled with the doc's own
# file name and line numbers so a traceback points into the Markdown.
RUNNER = textwrap.dedent('''
    import json, sys
    namespace = {"__name__": "__main__"}
    for doc, line, code in json.load(sys.stdin):
        exec(compile("\\n" * (line - 1) + code, doc, "exec"), namespace)
''')


@dataclass(frozen=True)
class Snippet:
    doc: Path
    line: int  # line of the snippet's first code line
    code: str
    skip: str | None  # the no-run reason, if marked


def doc_files(root: Path = REPO) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def snippets(doc: Path) -> list[Snippet]:
    """The python snippets of a Markdown file, each with its no-run reason if marked."""
    text = doc.read_text()
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = NO_RUN.match(before)
        if marker and not marker.group(1).strip():
            raise AssertionError(f"{doc}:{text.count(chr(10), 0, match.start())}: no-run marker without a reason")
        found.append(Snippet(doc, text.count("\n", 0, match.start(1)) + 1, match.group(1),
                             marker.group(1).strip() if marker else None))
    markers = len(NO_RUN.findall(text))
    skipped = sum(1 for s in found if s.skip is not None)
    assert markers == skipped, f"{doc}: a no-run marker must stand on the line just before a ```python fence"
    return found


def run_snippets(items: list[Snippet], cwd: Path) -> subprocess.CompletedProcess:
    """Run the snippets (the unmarked ones) in order in one new interpreter in `cwd`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    payload = json.dumps([[str(s.doc), s.line, s.code] for s in items if s.skip is None])
    return subprocess.run([sys.executable, "-c", RUNNER], input=payload, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("doc", [d for d in doc_files() if any(s.skip is None for s in snippets(d))],
                         ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_python_snippet_runs(doc, tmp_path):
    result = run_snippets(snippets(doc), tmp_path)
    assert result.returncode == 0, f"a snippet of {doc.name} failed on Python {sys.version.split()[0]}:\n" \
                                   f"{result.stderr[-3000:]}"


def test_the_readme_has_runnable_snippets():
    assert sum(1 for s in snippets(REPO / "README.md") if s.skip is None) >= 2


def test_a_failing_snippet_is_reported_with_its_doc_line(tmp_path):
    doc = tmp_path / "guide.md"
    doc.write_text("# Guide\n\n```python\nx = 1\n```\n\n<!-- no-run: talks to a real cluster -->\n"
                   "```python\nraise SystemExit(3)\n```\n\n```python\nassert x == 2, 'x is 1'\n```\n")
    items = snippets(doc)
    assert [(s.line, s.skip) for s in items] == [(4, None), (9, "talks to a real cluster"), (13, None)]
    result = run_snippets(items, tmp_path)
    assert result.returncode == 1
    assert f'File "{doc}", line 13' in result.stderr and "x is 1" in result.stderr


def test_a_marker_needs_a_reason_and_a_snippet(tmp_path):
    doc = tmp_path / "guide.md"
    doc.write_text("<!-- no-run: -->\n```python\npass\n```\n")
    with pytest.raises(AssertionError, match="without a reason"):
        snippets(doc)
    doc.write_text("<!-- no-run: stray -->\n\nText.\n\n```python\npass\n```\n")
    with pytest.raises(AssertionError, match="just before"):
        snippets(doc)


def test_python_3_11_syntax_in_every_snippet():
    """obs supports 3.11: a backslash inside an f-string expression (3.12+ only) must not creep in,
    even in a snippet marked no-run, whatever Python runs this suite."""
    for doc in doc_files():
        for s in snippets(doc):
            ast.parse(s.code, f"{doc}:{s.line}", feature_version=(3, 11))
