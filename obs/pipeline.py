"""The whole flow for library users and the CLI: render, lint, check with tools, write."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from obs.errors import ToolMissingError, ValidationError
from obs.model.bundle import Bundle
from obs.model.environment import Environment
from obs.output import (
    Orphan, copy_for_reading, describe_folder, drift, foreign_files, orphans, prune_tree, vacated_folders, write_plain_files,
    write_tree,
)
from obs.files import RAW_BUDGET
from obs.render import (
    RenderContext, Share, add_files, finish_environment, render_environment, render_files, render_share,
)
from obs.tools.env import in_ci
from obs.validate import BUILD_CHECKS, LINTERS, REQUIRED_CHECKS, TEST_CHECKS, ToolCheck, otelcol_validate
from obs.validate.lint import LintIssue
from obs.validate.suppress import apply_suppressions
from obs.workers import default_jobs, run_beside, run_each


@dataclass(frozen=True)
class Rendered:
    """One environment's files (path -> bytes, held compressed past a budget: obs.files) and lint findings."""

    env: Environment
    files: Mapping[str, bytes]
    issues: tuple[LintIssue, ...]
    extra_resources: tuple[str, ...] = ()  # the definitions' extra kustomization resources

    @property
    def errors(self) -> list[LintIssue]:
        return [i for i in self.issues if i.level == "error"]


def select_environments(bundle: Bundle, names: Sequence[str] | None) -> list[Environment]:
    return [bundle.environment(n) for n in names] if names else list(bundle.environments)


def _lint(ctx: RenderContext) -> tuple[LintIssue, ...]:
    return apply_suppressions(ctx, (issue for linter in LINTERS for issue in linter(ctx)))


# Rules from which an environment lints in a forked process beside its rendering (given a spare
# core): below (~30 services of SLOs), the fork costs about what it saves.
PARALLEL_LINT_RULES = 1_000
# The share of the divisible renderers' files (the rule packs' unit tests) rendered beside the
# linters: the linters take about half of what the renderers take, so each side gets about as much.
BESIDE, HERE = Share(1, 2), Share(0, 2)


def render_one(bundle: Bundle, env: Environment, jobs: int = 1, raw_budget: int = RAW_BUDGET) -> Rendered:
    """Render and lint one environment (the definitions' suppressions applied; files held
    compressed past `raw_budget` bytes). With `jobs` above 1 and at least PARALLEL_LINT_RULES
    rules, the linters run in a forked process beside the renderers, once the definitions and
    their rule packs (which both read) are built, and render half of the unit tests there too
    (sent back as bytes); the result is the same."""
    ctx = RenderContext(bundle=bundle, env=env, defs=bundle.definitions(env))
    if jobs > 1 and sum(len(g.rules) for p in ctx.defs.all_rule_packs() for g in p.groups) >= PARALLEL_LINT_RULES:
        files, (issues, theirs) = run_beside(lambda: render_files(ctx, HERE, raw_budget),
                                             lambda: (_lint(ctx), render_share(ctx, BESIDE)),
                                             f"environment {env.name!r}: lint and unit tests")
        add_files(env, files, theirs.items())
        rendered = finish_environment(ctx, files)
    else:
        rendered, issues = render_environment(bundle, env, ctx, raw_budget=raw_budget), _lint(ctx)
    return Rendered(env, rendered, issues, tuple(ctx.defs.extra_resources))


