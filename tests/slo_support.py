"""Helpers for the SLO tests: write rule packs with their unit tests and run the real promtool."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import yaml

from obs.model.environment import Environment
from obs.model.slo import SLO, EventsSLI, counter_rate
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


DEV = Environment("dev", cluster="dev-1")


def expr_test(tmp_path: Path, pack: Any, series: dict[str, str], checks: list[tuple[str, str, list]],
              env: Environment = DEV) -> None:
    """A promtool promql_expr_test on the rules of `pack` (or a sequence of packs): (expr,
    eval_time, expected samples)."""
    packs = pack if isinstance(pack, (list, tuple)) else [pack]
    rules = [str(write_pack(env, p, tmp_path)[0]) for p in packs]
    spec = {"rule_files": rules, "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [{"series": s, "values": v} for s, v in series.items()],
        "promql_expr_test": [{"expr": e, "eval_time": t, "exp_samples": samples} for e, t, samples in checks],
    }]}
    path = tmp_path / "expr.test.yaml"
    path.write_text(yaml.safe_dump(spec))
    promtool.test_rules([path], tmp_path)


# An availability SLO the SLO rule tests and the hostile-name tests share.
AVAILABILITY = SLO("checkout", "availability", 99.9,
                   EventsSLI(bad=counter_rate("http_requests_total", 'code=~"5.."'),
                             total=counter_rate("http_requests_total")),
                   labels={"team": "shop"}, min_event_rate=0.1)
