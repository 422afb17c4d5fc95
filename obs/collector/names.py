"""What a collector's Services are called and where they resolve: the names other definitions
point at (agents at the gateway, the mesh at its provider, SDKs at their collector, the catalogue's
`job`). Apart from obs.collector.kubernetes, which renders the Services, so that pointing at a
collector does not import its renderer."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from obs.collector.model import Collector


def service_name(collector: Collector) -> str:
    """Name of the collector's Service: its own name, or, for output='operator', the name the
    OpenTelemetry Operator gives the Service it creates (`<name>-collector`)."""
    return f"{collector.name}-collector" if collector.output == "operator" else collector.name


def service_host(collector: Collector, namespace: str) -> str:
    """In-cluster DNS name of the collector's (load-balanced) Service."""
    return f"{service_name(collector)}.{namespace}.svc.cluster.local"


def headless_service(collector: Collector) -> str:
    """Name of the headless Service giving each replica of a StatefulSet its own DNS record
    (the Operator names it `<name>-collector-headless`)."""
    return f"{service_name(collector)}-headless"


def headless_host(collector: Collector, namespace: str) -> str:
    """DNS name resolving to every replica's pod IP (for the load_balancing exporter's dns resolver)."""
    return f"{headless_service(collector)}.{namespace}.svc.cluster.local"
