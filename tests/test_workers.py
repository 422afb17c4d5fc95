"""Environments rendered side by side in forked workers (obs.workers) give the same files and
the same errors as one after the other; rendered files are held compressed (obs.files)."""
from __future__ import annotations

import pickle
import zlib
from pathlib import Path

import pytest

from bench.synthetic import synthetic_bundle
from obs import Bundle, Definitions, Environment
from obs.errors import DefinitionError, ObsError
from obs.files import Files
from obs import pipeline
from obs.pipeline import render
from obs.workers import run_beside, run_each


def test_parallel_render_gives_the_same_files_and_findings_as_sequential():
    bundle = synthetic_bundle(3)
    one, two = render(bundle, jobs=1), render(bundle, jobs=2)
    assert [r.env.name for r in two] == [e.name for e in bundle.environments]
    for a, b in zip(one, two, strict=True):
        assert a.env is b.env  # the parent's own environment objects, not copies
        assert dict(a.files.items()) == dict(b.files.items()) and a.issues == b.issues


def test_one_environment_lints_beside_its_rendering_with_the_same_result(monkeypatch):
    """With more jobs than environments, the linters run in a forked process beside the
    renderers: the same files and findings (a lint error included) as one after the other."""
    from obs import AlertRule, RuleGroup, RulePack
    typo = AlertRule("Typo", 'max by (cluster) (no_such_metric{job="x"}) == 0', "warning", "down", "{{ $labels.job }}")
    environments = (Environment("prod", cluster="prod-1"),)
    base = synthetic_bundle(2, environments)

    def define(env: Environment) -> Definitions:
        defs = base.definitions(env)
        return Definitions(rule_packs=[*defs.rule_packs, RulePack("extra", [RuleGroup("g", [typo])])],
                           slos=defs.slos, dashboards=defs.dashboards, sources=defs.sources)
    bundle = Bundle(base.name, list(environments), define)
    monkeypatch.setattr(pipeline, "PARALLEL_LINT_RULES", 1)  # a small bundle, forked anyway
    (one,), (two,) = render(bundle, jobs=1), render(bundle, jobs=2)
    assert dict(one.files.items()) == dict(two.files.items()) and one.issues == two.issues
    assert {(i.level, i.definition, i.check) for i in two.issues} >= {
        ("error", "alert 'Typo'", "coherence"), ("warning", "alert 'Typo'", "unit-tests")}


def test_environments_in_workers_lint_beside_their_rendering_with_the_same_result(monkeypatch):
    """More jobs than environments: each worker forks its own linter (a worker may have children)."""
    bundle = synthetic_bundle(2)
    monkeypatch.setattr(pipeline, "PARALLEL_LINT_RULES", 1)
    one, four = render(bundle, jobs=1), render(bundle, jobs=4)
    for a, b in zip(one, four, strict=True):
        assert dict(a.files.items()) == dict(b.files.items()) and a.issues == b.issues


def failing_bundle(error: Exception) -> Bundle:
    def define(env: Environment) -> Definitions:
        if env.name == "prod":
            raise error
        return Definitions()
    return Bundle("t", [Environment("staging", cluster="s-1"), Environment("prod", cluster="p-1")], define)


def test_a_definition_error_in_a_worker_comes_back_whole():
    error = DefinitionError("SLO shop/availability", "objective", "is 101", "give 0 < objective < 100")
    with pytest.raises(DefinitionError) as caught:
        render(failing_bundle(error), jobs=2)
    assert (caught.value.definition, caught.value.field, caught.value.fix) == \
        ("SLO shop/availability", "objective", "give 0 < objective < 100")
    assert str(caught.value) == str(error)


def test_a_team_exception_in_a_worker_is_one_line_pointing_at_the_team_code():
    with pytest.raises(ObsError, match=r"ZeroDivisionError: boom at .*test_workers\.py:\d+"):
        render(failing_bundle(ZeroDivisionError("boom")), jobs=2)


def test_run_each_keeps_order_and_runs_inline_for_one_job():
    assert run_each(lambda n: n * n, [1, 2, 3], jobs=2) == [1, 4, 9]
    seen = []
    assert run_each(seen.append, [1, 2], jobs=1) == [None, None] and seen == [1, 2]


def test_run_beside_runs_one_task_in_a_fork_and_keeps_the_other_here():
    import os
    import signal

    def invalid() -> None:
        raise DefinitionError("SLO x", "objective", "is 101", "give less")

    here_pid, there = run_beside(os.getpid, os.getpid, "the side task")
    assert here_pid == os.getpid() != there
    with pytest.raises(DefinitionError, match="is 101"):
        run_beside(lambda: None, invalid, "the side task")
    with pytest.raises(ObsError, match=r"the side task stopped without an answer \(exit code -9"):
        run_beside(lambda: None, lambda: os.kill(os.getpid(), signal.SIGKILL), "the side task")


def test_files_are_a_sorted_read_only_mapping_stored_compressed_past_a_budget():
    big = b"groups: []\n" * 1000
    for budget in (0, len(big), 2 * len(big)):  # the second big file is past a budget of one
        files = Files({"c.yaml": big, "b.yaml": big, "a.yaml": b"x: 1\n"}, raw_budget=budget)
        assert list(files) == ["a.yaml", "b.yaml", "c.yaml"] and files["b.yaml"] == files["c.yaml"] == big
        assert files == {"a.yaml": b"x: 1\n", "b.yaml": big, "c.yaml": big}
        held_raw = budget // len(big)  # big files held as they are; the others compressed
        assert files.stored_bytes == len(b"x: 1\n") + held_raw * len(big) + \
            (2 - held_raw) * len(zlib.compress(big, 1))
        sent = pickle.loads(pickle.dumps(files))  # another process gets them compressed
        assert sent == files and sent.stored_bytes < len(big) / 5


def test_obs_build_writes_the_same_tree_with_one_job_or_two(tmp_path, monkeypatch):
    from obs.cli import main

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    for jobs in ("1", "2"):
        assert main(["--quiet", "build", "--bundle", "bench.synthetic:bundle_10", "--no-validate",
                     "--jobs", jobs, "--out", str(tmp_path / jobs)]) == 0
    one = {p.relative_to(tmp_path / "1"): p.read_bytes() for p in (tmp_path / "1").rglob("*") if p.is_file()}
    two = {p.relative_to(tmp_path / "2"): p.read_bytes() for p in (tmp_path / "2").rglob("*") if p.is_file()}
    assert one and one == two


def test_a_worker_killed_without_an_answer_is_an_error_naming_the_environment():
    import os
    import signal

    def define(env: Environment) -> Definitions:
        if env.name == "prod":
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
        return Definitions()
    bundle = Bundle("t", [Environment("staging", cluster="s-1"), Environment("prod", cluster="p-1")], define)
    with pytest.raises(ObsError, match=r"environment 'prod' stopped without an answer \(exit code -9"):
        render(bundle, jobs=2)
