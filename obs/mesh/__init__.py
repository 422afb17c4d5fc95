"""Service-mesh telemetry as code (Istio): providers pointing at the generated collectors, Telemetry resources."""
from obs.mesh.istio import EnvTag, HeaderTag, LiteralTag, MeshTelemetry, Provider, Telemetry

__all__ = ["EnvTag", "HeaderTag", "LiteralTag", "MeshTelemetry", "Provider", "Telemetry"]
