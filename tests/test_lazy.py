"""Import on use (obs.lazy): the renderer and linter tables skip a component's module when an
environment lacks the component, which must never change what is rendered or reported; packages
re-export their names lazily, which must resolve every name they list; and an SLO-only build
imports none of the components' modules (the start-up that `make bench` compares with Sloth)."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from bench.synthetic import synthetic_bundle, write_sloth_specs
from obs.lazy import When
from obs.model.bundle import Bundle, Definitions
from obs.render import RENDERERS
from obs.render.base import RenderContext
from obs.validate import LINTERS
from tests.support import REPO

GUARDED = [entry for entry in (*RENDERERS, *LINTERS) if isinstance(entry, When)]


def without_components(defs: Definitions) -> Definitions:
    """`defs` with every optional component taken away: what each guard must read as absent."""
    return replace(defs, tempo=None, loki=None, jaeger=None, mesh=None, alertmanager=None, collectors=(),
                   instrumentation=(), services=(), dashboards=())


def produced(entry: object) -> list[str]:
    """What a renderer or linter yields, comparable: (path, bytes) of files, the text of findings."""
    return [repr((item.path, item.to_bytes())) if hasattr(item, "to_bytes") else str(item) for item in entry]  # type: ignore[attr-defined]


def contexts(bundle: Bundle) -> list[RenderContext]:
    found = []
    for env in bundle.environments:
        defs = bundle.definitions(env)
        found += [RenderContext(bundle, env, defs), RenderContext(bundle, env, without_components(defs))]
    return found


def test_the_tables_guard_the_components_they_should():
    assert len(GUARDED) >= 10


@pytest.mark.parametrize("which", ["reference", "synthetic"])
def test_a_guarded_entry_yields_what_its_function_yields(which, reference_bundle):
    """With or without the component, the table's entry and the function it loads agree: in
    particular an environment without it gets nothing from the function either."""
    bundle = reference_bundle if which == "reference" else synthetic_bundle(3)
    absent = present = 0
    for ctx in contexts(bundle):
        for entry in GUARDED:
            assert produced(entry(ctx)) == produced(entry.load()(ctx)), (entry.load.__name__, ctx.env.name)
            absent += not entry.present(ctx)
            present += bool(entry.present(ctx)) and bool(produced(entry(ctx)))
    assert absent >= len(GUARDED)  # every guard was read as absent at least once
    assert present >= 5 or which == "synthetic"  # the reference bundle has the components: guards let them render


@pytest.mark.parametrize("package", ["obs.alertmanager", "obs.backends", "obs.catalog", "obs.collector", "obs.grafana",
                                     "obs.instrumentation", "obs.mesh", "obs.tools"])
def test_every_lazily_exported_name_resolves(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        assert value is not None and name in dir(module), f"{package}.{name}"
    with pytest.raises(AttributeError, match=f"module '{package}' has no attribute 'no_such_name'"):
        module.no_such_name  # noqa: B018


COMPONENTS = ("obs.alertmanager.config", "obs.backends.jaeger", "obs.backends.loki", "obs.backends.tempo",
              "obs.collector.model", "obs.collector.kubernetes", "obs.grafana.dashboard", "obs.instrumentation.model",
              "obs.mesh.istio", "obs.topologies.agent", "obs.validate.amtool", "obs.validate.otelcol",
              "obs.validate.promtool")


def test_an_slo_only_build_imports_no_component_module(tmp_path):
    write_sloth_specs(2, tmp_path / "specs")
    run = (f"import sys; from obs.cli import main; main(['--quiet', 'build', '--bundle', 'bench.sloth_specs:bundle', "
           f"'--no-validate', '--out', {str(tmp_path / 'out')!r}]); "
           f"print(sorted(m for m in {COMPONENTS!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", run], cwd=REPO, capture_output=True, text=True, check=True,
                            env={**os.environ, "OBS_BENCH_SLOTH_DIR": str(tmp_path / "specs")})
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "out" / "prod" / "prometheus" / "rules" / "slo-svc0001.yaml").is_file()


def test_a_build_with_every_component_still_imports_them(tmp_path):
    """The control: the reference bundle has them all, so the guards let them load."""
    run = (f"import sys; from obs.cli import main; main(['--quiet', 'build', '--no-validate', '--env', 'prod', "
           f"'--out', {str(tmp_path / 'out')!r}]); print(sorted(m for m in {COMPONENTS[:9]!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", run], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == repr(sorted(COMPONENTS[:9]))
