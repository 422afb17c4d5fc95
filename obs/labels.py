"""The label names obs's rules, alerts, routing and dashboards share, written once: a rename is one
edit, and a module cannot spell a label another module reads differently."""
from __future__ import annotations

# The identity of an SLO's series and alerts (obs.slo.series.identity).
SLO_SERVICE = "slo_service"
SLO_NAME = "slo_name"
# Which of an SLO's alerts fired: "page" or "ticket" (routing and inhibitions read it).
SLO_SEVERITY = "slo_severity"
# The windows a burn-rate alert compared (set on the alert by label_replace).
LONG_WINDOW = "long_window"
SHORT_WINDOW = "short_window"
# Sloth's labels, written with SLO.sloth_labels so Sloth's dashboards read obs's rules.
SLOTH_ID = "sloth_id"
SLOTH_SERVICE = "sloth_service"
SLOTH_SLO = "sloth_slo"
SLOTH_WINDOW = "sloth_window"
SLOTH_SEVERITY = "sloth_severity"
# Every alert's severity (Alertmanager routes on it).
SEVERITY = "severity"
# The team that owns an alert.
TEAM = "team"
