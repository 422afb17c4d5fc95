"""The reference bundle's dashboards: the library's standard set (obs.dashboards)."""
from obs.dashboards import StandardDashboards, standard_dashboards

__all__ = ["StandardDashboards", "standard_dashboards"]
