"""Pieces every reference collector shares: safe listeners, memory_limiter first, batch last,
health/debug extensions on safe addresses, queues and retries for exporters."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from obs.model.params import COUNT
from obs.model.environment import Environment
from obs.collector import Exporter, Extension, Processor, Receiver
from obs.errors import DefinitionError

POD_IP = "${env:MY_POD_IP}"
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
OTLP_PORTS = {"otlp-grpc": OTLP_GRPC_PORT, "otlp-http": OTLP_HTTP_PORT}
ZIPKIN_PORT = 9411
JAEGER_GRPC_PORT = 14250
JAEGER_THRIFT_HTTP_PORT = 14268


def otlp_receiver() -> Receiver:
    """OTLP over gRPC and HTTP, bound to the pod IP; no CORS (browsers send through an app backend)."""
    return Receiver("otlp", {"protocols": {
        "grpc": {"endpoint": f"{POD_IP}:{OTLP_GRPC_PORT}", "max_recv_msg_size_mib": 16},
        "http": {"endpoint": f"{POD_IP}:{OTLP_HTTP_PORT}"},
    }})


def zipkin_receiver() -> Receiver:
    """Zipkin v1/v2 spans (JSON or protobuf) over HTTP: what Envoy's Zipkin tracer (Istio) sends."""
    return Receiver("zipkin", {"endpoint": f"{POD_IP}:{ZIPKIN_PORT}"})


def jaeger_receiver() -> Receiver:
    """Jaeger's own protocols for clients that predate OTLP: gRPC (api_v2, what Jaeger agents and
    SDK gRPC senders use) and Thrift over HTTP (SDKs' HTTP sender). Thrift over UDP (compact/binary)
    is left out: a Service port here is TCP, and those senders were retired with the Jaeger agent."""
    return Receiver("jaeger", {"protocols": {
        "grpc": {"endpoint": f"{POD_IP}:{JAEGER_GRPC_PORT}"},
        "thrift_http": {"endpoint": f"{POD_IP}:{JAEGER_THRIFT_HTTP_PORT}"},
    }})


# Trace protocols besides OTLP a collector can accept: receiver and the Service ports it listens on.
TRACE_PROTOCOLS: Mapping[str, tuple[Callable[[], Receiver], Mapping[str, int]]] = {
    "zipkin": (zipkin_receiver, {"zipkin": ZIPKIN_PORT}),
    "jaeger": (jaeger_receiver, {"jaeger-grpc": JAEGER_GRPC_PORT, "jaeger-thrift": JAEGER_THRIFT_HTTP_PORT}),
}


def trace_receivers(definition: str, protocols: Sequence[str]) -> tuple[list[Receiver], dict[str, int]]:
    """The receivers for `protocols` (names of TRACE_PROTOCOLS) and the Service ports they need:
    a port is exposed only where a pipeline receives that protocol."""
    receivers: list[Receiver] = []
    ports: dict[str, int] = {}
    for protocol in dict.fromkeys(protocols):
        if protocol not in TRACE_PROTOCOLS:
            raise DefinitionError(definition, "trace_protocols", f"{protocol!r} is not a trace protocol obs receives",
                                  f"use {', '.join(TRACE_PROTOCOLS)} (OTLP is always received)")
        make, needs = TRACE_PROTOCOLS[protocol]
        receivers.append(make())
        ports.update(needs)
    return receivers, ports


def memory_limiter() -> Processor:
    """Refuses data at 80% of the container limit (GOMEMLIMIT makes the GC work hard just before)."""
    return Processor("memory_limiter", {"check_interval": "1s", "limit_percentage": 80,
                                        "spike_limit_percentage": 20})


def batch(env: Environment, name: str) -> Processor:
    return Processor("batch", {"send_batch_size": env.param(f"{name}.batch_size", 8192, COUNT),
                               "send_batch_max_size": env.param(f"{name}.batch_max_size", 10000, COUNT),
                               "timeout": "200ms"})


def cluster_resource(env: Environment) -> Processor:
    """Stamps k8s.cluster.name, which becomes the `cluster` label downstream."""
    return Processor("resource/cluster", {"attributes": [
        {"key": "k8s.cluster.name", "value": env.cluster_stamp, "action": "upsert"}]})


def promote_labels(env: Environment) -> Processor:
    """Copies the resource attributes alerts route on onto every data point, so the
    prometheus_remote_write exporter (resource-to-telemetry conversion off: only `job`, `instance`
    and target_info come from the resource) writes them as labels: the cluster label from
    k8s.cluster.name, `namespace` from k8s.namespace.name (k8s_attributes), else from
    service.namespace. See docs/label-provenance.md."""
    cluster = env.cluster_label
    return Processor("transform/labels", {"error_mode": "ignore", "metric_statements": [{
        "context": "datapoint",
        "statements": [
            f'set(attributes["{cluster}"], resource.attributes["k8s.cluster.name"]) '
            'where resource.attributes["k8s.cluster.name"] != nil',
            'set(attributes["namespace"], resource.attributes["k8s.namespace.name"]) '
            'where resource.attributes["k8s.namespace.name"] != nil',
            'set(attributes["namespace"], resource.attributes["service.namespace"]) '
            'where attributes["namespace"] == nil and resource.attributes["service.namespace"] != nil',
        ]}]})


def k8s_attributes(node_local: bool) -> Processor:
    """Pod metadata for every signal; an agent watches only its own node's pods."""
    config: dict[str, Any] = {
        "auth_type": "serviceAccount",
        "passthrough": False,
        "extract": {
            "metadata": ["k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.start_time",
                         "k8s.deployment.name", "k8s.statefulset.name", "k8s.daemonset.name",
                         "k8s.node.name", "k8s.container.name"],
            "labels": [{"tag_name": "app.kubernetes.io/component", "key": "app.kubernetes.io/component",
                        "from": "pod"},
                       {"tag_name": "app.kubernetes.io/part-of", "key": "app.kubernetes.io/part-of",
                        "from": "pod"}],
        },
        "pod_association": [
            {"sources": [{"from": "resource_attribute", "name": "k8s.pod.ip"}]},
            {"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]},
            *([{"sources": [{"from": "connection"}]}] if node_local else []),
        ],
    }
    if node_local:
        config["filter"] = {"node_from_env_var": "K8S_NODE_NAME"}
    return Processor("k8s_attributes", config)


def extensions() -> list[Extension]:
    """health_check on the pod IP (the kubelet probes it); pprof and zpages on localhost only."""
    return [Extension("health_check", {"endpoint": f"{POD_IP}:13133"}),
            Extension("pprof", {"endpoint": "localhost:1777"}),
            Extension("zpages", {"endpoint": "localhost:55679"})]


def queue_and_retry(env: Environment, name: str) -> dict[str, Any]:
    """A bounded in-memory sending queue and exponential retries (up to 5 minutes)."""
    return {
        "sending_queue": {"enabled": True, "num_consumers": 10,
                          "queue_size": env.param(f"{name}.queue_size", 5000, COUNT)},
        "retry_on_failure": {"enabled": True, "initial_interval": "5s", "max_interval": "30s",
                             "max_elapsed_time": "300s"},
    }


def otlp_grpc(name: str, endpoint: str, env: Environment, param: str,
              extra: dict[str, Any] | None = None) -> Exporter:
    """OTLP/gRPC to an in-cluster endpoint (plaintext inside the cluster network); `extra` adds
    settings such as headers."""
    return Exporter(f"otlp_grpc/{name}", {"endpoint": endpoint, "tls": {"insecure": True}, **(extra or {}),
                                          **queue_and_retry(env, param)})
