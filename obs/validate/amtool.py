"""Prove generated Alertmanager configs with the real amtool: `amtool check-config` on each, and
`amtool config routes test` for every routing case (each alert's labels must reach the receivers
its intent names; reaching the default receiver is an error unless an intent names it)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

import yaml

from obs.alertmanager.matchers import quote
from obs.errors import ValidationError
from obs.tools import amtool, run_tool

CONFIG = Path("alertmanager") / "alertmanager.yaml"
CASES = Path("alertmanager") / "routing-tests.yaml"


def config_files(folders: Sequence[Path]) -> list[Path]:
    return [folder / CONFIG for folder in folders if (folder / CONFIG).is_file()]


def check_configs(folders: Sequence[Path]) -> str:
    """`amtool check-config` over every alertmanager.yaml (one call)."""
    files = config_files(folders)
    if not files:
        return "amtool check-config: no Alertmanager config"
    result = run_tool([amtool(), "check-config", *files])
    if result.returncode != 0:
        raise ValidationError("amtool check-config failed:\n" + result.output)
    return f"amtool check-config: {len(files)} configs OK"


def resolve(config: Path, labels: dict[str, str]) -> list[str]:
    """The receivers amtool routes `labels` to, in routing order."""
    # Quoted as amtool's matcher parser reads them (values may hold , = " and non-ASCII text).
    args = [f"{k}={quote(v)}" for k, v in sorted(labels.items())]
    result = run_tool([amtool(), "config", "routes", "test", f"--config.file={config}", "--", *args], timeout=60)
    if result.returncode != 0:
        raise ValidationError(f"amtool config routes test failed on {config}: {result.output}")
    lines = [line for line in result.output.splitlines() if line.strip() and not line.startswith("Warning:")]
    return [r.strip() for r in lines[-1].split(",")] if lines else []


def _mismatch(folder: Path, case: dict[str, Any], got: list[str], default: str) -> str | None:
    if got == case["receivers"]:
        return None
    why = (f"it fell through to the default receiver {default!r}" if got == [default]
           else f"amtool routes it to {got}")
    return (f"{folder.name}: alert {case['alert']!r} (rule pack {case['pack']!r}, case {case['case']!r}, labels "
            f"{case['labels']}) must reach {case['receivers']} (intent {case['intent']}), but {why} "
            "(fix the route tree or the intent)")


def check_routes(folders: Sequence[Path]) -> str:
    """Route every case of every folder with amtool; all mismatches are reported together."""
    jobs = []
    for folder in folders:
        if not (folder / CASES).is_file():
            continue
        doc = yaml.safe_load((folder / CASES).read_text())
        jobs += [(folder, case, doc["default_receiver"]) for case in doc["cases"]]
    if not jobs:
        return "amtool routes test: no routing cases"
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda job: resolve(job[0] / CONFIG, job[1]["labels"]), jobs))
    problems = [p for (folder, case, default), receivers in zip(jobs, got, strict=True)
                if (p := _mismatch(folder, case, receivers, default))]
    if problems:
        raise ValidationError("alerts do not reach their intended receivers:\n" + "\n".join(problems))
    return f"amtool routes test: {len(jobs)} alert label sets reach their intended receivers"
