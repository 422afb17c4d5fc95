"""Validate generated rule files and unit tests with the real promtool.

Files are checked in batches (many files per promtool process) run in parallel on every core,
and a check that passed on the same bytes with the same promtool is not run again
(obs.validate.cache). Progress (checked, cached, failed) goes to stderr (obs.progress).
"""
from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import yaml

from obs.errors import ValidationError
from obs.progress import progress
from obs.tools import promtool, run_tool
from obs.validate import cache
from obs.workers import default_jobs

# promtool's report of a rule error: its group, its index in the group, its name, the message.
RULE_REF = re.compile(r'group "(?P<group>[^"]*)", rule (?P<index>\d+), "(?P<rule>[^"]*)": (?P<msg>.*)')
# The line promtool starts each file's report with, per command.
_FILE_HEADER = {"check": re.compile(r"^Checking (?P<file>.+)$"),
                "test": re.compile(r"^Unit Testing:\s+(?P<file>.+)$")}
# Files per promtool process: few processes, and progress between batches. Checking a rule file
# takes a few milliseconds, less than starting promtool: its batches are larger.
MAX_BATCH = {"check": 200, "test": 40}


def _explain(output: str, root: Path) -> str:
    """promtool's output, each rule error restated with the definition it came from."""
    lines = []
    for line in output.splitlines():
        line = line.replace(str(root) + "/", "")
        match = RULE_REF.search(line)
        if match:
            file, _, position = line[: match.start()].rstrip(": ").partition(": ")
            parts = Path(file).parts
            env = parts[0] if len(parts) > 1 else "?"
            pack = Path(file).name.removesuffix(".yaml")
            lines.append(f"rule {match['rule']!r} (environment {env!r}, rule pack {pack!r}, group "
                         f"{match['group']!r}): {match['msg']} [{file}:{position}]")
        elif line.strip() and not line.startswith("Checking ") and line.strip() not in ("FAILED:", "SUCCESS"):
            lines.append(line)
    return "\n".join(lines)


def jobs() -> int:
    """How many promtool processes run at once: $OBS_JOBS, else one per usable core."""
    return default_jobs()


@lru_cache(maxsize=None)
def tool_identity(binary: Path) -> str:
    """The tool's identity for the cache: its version output."""
    return f"{binary}\n{run_tool([binary, '--version']).output}"


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


class _Unusual(Exception):
    """The document needs a full parse (an alias, a merge key, a nested entry)."""


def _skip(first: yaml.Event, events: Iterator[yaml.Event]) -> None:
    """Consume the rest of the node that starts with `first`."""
    depth = int(isinstance(first, yaml.CollectionStartEvent))
    while depth:
        event = next(events)
        depth += isinstance(event, yaml.CollectionStartEvent) - isinstance(event, yaml.CollectionEndEvent)


def _names_from_events(data: bytes) -> list[str] | None:
    """`rule_files` of the top-level mapping, read from YAML events only up to it (obs writes it
    first, so the series after it are not parsed); None if absent or not a list of strings."""
    events = yaml.parse(data, Loader=_LOADER)
    for event in events:
        if isinstance(event, yaml.MappingStartEvent):
            break
        if not isinstance(event, (yaml.StreamStartEvent, yaml.DocumentStartEvent)):
            return None
    for key in events:
        if isinstance(key, yaml.MappingEndEvent):
            return None
        value = next(events)
        if isinstance(key, yaml.AliasEvent) or isinstance(value, yaml.AliasEvent) or \
                (isinstance(key, yaml.ScalarEvent) and key.value == "<<"):
            raise _Unusual
        if not (isinstance(key, yaml.ScalarEvent) and key.value == "rule_files"):
            _skip(key, events)
            _skip(value, events)
            continue
        if not isinstance(value, yaml.SequenceStartEvent):
            return None
        names: list[str] = []
        for item in events:
            if isinstance(item, yaml.SequenceEndEvent):
                return names
            if not isinstance(item, yaml.ScalarEvent):
                raise _Unusual
            names.append(item.value)
    return None


def rule_file_names(data: bytes) -> list[str]:
    """The `rule_files` entries of a promtool test file, as a YAML parser reads them (comments,
    quoting and flow lists included); [] when the file is not YAML or has none (promtool reports it)."""
    try:
        try:
            names = _names_from_events(data)
        except _Unusual:
            doc = yaml.load(data, Loader=_LOADER)
            names = doc.get("rule_files") if isinstance(doc, dict) else None
    except (yaml.YAMLError, StopIteration):
        return []
    return [n for n in names if isinstance(n, str) and n] if isinstance(names, list) else []


