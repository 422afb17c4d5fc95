"""The bundle: environments plus a function that builds the definitions for each environment."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from obs.catalog.source import MetricSource
from obs.errors import DefinitionError
from obs.model.checks import check_items, check_slug, check_unique
from obs.model.paths import check_relative_path
from obs.model.environment import Environment
from obs.model.rules import RulePack
from obs.model.service import Service
from obs.model.slo import SLO
from obs.model.team import Owners, Team, stamp
from obs.labels import TEAM


if TYPE_CHECKING:
    # obs.collector and obs.alertmanager import obs.model: no runtime import here. The components'
    # classes are imported by the checks below only when a definition has one (obs.lazy says why).
    from obs.alertmanager.config import Alertmanager
    from obs.backends.jaeger import Jaeger
    from obs.backends.loki import Loki
    from obs.backends.tempo import Tempo
    from obs.collector.model import Collector
    from obs.grafana.dashboard import Dashboard
    from obs.instrumentation.model import Instrumentation
    from obs.mesh.istio import MeshTelemetry


@dataclass(frozen=True)
class Definitions:
    """Everything a bundle defines for one environment."""

    rule_packs: Sequence[RulePack] = ()
    slos: Sequence[SLO] = ()
    dashboards: Sequence["Dashboard"] = ()
    collectors: Sequence["Collector"] = ()
    tempo: "Tempo | None" = None
    loki: "Loki | None" = None
    # Jaeger v2 beside (or instead of) Tempo: the gateway topology exports traces to both.
    jaeger: "Jaeger | None" = None
    mesh: "MeshTelemetry | None" = None
    instrumentation: Sequence["Instrumentation"] = ()
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
    # Who owns what (obs.model.team): with teams, every alert carries `team` and `platform_team`
    # (one of the teams) owns whatever no other team owns.
    teams: Sequence[Team] = ()
    platform_team: str | None = None
    # Set by Bundle.definitions(): SLO rules need the environment's cluster label and name, and the
    # dashboards obs adds (the Thanos dashboard) the bundle's name for their uid.
    environment: Environment | None = field(default=None, compare=False, repr=False)
    bundle_name: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("rule_packs", "slos", "dashboards", "collectors", "instrumentation", "extra_resources",
                     "services"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for path in self.extra_resources:
            check_relative_path("definitions", "extra_resources", path)
        check_unique("definitions", "extra_resources", self.extra_resources, "extra resource")
        check_items("definitions", "rule_packs", self.rule_packs, RulePack)
        check_unique("definitions", "rule_packs", (p.name for p in self.rule_packs), "rule pack")
        self._check_components()
        if self.sources is not None:
            object.__setattr__(self, "sources", tuple(self.sources))
            check_items("definitions", "sources", self.sources, MetricSource)
            check_unique("definitions", "sources", (s.name for s in self.sources), "metric source")
        check_unique("definitions", "instrumentation", (i.name for i in self.instrumentation), "instrumentation")
        check_unique("definitions", "dashboards", (d.name for d in self.dashboards), "dashboard")
        self._check_delivery()
        object.__setattr__(self, "teams", tuple(self.teams))
        if self.teams and self.platform_team is None:
            raise DefinitionError("definitions", "platform_team", "is not set, but teams are given",
                                  "name the team that owns whatever no other team owns, e.g. platform_team='platform'")
        if self.platform_team is not None and not self.teams:
            raise DefinitionError("definitions", "teams", "is empty, but platform_team is set",
                                  f"define Team({self.platform_team!r}, ...) and the other teams")
        if self.owners is not None and self.loki is not None:  # log alerts: the platform team's unless labelled
            platform = self.owners.platform.name
            packs = [replace(p, groups=stamp(RulePack(p.name, p.groups), platform).groups)
                     for p in self.loki.rule_packs]
            object.__setattr__(self, "loki", replace(self.loki, rule_packs=packs))

    @cached_property
    def owners(self) -> Owners | None:
        """Who owns what (None without teams): the one answer rule labels, routing and `obs list` use."""
        return Owners(self.teams, self.platform_team) if self.teams and self.platform_team else None

    def _check_components(self) -> None:
        """Each optional component is of its class; a class is imported only when it is given."""
        if self.tempo is not None:
            from obs.backends.tempo import Tempo
            check_items("definitions", "tempo", [self.tempo], Tempo, "build it with obs.backends.Tempo(...)")
        if self.loki is not None:
            from obs.backends.loki import Loki
            check_items("definitions", "loki", [self.loki], Loki, "build it with obs.backends.Loki(...)")
        if self.jaeger is not None:
            from obs.backends.jaeger import Jaeger
            check_items("definitions", "jaeger", [self.jaeger], Jaeger, "build it with obs.backends.Jaeger(...)")
        if self.mesh is not None:
            from obs.mesh.istio import MeshTelemetry
            check_items("definitions", "mesh", [self.mesh], MeshTelemetry, "build it with obs.mesh.MeshTelemetry(...)")
        if self.instrumentation:
            from obs.instrumentation.model import Instrumentation
            check_items("definitions", "instrumentation", self.instrumentation, Instrumentation,
                        "build it with obs.instrumentation.Instrumentation(...)")
        if self.dashboards:
            from obs.grafana.dashboard import Dashboard
            check_items("definitions", "dashboards", self.dashboards, Dashboard,
                        "build dashboards with obs.grafana.Dashboard")

    def _check_delivery(self) -> None:
        if self.alertmanager is not None:
            from obs.alertmanager.config import Alertmanager  # obs.alertmanager builds on the model
            check_items("definitions", "alertmanager", [self.alertmanager], Alertmanager,
                        "build it with obs.alertmanager.Alertmanager(...)")
        check_items("definitions", "services", self.services, Service, "build services with obs.model.service.Service")
        check_unique("definitions", "services", (s.job for s in self.services), "service")

    def all_rule_packs(self) -> tuple[RulePack, ...]:
        """The rule packs to render: the hand-written ones plus those generated from SLOs
        (generated once: renderers, lint and the CLI all ask for them)."""
        return self._all_rule_packs

    @cached_property
    def _all_rule_packs(self) -> tuple[RulePack, ...]:
        packs = self._generated_rule_packs()
        return packs if self.owners is None else tuple(self._owned(p) for p in packs)

    def slo_owner(self, slo: SLO) -> str:
        """The team owning an SLO: its `team` label, else its service's owner."""
        assert self.owners is not None
        return slo.alerting.labels.get(TEAM) or slo.labels.get(TEAM) or self.owners.owner_of_service(slo.service).name

    @cached_property
    def _slo_owners(self) -> dict[str, str]:
        """SLO alert name -> owning team."""
        return {f"{slo.alert_stem}{kind}": self.slo_owner(slo) for slo in self.slos for kind in ("Page", "Ticket")}

    def _owner_examples(self, slo: SLO) -> Mapping[str, Sequence[str]]:
        """Real label values of what the SLO's team owns, for its proofs."""
        owners = self.owners
        if owners is None or self.slo_owner(slo) not in {t.name for t in owners.teams}:
            return {}
        return owners.examples(owners.team(self.slo_owner(slo)))

    def _owned(self, pack: RulePack) -> RulePack:
        """`pack` with `team` on every alert: an SLO's owner (its `team` label, else its service's
        owner), else the owner of the alert's static job/namespace, else the platform team."""
        owners = self.owners
        assert owners is not None
        found: dict[str, str] = {}
        for alert in pack.alerts:
            owner = alert.labels.get(TEAM) or self._slo_owners.get(alert.name) or owners.owner_of(alert.labels).name
            if owner not in {t.name for t in owners.teams}:
                raise DefinitionError(alert.definition, f"labels[{TEAM!r}]",
                                      f"names team {owner!r}, which is not defined",
                                      f"use one of {', '.join(t.name for t in owners.teams)} or add the team")
            found[alert.name] = owner
        return stamp(pack, found)

    def _generated_rule_packs(self) -> tuple[RulePack, ...]:
        packs = (*self.rule_packs, *self._self_monitoring_packs())
        if len(packs) > len(self.rule_packs):
            check_unique("definitions", "rule_packs", (p.name for p in packs),
                         "rule pack (with a global store obs adds its own 'thanos-ruler' pack)")
        if not self.slos:
            return packs
        if self.environment is None:
            raise DefinitionError("definitions", "slos", "cannot generate SLO rules without an environment",
                                  "build Definitions through a Bundle, or pass environment=env")
        from obs.slo.rules import slo_rule_packs  # obs.slo builds on the model
        packs = (*packs, *slo_rule_packs(self.slos, self.environment, examples=self._owner_examples))
        check_unique("definitions", "slos", (p.name for p in packs), "rule pack (SLO packs are slo-<service>)")
        return packs

    def _self_monitoring_packs(self) -> tuple[RulePack, ...]:
        """The packs every environment of this kind gets: with a global store, the global ruler's
        self-monitoring (obs.packs.thanos), so the ruler's failures page (docs/fleet.md)."""
        if self.environment is None or self.environment.global_store is None:
            return ()
        from obs.packs.thanos import pack as thanos_ruler_pack  # obs.packs builds on the model
        return (thanos_ruler_pack(self.environment, self._thanos_dashboard),)

    def all_dashboards(self) -> tuple[Dashboard, ...]:
        """The dashboards to render: the bundle's own plus those obs adds to every environment of
        its kind (with a global store, the Thanos dashboard: obs.dashboards.thanos)."""
        return self._all_dashboards

    @cached_property
    def _all_dashboards(self) -> tuple[Dashboard, ...]:
        if self._thanos_dashboard is None:
            return tuple(self.dashboards)
        boards = (*self.dashboards, self._thanos_dashboard)
        check_unique("definitions", "dashboards", (d.name for d in boards),
                     "dashboard (with a global store obs adds its own 'thanos' dashboard)")
        return boards

    @cached_property
    def _thanos_dashboard(self) -> Dashboard | None:
        """The Thanos dashboard (None without a global store), built once: the ruler's alerts link to
        it. Its uid is `<bundle>-thanos` (`obs-thanos` for definitions built outside a Bundle)."""
        if self.environment is None or self.environment.global_store is None:
            return None
        from obs.dashboards.thanos import dashboard  # obs.dashboards builds on the model
        return dashboard(self.environment, self.bundle_name or "obs")


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
            if defs.environment is None or defs.bundle_name is None:
                defs = replace(defs, environment=defs.environment or env, bundle_name=defs.bundle_name or self.name)
            self._cache[env.name] = defs
        return self._cache[env.name]
