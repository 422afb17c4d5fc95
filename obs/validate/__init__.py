"""Validators: tier-1 lint on the model, tier-2 real tools on written folders."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Sequence

from obs.lazy import When, deferred
from obs.render.base import RenderContext
from obs.render.layout import parts
from obs.render.prometheus import placement
from obs.validate import coherence, lint
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
    if not ctx.defs.collectors:
        return
    from obs.collector.safety import safety_findings  # with collectors only (obs.lazy)
    for collector in ctx.defs.collectors:
        for level, definition, check, message in safety_findings(collector):
            yield LintIssue(level, definition, check, message)


def promtool_check_rules(folders: Sequence[Path]) -> str:
    from obs.validate import promtool
    files = [f for folder in parts(folders) for f in (folder / "prometheus" / "rules").glob("*.yaml")]
    count = promtool.check_rules(files, folders[0].parent if folders else Path("."))
    return f"promtool check rules: {count} files OK"


def promtool_test_rules(folders: Sequence[Path]) -> str:
    from obs.validate import promtool
    files = [f for folder in parts(folders) for f in (folder / "prometheus" / "tests").glob("*.yaml")]
    count = promtool.test_rules(files, folders[0].parent if folders else Path("."))
    return f"promtool test rules: {count} files OK"


def otelcol_validate(folders: Sequence[Path]) -> str:
    from obs.validate import otelcol
    files = otelcol.config_files(parts(folders))
    count = otelcol.validate_files(files, folders[0].parent if folders else Path("."), otelcol.needed_manifest(folders))
    return f"otelcol validate: {count} collector configs OK"


def _loki_rules() -> Linter:
    from obs.validate import backends
    return backends.lint_loki_rules


def _dashboards() -> Linter:
    from obs.validate import dashboards
    return dashboards.lint_dashboards


def _probes() -> Linter:
    from obs.validate import runtime
    return runtime.lint_probes


def _backend_files() -> ToolCheck:
    from obs.validate import backends
    return backends.check_backend_files


def _jaeger_configs() -> ToolCheck:
    from obs.validate import jaeger
    return jaeger.check_configs


def _dashboard_queries() -> ToolCheck:
    from obs.validate import dashboards
    return dashboards.promtool_check_dashboards


def _alertmanager_configs() -> ToolCheck:
    from obs.validate import amtool
    return amtool.check_configs


def _analysis_queries() -> ToolCheck:
    from obs.validate import rollouts
    return rollouts.check_analysis_queries


def _python_instrumentation() -> ToolCheck:
    from obs.validate import backends
    return backends.check_python_instrumentation


def _alertmanager_routes() -> ToolCheck:
    from obs.validate import amtool
    return amtool.check_routes


# Each linter's and check's module is imported when it first runs (obs.lazy): a build without
# validation loads none of the tools' modules, an environment without Loki none of Loki's.
LINTERS: tuple[Linter, ...] = (lint_rule_packs, slo_notes,
                               When(lambda ctx: ctx.defs.loki is not None, _loki_rules),
                               When(lambda ctx: ctx.defs.all_dashboards(), _dashboards),
                               lint_collectors,
                               coherence.lint_coherence,
                               When(lambda ctx: ctx.defs.collectors, _probes))
# Run by `obs build` before the swap: cheap syntax/semantics checks.
BUILD_CHECKS: tuple[ToolCheck, ...] = (promtool_check_rules, deferred(_backend_files), otelcol_validate,
                                       deferred(_jaeger_configs), deferred(_dashboard_queries),
                                       deferred(_alertmanager_configs), deferred(_analysis_queries))
# A missing tool fails these even outside CI (`obs build --no-otelcol` skips the collector check instead):
# a wrong key in a collector config must not build with exit 0.
REQUIRED_CHECKS: tuple[ToolCheck, ...] = (otelcol_validate,)
# Run by `obs validate` and `obs test` in addition: unit tests and heavier checks.
TEST_CHECKS: tuple[ToolCheck, ...] = (promtool_test_rules, deferred(_python_instrumentation),
                                      deferred(_alertmanager_routes))
