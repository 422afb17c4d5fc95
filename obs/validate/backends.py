"""Checks for Tempo/Loki configs, LogQL rules and instrumentation files.

Tier 1 lints LogQL rules like Prometheus ones. Tier 2 re-reads what was written: Tempo and Loki
files against the strict models, Loki ruler files against the LogQL checks, and the Python
instrumentation (module compiles; declarative config loads with opentelemetry-configuration).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from obs.backends import loki, tempo
from obs.backends import schema as s
from obs.backends.logql import logql_problems
from obs.errors import ToolMissingError, ValidationError
from obs.render.base import RenderContext
from obs.validate.lint import LintIssue, aggregation_problems, lint_alert
from obs.model.rules import AlertRule

_MODELS = {
    "tempo/tempo.yaml": (tempo.CONFIG_MODEL, tempo.MODEL_VERSION),
    "tempo/overrides.yaml": (tempo.OVERRIDES_MODEL, tempo.MODEL_VERSION),
    "loki/loki.yaml": (loki.CONFIG_MODEL, loki.MODEL_VERSION),
}


def lint_loki_rules(ctx: RenderContext) -> Iterable[LintIssue]:
    """Alert conventions and the cluster label in aggregations, for LogQL rules."""
    if ctx.defs.loki is None:
        return
    for pack in ctx.defs.loki.rule_packs:
        for group in pack.groups:
            for rule in group.rules:
                if isinstance(rule, AlertRule):
                    yield from (i for i in lint_alert(ctx.env, rule) if i.check != "unit-tests")
                else:
                    for problem in aggregation_problems(rule.expr, ctx.env.cluster_label):
                        yield LintIssue("error", rule.definition, "cluster-label", problem)


def _load(path: Path) -> Any:
    with path.open() as handle:
        return yaml.safe_load(handle)


def check_backend_files(folders: Sequence[Path]) -> str:
    """Tempo/Loki configs and Loki ruler files as written, against the models and LogQL checks."""
    count = 0
    for folder in folders:
        for rel, (model, version) in _MODELS.items():
            path = folder / rel
            if path.exists():
                found = s.problems(model, _load(path))
                if found:
                    where, problem, fix = found[0]
                    raise ValidationError(f"{path}: {where}: {problem} (fix: {fix}; {version} model)")
                count += 1
        for path in sorted((folder / "loki" / "rules").glob("*/*.yaml")):
            data = _load(path)
            for group in (data or {}).get("groups", []):
                for rule in group.get("rules", []):
                    problems = logql_problems(str(rule.get("expr", "")))
                    if problems:
                        name = rule.get("alert") or rule.get("record")
                        raise ValidationError(f"{path}: rule {name!r}: {'; '.join(problems)}")
            count += 1
    return f"tempo/loki models and LogQL checks: {count} files OK"


def build_sdk(config: object) -> None:
    """Build (then shut down, unused) every provider a declarative config describes: this resolves
    exporter and sampler plugins, which the JSON schema leaves open for extensions."""
    from opentelemetry.configuration.file import (
        create_logger_provider, create_meter_provider, create_propagator, create_resource, create_tracer_provider,
    )
    resource = create_resource(config.resource)  # type: ignore[attr-defined]
    create_propagator(config.propagator)  # type: ignore[attr-defined]
    for create, section in ((create_tracer_provider, "tracer_provider"), (create_meter_provider, "meter_provider"),
                            (create_logger_provider, "logger_provider")):
        create(getattr(config, section), resource).shutdown()


def check_python_instrumentation(folders: Sequence[Path]) -> str:
    """Every rendered otel_setup.py compiles; every otel-config.yaml loads with the SDK's loader."""
    modules = [m for folder in folders for m in sorted((folder / "instrumentation").glob("**/otel_setup.py"))]
    configs = [c for folder in folders for c in sorted((folder / "instrumentation").glob("**/otel-config.yaml"))]
    if not modules and not configs:
        return "python instrumentation: none"
    for module in modules:
        try:
            compile(module.read_text(), str(module), "exec")
        except SyntaxError as exc:
            raise ValidationError(f"{module}: {exc}") from None
    if configs:
        try:
            from opentelemetry.configuration import load_config_file
        except ImportError as exc:
            raise ToolMissingError(f"opentelemetry-configuration is not installed (fix: pip install "
                                   f"'opentelemetry-configuration'): {exc}") from None
    for config in configs:
        try:
            build_sdk(load_config_file(str(config)))
        except Exception as exc:  # the loader raises several types; all mean "invalid"
            raise ValidationError(f"{config}: {exc}") from None
    return f"python instrumentation: {len(modules) + len(configs)} files OK"


__all__ = ["check_backend_files", "check_python_instrumentation", "lint_loki_rules"]
