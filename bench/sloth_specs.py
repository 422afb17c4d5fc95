"""The SLOs of the Sloth specs in $OBS_BENCH_SLOTH_DIR, imported (obs.slo.formats), and nothing else:
what `make bench` builds beside `sloth generate` of the same specs.

    obs build --bundle bench.sloth_specs:bundle --no-validate      # environment `prod`

Apart from bench.synthetic (which builds dashboards too) so that this module imports what a team's
SLO-only bundle would, and the comparison with Sloth counts obs's start-up, not the benchmark's.
"""
from __future__ import annotations

import os
from pathlib import Path

from obs import Bundle, Definitions, Environment

BUNDLE_NAME = "synthetic"
PROD = Environment("prod", cluster="prod-eu1")


def sloth_bundle(folder: Path, environments: tuple[Environment, ...] = (PROD,)) -> Bundle:
    """The SLOs of every Sloth spec in `folder`, imported (obs.slo.sloth), and nothing else."""
    from obs.slo.formats import load_sloth

    def define(env: Environment) -> Definitions:
        return Definitions(slos=[slo for path in sorted(folder.glob("*.yaml")) for slo in load_sloth(path)])
    return Bundle(name=BUNDLE_NAME, environments=environments, define=define)


bundle = sloth_bundle(Path(os.environ.get("OBS_BENCH_SLOTH_DIR", "sloth-specs")))
