"""Validators: tier-1 lint on the model, tier-2 real tools on written folders."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Sequence

from obs.collector.safety import safety_findings
from obs.render.base import RenderContext
from obs.render.layout import parts
from obs.render.prometheus import placement
from obs.validate import amtool, backends, coherence, dashboards, lint, otelcol, promtool, rollouts, runtime
from obs.validate.lint import LintIssue

Linter = Callable[[RenderContext], Iterable[LintIssue]]
# A tool check gets every environment folder of one build and returns a one-line summary.
ToolCheck = Callable[[Sequence[Path]], str]


def lint_rule_packs(ctx: RenderContext) -> Iterable[LintIssue]:
    where = placement(ctx)
    for pack in ctx.defs.all_rule_packs():
        yield from lint.lint_pack(ctx.env, pack, {g.name for g in pack.groups if where.tier(pack, g) == "global"})


def slo_notes(ctx: RenderContext) -> Iterable[LintIssue]:
    """What the SLO model changed on its own (e.g. a window pair that could never fire, dropped),
    as warnings, so a build says it."""
    for slo in ctx.defs.slos:
        for note in slo.notes:
            yield LintIssue("warning", slo.definition, "slo-note", note)


def lint_collectors(ctx: RenderContext) -> Iterable[LintIssue]:
    for collector in ctx.defs.collectors:
        for level, definition, check, message in safety_findings(collector):
            yield LintIssue(level, definition, check, message)


def promtool_check_rules(folders: Sequence[Path]) -> str:
    files = [f for folder in parts(folders) for f in (folder / "prometheus" / "rules").glob("*.yaml")]
    count = promtool.check_rules(files, folders[0].parent if folders else Path("."))
    return f"promtool check rules: {count} files OK"


def promtool_test_rules(folders: Sequence[Path]) -> str:
    files = [f for folder in parts(folders) for f in (folder / "prometheus" / "tests").glob("*.yaml")]
    count = promtool.test_rules(files, folders[0].parent if folders else Path("."))
    return f"promtool test rules: {count} files OK"


def otelcol_validate(folders: Sequence[Path]) -> str:
    files = otelcol.config_files(parts(folders))
    count = otelcol.validate_files(files, folders[0].parent if folders else Path("."), otelcol.needed_manifest(folders))
    return f"otelcol validate: {count} collector configs OK"


LINTERS: tuple[Linter, ...] = (lint_rule_packs, slo_notes, backends.lint_loki_rules, dashboards.lint_dashboards,
                               lint_collectors, coherence.lint_coherence, runtime.lint_probes)
# Run by `obs build` before the swap: cheap syntax/semantics checks.
BUILD_CHECKS: tuple[ToolCheck, ...] = (promtool_check_rules, backends.check_backend_files, otelcol_validate,
                                       dashboards.promtool_check_dashboards, amtool.check_configs,
                                       rollouts.check_analysis_queries)
# A missing tool fails these even outside CI (`obs build --no-otelcol` skips the collector check instead):
# a wrong key in a collector config must not build with exit 0.
REQUIRED_CHECKS: tuple[ToolCheck, ...] = (otelcol_validate,)
# Run by `obs validate` and `obs test` in addition: unit tests and heavier checks.
TEST_CHECKS: tuple[ToolCheck, ...] = (promtool_test_rules, backends.check_python_instrumentation, amtool.check_routes)
