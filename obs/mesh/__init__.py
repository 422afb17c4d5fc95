"""Service-mesh telemetry as code (Istio): providers pointing at the generated collectors, Telemetry resources."""
from typing import TYPE_CHECKING

from obs.lazy import exports

if TYPE_CHECKING:
    from obs.mesh.istio import EnvTag, HeaderTag, LiteralTag, MeshTelemetry, Provider, Telemetry

__all__ = ["EnvTag", "HeaderTag", "LiteralTag", "MeshTelemetry", "Provider", "Telemetry"]
__getattr__, __dir__ = exports(__name__, {
    "istio": ("EnvTag", "HeaderTag", "LiteralTag", "MeshTelemetry", "Provider", "Telemetry"),
})
