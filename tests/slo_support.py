"""Helpers for the SLO tests: write rule packs with their unit tests and run the real promtool."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from obs.model.environment import Environment
from obs.model.rules import RulePack
from obs.render.prometheus import render_rule_groups, render_tests
from obs.serialize import to_yaml
from obs.validate import promtool


def write_pack(env: Environment, pack: RulePack, root: Path) -> tuple[Path, Path | None]:
    """root/rules/<pack>.yaml and root/tests/<pack>.test.yaml (None without tests)."""
    (root / "rules").mkdir(parents=True, exist_ok=True)
    (root / "tests").mkdir(parents=True, exist_ok=True)
    rules = root / "rules" / f"{pack.name}.yaml"
    rules.write_bytes(to_yaml(render_rule_groups(env, pack)))
    tests = render_tests(env, pack)
    if tests is None:
        return rules, None
    path = root / "tests" / f"{pack.name}.test.yaml"
    path.write_bytes(to_yaml(tests))
    return rules, path


def run_promtool(env: Environment, packs: Sequence[RulePack], root: Path) -> int:
    """`promtool check rules` then `promtool test rules` on the packs; returns test files run."""
    written = [write_pack(env, pack, root) for pack in packs]
    promtool.check_rules([r for r, _ in written], root)
    return promtool.test_rules([t for _, t in written if t is not None], root)
