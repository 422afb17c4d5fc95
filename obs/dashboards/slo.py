"""SLOs: objective, error budget remaining, burn rates per alert window and alert state, built on
the SLO metadata rules obs generates (`slo:*` series with `slo_service` and `slo_name` labels)."""
from __future__ import annotations

from obs import Environment
from obs.labels import SLO_NAME, SLO_SERVICE
from obs.grafana import Dashboard, Query, Row, stat, table, timeseries, variables
from obs.model.checks import duration_seconds
from obs.model.slo import BASE_WINDOW, PAGE_WINDOWS, TICKET_WINDOWS, window_name

SLO = f'{SLO_SERVICE}=~"$service", {SLO_NAME}=~"$slo"'
BY_SLO = f"by ({SLO_SERVICE}, {SLO_NAME})"


def windows() -> list[str]:
    """Every window the default burn-rate alerts use, as the SLI rule names spell them, shortest first."""
    found = {BASE_WINDOW} | {w for bw in (*PAGE_WINDOWS, *TICKET_WINDOWS) for w in (bw.long, bw.short)}
    return sorted({window_name(w) for w in found}, key=duration_seconds)


def _s(env: Environment, metric: str) -> str:
    return f'{metric}{{{env.cluster_label}=~"$cluster", {SLO}}}'


def dashboard(env: Environment, bundle: str) -> Dashboard:
    """One dashboard for every SLO: pick services and SLOs with the variables."""
    objective = "slo:objective:ratio"
    service = variables.label_values("service", f'{objective}{{{env.cluster_label}=~"$cluster"}}', SLO_SERVICE,
                                     "Service")
    slo = variables.label_values("slo", f'{objective}{{{env.cluster_label}=~"$cluster", {SLO_SERVICE}=~"$service"}}',
                                 SLO_NAME, "SLO")
    legend = f"{{{{{SLO_SERVICE}}}}}/{{{{{SLO_NAME}}}}}"
    budget = _s(env, "slo:error_budget:ratio")
    burn = [Query(f"max {BY_SLO} ({_s(env, 'slo:sli_error:ratio_rate' + w)})\n/ on ({SLO_SERVICE}, {SLO_NAME}) "
                  f"group_left max {BY_SLO} ({budget})", legend=f"{legend} {w}") for w in windows()]
    return Dashboard(
        name="slo", title="SLOs", bundle=bundle,
        description="Service level objectives: objective, error budget left in the period, burn rate per "
                    "alert window, and which burn-rate alerts fire.",
        tags=["slo"],
        variables=[variables.datasource(), variables.cluster(env, objective), service, slo],  # SLO series have no namespace
        panels=[
            Row("Budget", [
                stat("Objective", f"min({_s(env, objective)})", unit="percentunit", decimals=3, width=6,
                     base="blue",
                     description="The lowest objective among the selected SLOs: the share of good events they "
                                 "promise."),
                stat("Error budget remaining (period)",
                     f"min({_s(env, 'slo:period_error_budget_remaining:ratio')})", unit="percentunit",
                     decimals=1, width=6, base="red", thresholds=[(0.25, "orange"), (0.5, "green")],
                     description="The least error budget left over the period among the selected SLOs: 100% "
                                 "untouched, 0% spent, below 0 overspent."),
                stat("Current burn rate", f"max({_s(env, 'slo:current_burn_rate:ratio')})", unit="none",
                     decimals=2, width=6, thresholds=[(1, "orange"), (6, "red")],
                     description="The highest current burn rate: how many times faster than sustainable the budget "
                                 "is spent (1 uses it up exactly at the period's end). Orange from 1, red from 6."),
                stat("Period burn rate", f"max({_s(env, 'slo:period_burn_rate:ratio')})", unit="none",
                     decimals=2, width=6, thresholds=[(1, "red")],
                     description="The highest burn rate over the whole period; above 1 the objective is being "
                                 "missed."),
                timeseries("Error budget remaining",
                           Query(f"max {BY_SLO} ({_s(env, 'slo:period_error_budget_remaining:ratio')})",
                                 legend=legend), unit="percentunit",
                                 description="Error budget left over the period, per SLO."),
                table("SLO periods",
                      Query(f"max {BY_SLO} ({_s(env, 'slo:time_period:days')})", instant=True, format="table"),
                      unit="d", description="The period of each SLO, in days."),
            ]),
            Row("Burn rates", [
                timeseries("Burn rate per window", *burn, unit="none", width=24, height=10,
                           thresholds=[(1, "orange"), (6, "red"), (14.4, "dark-red")],
                           description="Burn rate of each SLO over every alert window; a page or ticket alert fires "
                                       "when both windows of its pair pass its factor (lines at 1, 6 and 14.4)."),
            ]),
            Row("Alerts", [
                table("Firing SLO alerts",
                      Query(f'max by (alertname, slo_service, slo_name, severity, alertstate) '
                            f'(ALERTS{{{env.cluster_label}=~"$cluster", {SLO}}})', instant=True, format="table"),
                            unit="none", description="SLO burn-rate alerts pending or firing now, per SLO and "
                                                     "severity; 1 per alert."),
                timeseries("Burn-rate alerts over time",
                           Query(f'count by (alertname, alertstate) (ALERTS{{{env.cluster_label}=~"$cluster", {SLO}}})',
                                 legend="{{alertname}} {{alertstate}}"), unit="none", draw_style="bars",
                                 description="Number of SLO burn-rate alerts pending or firing, by alert and state."),
            ]),
        ],
    )
