"""The bundle: environments plus a function that builds the definitions for each environment."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Sequence

from obs.backends.jaeger import Jaeger
from obs.backends.loki import Loki
from obs.backends.tempo import Tempo
from obs.catalog.source import MetricSource
from obs.errors import DefinitionError
from obs.grafana.dashboard import Dashboard
from obs.model.checks import check_items, check_slug, check_unique
from obs.model.paths import check_relative_path
from obs.instrumentation.model import Instrumentation
from obs.model.environment import Environment
from obs.model.rules import RulePack
from obs.model.service import Service
from obs.model.slo import SLO
from obs.mesh.istio import MeshTelemetry


if TYPE_CHECKING:  # obs.collector imports obs.model: no runtime import here
    from obs.alertmanager.config import Alertmanager
    from obs.collector.model import Collector


@dataclass(frozen=True)
class Definitions:
    """Everything a bundle defines for one environment."""

    rule_packs: Sequence[RulePack] = ()
    slos: Sequence[SLO] = ()
    dashboards: Sequence[Dashboard] = ()
    collectors: Sequence["Collector"] = ()
    tempo: Tempo | None = None
    loki: Loki | None = None
    # Jaeger v2 beside (or instead of) Tempo: the gateway topology exports traces to both.
    jaeger: Jaeger | None = None
    mesh: "MeshTelemetry | None" = None
    instrumentation: Sequence[Instrumentation] = ()
    # Manifests the team keeps in the environment's folder (obs keeps files it did not write), listed in
    # kustomization.yaml after obs's own: paths relative to the folder, e.g. 'kubernetes/sealed-secret.yaml'.
    extra_resources: Sequence[str] = ()
    # Where alerts go (obs.alertmanager), and the services scraped directly or gated as canaries.
    alertmanager: "Alertmanager | None" = None
    services: Sequence[Service] = ()
    # Cluster exporters and other sources of series (None: kube-state-metrics, cAdvisor, kubelet and
    # node_exporter, plus OTel semantic-convention services when no instrumentation is declared:
    # obs.catalog.catalogue.default_sources). Instrumented services, the collectors' pipelines and own
    # telemetry and recording rules are always derived from the definitions.
    sources: Sequence[MetricSource] | None = None
    # Set by Bundle.definitions(): SLO rules need the environment's cluster label and name.
    environment: Environment | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("rule_packs", "slos", "dashboards", "collectors", "instrumentation", "extra_resources",
                     "services"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for path in self.extra_resources:
            check_relative_path("definitions", "extra_resources", path)
        check_unique("definitions", "extra_resources", self.extra_resources, "extra resource")
        check_items("definitions", "rule_packs", self.rule_packs, RulePack)
        check_unique("definitions", "rule_packs", (p.name for p in self.rule_packs), "rule pack")
        for name, kind in (("tempo", Tempo), ("loki", Loki), ("jaeger", Jaeger), ("mesh", MeshTelemetry)):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), kind):
                raise DefinitionError("definitions", name, f"{getattr(self, name)!r} is not a {kind.__name__}")
        check_items("definitions", "instrumentation", self.instrumentation, Instrumentation)
        if self.sources is not None:
            object.__setattr__(self, "sources", tuple(self.sources))
            check_items("definitions", "sources", self.sources, MetricSource)
            check_unique("definitions", "sources", (s.name for s in self.sources), "metric source")
        check_unique("definitions", "instrumentation", (i.name for i in self.instrumentation), "instrumentation")
        for board in self.dashboards:
            if not isinstance(board, Dashboard):
                raise DefinitionError("definitions", "dashboards", f"{board!r} is not an obs.grafana.Dashboard",
                                      "build dashboards with obs.grafana.Dashboard")
        check_unique("definitions", "dashboards", (d.name for d in self.dashboards), "dashboard")
        self._check_delivery()

    def _check_delivery(self) -> None:
        from obs.alertmanager.config import Alertmanager  # obs.alertmanager builds on the model
        if self.alertmanager is not None and not isinstance(self.alertmanager, Alertmanager):
            raise DefinitionError("definitions", "alertmanager", f"{self.alertmanager!r} is not an Alertmanager",
                                  "build it with obs.alertmanager.Alertmanager(...)")
        check_items("definitions", "services", self.services, Service, "build services with obs.model.service.Service")
        check_unique("definitions", "services", (s.job for s in self.services), "service")

    def all_rule_packs(self) -> tuple[RulePack, ...]:
        """The rule packs to render: the hand-written ones plus those generated from SLOs
        (generated once: renderers, lint and the CLI all ask for them)."""
        return self._all_rule_packs

    @cached_property
    def _all_rule_packs(self) -> tuple[RulePack, ...]:
        if not self.slos:
            return tuple(self.rule_packs)
        if self.environment is None:
            raise DefinitionError("definitions", "slos", "cannot generate SLO rules without an environment",
                                  "build Definitions through a Bundle, or pass environment=env")
        from obs.slo.rules import slo_rule_packs  # obs.slo builds on the model
        packs = (*self.rule_packs, *slo_rule_packs(self.slos, self.environment))
        check_unique("definitions", "slos", (p.name for p in packs), "rule pack (SLO packs are slo-<service>)")
        return packs


@dataclass(frozen=True)
class Bundle:
    """A named bundle. `define(env)` returns the Definitions for that environment, so any
    threshold, selector or URL can differ between environments."""

    name: str
    environments: Sequence[Environment]
    define: Callable[[Environment], Definitions]
    _cache: dict[str, Definitions] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        what = f"bundle {self.name!r}"
        check_slug(what, "name", self.name)
        object.__setattr__(self, "environments", tuple(self.environments))
        if not self.environments:
            raise DefinitionError(what, "environments", "is empty", "add at least one Environment")
        check_items(what, "environments", self.environments, Environment)
        check_unique(what, "environments", (e.name for e in self.environments), "environment")
        if not callable(self.define):
            raise DefinitionError(what, "define", "is not callable",
                                  "pass a function taking an Environment and returning Definitions")

    def environment(self, name: str) -> Environment:
        """The environment called `name`."""
        for env in self.environments:
            if env.name == name:
                return env
        raise DefinitionError(f"bundle {self.name!r}", "environments", f"no environment {name!r}",
                              f"choose one of {', '.join(e.name for e in self.environments)}")

    def definitions(self, env: Environment) -> Definitions:
        """The definitions for `env` (built once, then cached); unknown overrides are an error."""
        if env.name not in self._cache:
            defs = self.define(env)
            if not isinstance(defs, Definitions):
                raise DefinitionError(f"bundle {self.name!r}", "define",
                                      f"returned {type(defs).__name__}", "return obs.Definitions(...)")
            if defs.environment is None:
                defs = replace(defs, environment=env)
            self._cache[env.name] = defs
        return self._cache[env.name]