def referenced_rule_files(test_file: Path, root: Path) -> list[Path]:
    """The rule files a promtool test file loads (relative to the test file; globs expanded). An
    entry outside `root` (`/dev/zero`, `../../etc/x`) is an error: promtool would read it."""
    names = rule_file_names(test_file.read_bytes())
    inside = os.path.normpath(root.absolute())
    found: list[Path] = []
    for name in names:
        target = os.path.normpath(os.path.join(test_file.parent.absolute(), name))
        if os.path.commonpath([inside, target]) != inside:
            where = os.path.relpath(test_file.absolute(), inside)
            raise ValidationError(f"{where}: rule_files entry {name!r} is outside the folder being tested "
                                  "(fix: name rule files by paths relative to the test file, inside the output "
                                  "folder, e.g. ../rules/pack.yaml)")
        pattern = Path(target)
        found += sorted(pattern.parent.glob(pattern.name)) if any(c in name for c in "*?[") else [pattern]
    return found


def _inputs(kind: str, file: Path, root: Path) -> list[bytes]:
    """The bytes a check of `file` depends on (a test file also depends on its rule files)."""
    contents = [file.read_bytes()]
    if kind == "test":
        for rule_file in referenced_rule_files(file, root):
            regular = rule_file.is_file() and not rule_file.is_symlink()
            contents += [str(rule_file.name).encode(), rule_file.read_bytes() if regular else b"\0missing"]
    return contents


def _batches(files: Sequence[Path], workers: int, size: int) -> list[list[Path]]:
    """Files split into batches of similar total size, at least one per worker and of at most
    about `size` files."""
    count = max(workers, -(-len(files) // size))
    batches: list[list[Path]] = [[] for _ in range(min(count, len(files)))]
    sizes = [0] * len(batches)
    for file in sorted(files, key=lambda f: f.stat().st_size, reverse=True):
        index = sizes.index(min(sizes))
        batches[index].append(file)
        sizes[index] += file.stat().st_size
    return [sorted(batch) for batch in batches if batch]


def _split_report(output: str, kind: str, batch: Sequence[Path]) -> dict[Path, tuple[bool, str]]:
    """promtool's combined output split per file: (passed, that file's report)."""
    by_name = {str(f): f for f in batch}
    reports: dict[Path, list[str]] = {}
    current: Path | None = None
    for line in output.splitlines():
        header = _FILE_HEADER[kind].match(line)
        if header and header["file"].strip() in by_name:
            current = by_name[header["file"].strip()]
            reports[current] = [line]
        elif current is not None:
            reports[current].append(line)
    return {file: (any(text.strip().startswith("SUCCESS") for text in lines), "\n".join(lines))
            for file, lines in reports.items()}


def _run(kind: str, binary: Path, batch: Sequence[Path], timeout: float) -> dict[Path, tuple[bool, str]]:
    command = ["check", "rules"] if kind == "check" else ["test", "rules"]
    result = run_tool([binary, *command, *batch], timeout=timeout)
    reports = _split_report(result.output, kind, batch)
    if result.returncode == 0:
        return {file: (True, reports.get(file, (True, ""))[1]) for file in batch}
    # A file promtool did not report on failed with the batch (e.g. it could not be read).
    return {file: reports.get(file, (False, result.output)) for file in batch}


def run_checks(kind: str, files: Iterable[Path], root: Path, timeout: float = 900) -> int:
    """`promtool check rules` (kind 'check') or `promtool test rules` ('test') on every file:
    cached passes skipped, the rest in parallel batches. Raises ValidationError with promtool's
    report of each failed file; returns the number of files."""
    files = sorted(set(files))
    if not files:
        return 0
    binary = promtool()
    identity = tool_identity(binary)
    label = f"promtool {'check' if kind == 'check' else 'test'} rules"
    failures: list[str] = []
    with progress(label, total=len(files)) as step:
        keys = {file: cache.key(f"promtool-{kind}", identity, _inputs(kind, file, root)) for file in files}
        todo = [file for file in files if not cache.passed(keys[file])]
        if len(todo) < len(files):
            step.advance(len(files) - len(todo), outcome="cached")
        if todo:
            workers = min(jobs(), len(todo))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                running = [pool.submit(_run, kind, binary, batch, timeout)
                           for batch in _batches(todo, workers, MAX_BATCH[kind])]
                for done in as_completed(running):
                    results = done.result()
                    for file, (ok, report) in sorted(results.items()):
                        if ok:
                            cache.record(keys[file])
                        else:
                            failures.append(report)
                        step.advance(note=file.name, outcome="passed" if ok else "failed")
    if failures:
        raise ValidationError(f"{label} failed:\n" + _explain("\n".join(sorted(failures)), root))
    return len(files)


def check_rules(rule_files: Iterable[Path], root: Path) -> int:
    """`promtool check rules` over all files (batched, parallel, cached); returns the file count."""
    return run_checks("check", rule_files, root, timeout=300)


def test_rules(test_files: Iterable[Path], root: Path) -> int:
    """`promtool test rules` over all unit-test files (batched, parallel, cached); returns the file count."""
    return run_checks("test", test_files, root, timeout=900)
