"""OpenTelemetry Collector topologies as code: registry, typed model, config/Kubernetes rendering, builder."""
from typing import TYPE_CHECKING

from obs.lazy import exports

if TYPE_CHECKING:
    from obs.collector.config import from_config, render_config
    from obs.collector.model import (
        Collector, Component, Connector, Exporter, Extension, Pipeline, Processor, Receiver, SecretEnv, Telemetry,
    )
    from obs.collector.registry import COLLECTOR_VERSION, REGISTRY, ComponentSpec

__all__ = ["COLLECTOR_VERSION", "Collector", "Component", "ComponentSpec", "Connector", "Exporter",
           "Extension", "Pipeline", "Processor", "REGISTRY", "Receiver", "SecretEnv", "Telemetry",
           "from_config", "render_config"]
__getattr__, __dir__ = exports(__name__, {
    "config": ("from_config", "render_config"),
    "model": (
        "Collector", "Component", "Connector", "Exporter", "Extension", "Pipeline", "Processor", "Receiver",
        "SecretEnv", "Telemetry",
    ),
    "registry": ("COLLECTOR_VERSION", "REGISTRY", "ComponentSpec"),
})
