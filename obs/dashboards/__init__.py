"""Ready-made Grafana dashboards (built with obs.grafana over grafanalib), parameterised by the
environment (cluster label, selectors, URLs) and the bundle's own collectors.

    from obs.dashboards import standard_dashboards
    boards = standard_dashboards(env, bundle="acme", collectors=collectors)
    Definitions(dashboards=boards.all(), ...)

Rule packs link their alerts to these objects (`dashboard=boards.workloads`), so a renamed
dashboard is one edit. Each module (`service_overview`, `kubernetes_workloads`, `collector`,
`slo`) also has its own `dashboard(env, bundle, ...)` to use one alone. `thanos` (the global
store's components) is not one of them: obs adds it to every environment with a global store
(`Definitions.all_dashboards()`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from obs import Environment
from obs.collector import Collector
from obs.grafana import Dashboard

from obs.dashboards import collector, kubernetes_workloads, service_overview, slo


@dataclass(frozen=True)
class StandardDashboards:
    """The four standard dashboards of one environment; rule packs link their alerts to them."""

    service_overview: Dashboard
    workloads: Dashboard
    collector: Dashboard
    slo: Dashboard

    def all(self) -> list[Dashboard]:
        return [self.service_overview, self.workloads, self.collector, self.slo]


def standard_dashboards(env: Environment, bundle: str,
                        collectors: Sequence[Collector] | None = None) -> StandardDashboards:
    """Every standard dashboard for `env`; `bundle` (the bundle's name) goes into their uids, and
    the collector dashboard lists `collectors` (default: the `otel_collector` selector's jobs)."""
    return StandardDashboards(
        service_overview=service_overview.dashboard(env, bundle),
        workloads=kubernetes_workloads.dashboard(env, bundle),
        collector=collector.dashboard(env, bundle, collectors),
        slo=slo.dashboard(env, bundle),
    )


__all__ = ["StandardDashboards", "standard_dashboards", "collector", "kubernetes_workloads",
           "service_overview", "slo"]
