"""The series an SLO's rules record and the labels that identify them: what the rules (obs.slo.rules)
write and the proofs (obs.slo.proofs, obs.slo.resolve_proofs) feed and expect, in one module both
import."""
from __future__ import annotations

from obs.labels import LONG_WINDOW, SHORT_WINDOW, SLO_NAME, SLO_SERVICE, SLOTH_ID, SLOTH_SERVICE, SLOTH_SLO
from obs.model.environment import Environment
from obs.model.slo import SLO, TILE

BAD = f"slo:sli_bad_events:rate{TILE}"
TOTAL = f"slo:sli_total_events:rate{TILE}"
RAW = f"slo:sli_error_raw:ratio_rate{TILE}"


def identity(slo: SLO, env: Environment) -> dict[str, str]:
    """The labels that identify an SLO's series; they never change for an SLO. (The cluster
    label comes from the data, so one rule set serves every cluster.) With `sloth_labels`,
    Sloth's identity labels too."""
    ident = {SLO_SERVICE: slo.service, SLO_NAME: slo.name}
    if slo.sloth_labels:
        ident.update({SLOTH_ID: slo.sloth_id, SLOTH_SERVICE: slo.service, SLOTH_SLO: slo.name})
    return ident


def series_labels(slo: SLO, env: Environment) -> dict[str, str]:
    """Labels every SLO output series carries: the SLO's labels plus its identity."""
    return {**slo.labels, **identity(slo, env)}


def window_labels(long: str, short: str) -> dict[str, str]:
    """The labels a burn-rate alert carries for the windows it compared."""
    return {LONG_WINDOW: long, SHORT_WINDOW: short}


def description(service: str, name: str, burn: str, long: str, short: str) -> str:
    """The alert description; called with template snippets for the rule, values for tests."""
    return (f"{service}/{name} is burning its error budget {burn}x as fast as the objective allows "
            f"over the last {long} (and still over the last {short}).")
