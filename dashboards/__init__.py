"""The reference bundle's Grafana dashboards (Python, built with obs.grafana over grafanalib)."""
from __future__ import annotations

from dataclasses import dataclass

from obs import Environment
from obs.grafana import Dashboard

from dashboards import collector, kubernetes_workloads, service_overview, slo


@dataclass(frozen=True)
class ReferenceDashboards:
    """The reference dashboards of one environment; rule packs link their alerts to them."""

    service_overview: Dashboard
    workloads: Dashboard
    collector: Dashboard
    slo: Dashboard

    def all(self) -> list[Dashboard]:
        return [self.service_overview, self.workloads, self.collector, self.slo]


def build(env: Environment, bundle: str) -> ReferenceDashboards:
    """Every reference dashboard for `env`; `bundle` (the bundle's name) goes into their uids."""
    return ReferenceDashboards(
        service_overview=service_overview.dashboard(env, bundle),
        workloads=kubernetes_workloads.dashboard(env, bundle),
        collector=collector.dashboard(env, bundle),
        slo=slo.dashboard(env, bundle),
    )
