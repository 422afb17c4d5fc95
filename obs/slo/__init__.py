"""SLOs as code: rule generation (obs.slo.rules), generated proofs (obs.slo.proofs) and
Sloth import (obs.slo.sloth). The model lives in obs.model.slo."""
from obs.slo.rules import slo_rule_packs

__all__ = ["slo_rule_packs"]
