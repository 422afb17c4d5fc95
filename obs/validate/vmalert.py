"""A second rule engine, VictoriaMetrics' vmalert: obs's rule files load in `vmalert -dryRun` and
its unit tests pass under `vmalert-tool unittest`, as they do under promtool.

vmalert-tool reads promtool's test-file format, with two differences handled here: its clock
starts at 2000-01-01 rather than the epoch, so a pack's tests are rendered for it (timestamps in
test data are ClockValues, relative to the start: obs.render.prometheus.VMALERT_TOOL), and it
labels alerts with their group unless run with --disableAlertgroupLabel (Prometheus does not).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from obs.model.bundle import Bundle
from obs.model.environment import Environment
from obs.render.base import RenderContext
from obs.render.layout import tier_dir
from obs.render.prometheus import TESTS_DIR, VMALERT_TOOL, placed_packs, tier_tests
from obs.serialize import to_yaml
from obs.tools import run_tool, vmalert, vmalert_tool
from obs.workers import default_jobs

# Where the vmalert-tool test files go beside the promtool ones: the same `../rules/` references hold.
VMALERT_TESTS_DIR = TESTS_DIR.rsplit("/", 1)[0] + "/vmalert-tests"
_READ = re.compile(r"finished reading (\d+) files")


def test_files(bundle: Bundle, env: Environment) -> dict[str, bytes]:
    """The environment's rule unit tests rendered for vmalert-tool: path -> bytes (beside the
    promtool tests, which stay as they are)."""
    files = {}
    ctx = RenderContext(bundle, env, bundle.definitions(env))
    for tier, part, pack in placed_packs(ctx):  # in a fleet, beside each tier's rule files
        tests = tier_tests(ctx, tier, part, pack, VMALERT_TOOL)
        if tests is not None:
            files[f"{tier_dir(env, tier)}{VMALERT_TESTS_DIR}/{pack.name}.test.yaml"] = to_yaml(tests)
    return files


@dataclass(frozen=True)
class Outcome:
    """One vmalert run: which files, whether it passed, and its output without info lines."""

    files: tuple[Path, ...]
    passed: bool
    output: str


def _quiet(output: str) -> str:
    return "\n".join(line for line in output.splitlines() if "\tinfo\t" not in line).strip()


def dry_run(rule_files: Sequence[Path]) -> Outcome:
    """`vmalert -dryRun` over the rule files: parses every group, rule and template, then exits.
    Passes only when it exits 0 and read every file."""
    result = run_tool([vmalert(), "-dryRun", "-loggerLevel=INFO", *(f"-rule={f}" for f in rule_files)], timeout=300)
    read = sum(int(n) for n in _READ.findall(result.output))
    return Outcome(tuple(rule_files), result.returncode == 0 and read == len(rule_files), _quiet(result.output))


def unit_test(test_file: Path) -> Outcome:
    """`vmalert-tool unittest` of one test file (it starts its own storage on a free port)."""
    result = run_tool([vmalert_tool(), "unittest", "--disableAlertgroupLabel", f"--files={test_file}"],
                      cwd=test_file.parent, timeout=1800)
    return Outcome((test_file,), result.returncode == 0 and "SUCCESS" in result.output, _quiet(result.output))


def unit_tests(test_files: Iterable[Path], jobs: int | None = None) -> list[Outcome]:
    """Every test file under vmalert-tool, `jobs` at a time (default: one per core), longest first."""
    files = sorted(test_files, key=lambda f: f.stat().st_size, reverse=True)
    with ThreadPoolExecutor(max_workers=jobs or default_jobs()) as pool:
        return sorted(pool.map(unit_test, files), key=lambda outcome: outcome.files)