def render(bundle: Bundle, env_names: Sequence[str] | None = None, jobs: int | None = 1) -> list[Rendered]:
    """Render and lint the chosen environments (all by default); nothing is written. With `jobs`
    above 1 (None: one per core, $OBS_JOBS), environments render side by side in forked worker
    processes (obs.workers), and cores left over (more jobs than environments) lint each
    environment beside its rendering; the result is the same."""
    envs = select_environments(bundle, env_names)
    jobs = default_jobs() if jobs is None else jobs
    spare = max(1, jobs // max(1, len(envs)))
    # This process holds every environment's files: RAW_BUDGET bytes of them uncompressed in all. Files
    # rendered in worker processes travel compressed: there they are compressed as they come.
    raw_budget = 0 if jobs > 1 and len(envs) > 1 else RAW_BUDGET // max(1, len(envs))

    def work(env: Environment) -> tuple[Mapping[str, bytes], tuple[LintIssue, ...], tuple[str, ...]]:
        result = render_one(bundle, env, spare, raw_budget)  # a worker sends back all but the environment
        return result.files, result.issues, result.extra_resources
    parts = run_each(work, envs, jobs, names=[f"environment {env.name!r}" for env in envs])
    return [Rendered(env, *found) for env, found in zip(envs, parts, strict=True)]


def raise_on_lint_errors(results: Sequence[Rendered]) -> None:
    errors = [f"{r.env.name}: {issue}" for r in results for issue in r.errors]
    if errors:
        raise ValidationError("lint failed:\n" + "\n".join(errors))


def run_tool_checks(checks: Sequence[ToolCheck], folders: Sequence[Path], otelcol: bool = True) -> list[str]:
    """Run tool checks (`otelcol validate` only if `otelcol`). A missing tool fails in CI (obs.tools.in_ci) and for
    REQUIRED_CHECKS; elsewhere it is a loud skip."""
    report = []
    for check in checks:
        if check is otelcol_validate and not otelcol:
            report.append("SKIPPED otelcol validate: collector configs not validated (--no-otelcol)")
            continue
        try:
            report.append(check(folders))
        except ToolMissingError as exc:
            if in_ci() or check in REQUIRED_CHECKS:
                raise
            message = f"SKIPPED {check.__name__}: {exc}"
            print(f"obs: warning: {message}", file=sys.stderr)
            report.append(message)
    return report


def write_plain(results: Sequence[Rendered], root: Path) -> list[Path]:
    """Rendered environments written as plain files under `root/<env>/` (no manifest, no swap): the
    staged copy the tool checks run on, and what tests read. Returns the folders."""
    folders = []
    for result in results:
        folder = root / result.env.name
        write_plain_files(folder, result.files)
        folders.append(folder)
    return folders


def validate(results: Sequence[Rendered], full: bool = True, otelcol: bool = True) -> list[str]:
    """Lint errors fail; then the tool checks run on a staged copy (unit tests too when `full`;
    collector configs unless not `otelcol`)."""
    raise_on_lint_errors(results)
    checks = BUILD_CHECKS + (TEST_CHECKS if full else ())
    import tempfile  # validating only (obs.lazy)
    with tempfile.TemporaryDirectory(prefix="obs-validate-") as tmp:
        return run_tool_checks(checks, write_plain(results, Path(tmp)), otelcol)


def build(bundle: Bundle, out: Path, env_names: Sequence[str] | None = None,
          check_with_tools: bool = True, otelcol: bool = True, jobs: int | None = 1,
          prune: bool = False) -> tuple[list[Rendered], list[str]]:
    """Render (`jobs`: see `render`), validate (collector configs too unless not `otelcol`), then
    write each environment to out/<env> atomically. Folders obs wrote that no environment
    produces now are reported, and with `prune` emptied of obs's files (`prune_orphans`)."""
    results = render(bundle, env_names, jobs)
    report = validate(results, full=False, otelcol=otelcol) if check_with_tools else []
    if not check_with_tools:
        raise_on_lint_errors(results)
    report += write(results, out, default_jobs() if jobs is None else jobs)
    if prune:
        report += prune_orphans(bundle, out)
    else:
        report += [f"warning: {orphan}" for orphan in find_orphans(bundle, out)]
    return results, report


def write(results: Sequence[Rendered], out: Path, jobs: int = 1) -> list[str]:
    """Write each environment to out/<env> atomically (a large one by two processes with `jobs`
    above 1, obs.output); report extra resources not there yet and folders obs emptied but had to
    keep for files it did not write."""
    report = []
    for result in results:
        target = out / result.env.name
        vacated = vacated_folders(target, result.files)
        write_tree(target, result.files, jobs)
        report += [f"warning: {result.env.name}: extra resource {extra!r} is not in {target} yet; "
                   "kustomize fails until you add it" for extra in result.extra_resources
                   if not (target / extra).exists()]
        report += [f"kept {target / folder}/: obs pruned its files from the {describe_folder(folder)} but these "
                   f"are not obs's: {', '.join(kept)}" for folder in vacated
                   if (kept := [f for f in foreign_files(target) if f.startswith(folder + "/")])]
    return report


def find_orphans(bundle: Bundle, out: Path) -> list[Orphan]:
    """Folders under `out` that obs wrote and no environment of the bundle produces now (whichever
    environments a command selected: the folder is out of date either way)."""
    return orphans(out, [env.name for env in bundle.environments])


def prune_orphans(bundle: Bundle, out: Path) -> list[str]:
    """Remove obs's files (only those its manifest lists) from every orphaned folder; a folder
    left holding files obs did not write stays and is reported."""
    report = []
    for orphan in find_orphans(bundle, out):
        kept = prune_tree(orphan.path)
        if kept:
            report.append(f"pruned {orphan.files} files from {orphan.path}; kept the folder, it holds files obs "
                          f"did not write: {', '.join(kept)}")
        else:
            report.append(f"pruned {orphan.path} ({orphan.files} files obs wrote; no environment "
                          f"{orphan.path.name!r} now)")
    return report


def check(bundle: Bundle, out: Path, env_names: Sequence[str] | None = None,
          jobs: int | None = 1) -> dict[str, list[str]]:
    """Drift per environment between out/<env> and the definitions (empty lists: up to date)."""
    return {r.env.name: drift(out / r.env.name, r.files) for r in render(bundle, env_names, jobs)}


def validate_folders(folders: Sequence[Path], full: bool = True, otelcol: bool = True) -> list[str]:
    """Tool checks on folders already written (e.g. a checked-out GitOps repo). The tools read a
    copy of the folders' regular files: obs never follows a symlink it did not create."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="obs-validate-") as tmp:
        staged, report = [], []
        for folder in folders:
            staged.append(Path(tmp) / folder.name)
            report += [f"{folder}: skipped symlink {link} (obs does not follow links)"
                       for link in copy_for_reading(folder, staged[-1])]
        return report + run_tool_checks(BUILD_CHECKS + (TEST_CHECKS if full else ()), staged, otelcol)
