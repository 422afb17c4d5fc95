"""Validate generated rule files and unit tests with the real promtool."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from obs.errors import ValidationError
from obs.tools import promtool, run_tool

_RULE_REF = re.compile(r'group "(?P<group>[^"]*)", rule (?P<index>\d+), "(?P<rule>[^"]*)": (?P<msg>.*)')


def _explain(output: str, root: Path) -> str:
    """promtool's output, each rule error restated with the definition it came from."""
    lines = []
    for line in output.splitlines():
        line = line.replace(str(root) + "/", "")
        match = _RULE_REF.search(line)
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


def check_rules(rule_files: Iterable[Path], root: Path) -> int:
    """`promtool check rules` over all files in one call; returns the number of files checked."""
    files = sorted(rule_files)
    if not files:
        return 0
    result = run_tool([promtool(), "check", "rules", *files])
    if result.returncode != 0:
        raise ValidationError("promtool check rules failed:\n" + _explain(result.output, root))
    return len(files)


def test_rules(test_files: Iterable[Path], root: Path) -> int:
    """`promtool test rules` over all unit-test files in one call; returns the number of files."""
    files = sorted(test_files)
    if not files:
        return 0
    result = run_tool([promtool(), "test", "rules", *files], timeout=900)
    if result.returncode != 0:
        raise ValidationError("promtool test rules failed:\n" + _explain(result.output, root))
    return len(files)
