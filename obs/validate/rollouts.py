"""Tier 2 for canary analysis: every AnalysisTemplate query parses with promtool once its
arguments are substituted (the canary selector by a sample matcher)."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence

import yaml

from obs.errors import ValidationError
from obs.render.layout import CLUSTERS_DIR
from obs.render.rollouts import ROLLOUTS_DIR
from obs.tools import promtool, run_tool

_ARG_RE = re.compile(r"\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}")
SAMPLE_MATCHER = 'obs_canary="canary"'


def with_args(query: str, value: str = SAMPLE_MATCHER) -> str:
    """`query` with every {{args.x}} replaced by `value` (a label matcher)."""
    return _ARG_RE.sub(value, query)


def analysis_queries(template: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(metric name, Prometheus query) of an AnalysisTemplate."""
    for metric in template.get("spec", {}).get("metrics", []):
        query = metric.get("provider", {}).get("prometheus", {}).get("query")
        if query:
            yield metric["name"], query


def templates(folders: Sequence[Path]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every AnalysisTemplate of the environments' folders: environment-wide, and in a fleet
    over a Receive hashring each cluster's own (obs.render.rollouts)."""
    for folder in folders:
        found = [*(folder / ROLLOUTS_DIR).glob("analysistemplate-*.yaml"),
                 *(folder / CLUSTERS_DIR).glob(f"*/{ROLLOUTS_DIR}/analysistemplate-*.yaml")]
        for path in sorted(found):
            yield path, yaml.safe_load(path.read_text())


def check_analysis_queries(folders: Sequence[Path]) -> str:
    """`promtool check rules` over every analysis query (one call, as recording rules)."""
    groups = []
    for path, template in templates(folders):
        rules = [{"record": "obs_analysis_query", "expr": with_args(q)} for _, q in analysis_queries(template)]
        if rules:
            groups.append({"name": f"{path.parent.parent.name}/{path.name}", "rules": rules})
    if not groups:
        return "promtool analysis queries: no AnalysisTemplate"
    with tempfile.TemporaryDirectory(prefix="obs-analysis-") as tmp:
        rule_file = Path(tmp) / "analysis-queries.yaml"
        rule_file.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
        result = run_tool([promtool(), "check", "rules", rule_file])
    if result.returncode != 0:
        raise ValidationError("AnalysisTemplate queries do not parse (promtool check rules; group = file):\n"
                              + result.output.replace(str(rule_file), "analysis queries"))
    return f"promtool analysis queries: {sum(len(g['rules']) for g in groups)} queries OK"
