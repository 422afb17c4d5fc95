"""Start-up: grafanalib (and attrs) are imported when the first dashboard is built (obs.grafana.lib),
so `obs --help` and a build without dashboards (an SLO-only bundle) do not pay ~0.1 s for them."""
from __future__ import annotations

import os
import subprocess
import sys

from bench.synthetic import write_sloth_specs
from tests.support import REPO

CHECK = "import sys; {run}; print(sorted(m for m in ('grafanalib', 'grafanalib.core', 'attr') if m in sys.modules))"


def modules_after(run: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([sys.executable, "-c", CHECK.format(run=run)], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, check=True)
    return result.stdout.strip().splitlines()[-1]


def test_help_does_not_import_grafanalib():
    assert modules_after("from obs.cli import parser; parser().format_help()") == "[]"


def test_an_slo_only_build_does_not_import_grafanalib(tmp_path):
    write_sloth_specs(3, tmp_path / "specs")
    run = (f"from obs.cli import main; main(['--quiet', 'build', '--bundle', 'bench.sloth_specs:bundle', "
           f"'--no-validate', '--out', {str(tmp_path / 'out')!r}])")
    assert modules_after(run, {"OBS_BENCH_SLOTH_DIR": str(tmp_path / "specs")}) == "[]"
    assert (tmp_path / "out" / "prod" / "prometheus" / "rules" / "slo-svc0000.yaml").is_file()


def test_building_a_dashboard_imports_it():
    run = "from bench.synthetic import ENVIRONMENTS, dashboard; dashboard(ENVIRONMENTS[0], 'svc0000')"
    assert modules_after(run) == "['attr', 'grafanalib', 'grafanalib.core']"
