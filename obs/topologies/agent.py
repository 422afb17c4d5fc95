"""The agent: a DaemonSet on every node. It receives OTLP from local pods (hostPort), tails pod logs
with the `container` operator, scrapes host and kubelet metrics, adds pod and node metadata, and
forwards to the gateway: traces through the load_balancing exporter keyed by traceID (so a whole
trace reaches one gateway replica), metrics and logs over OTLP to the gateway Service."""
from __future__ import annotations

from typing import Sequence

from obs.model.params import COUNT
from obs.model.environment import Environment
from obs.collector import Collector, Exporter, Extension, Pipeline, Processor, Receiver
from obs.collector.names import headless_host, service_host
from obs.topologies.names import AGENT
from obs.topologies.common import (
    OTLP_GRPC_PORT, OTLP_PORTS, batch, cluster_resource, extensions, k8s_attributes, memory_limiter, otlp_grpc,
    otlp_receiver, queue_and_retry, trace_receivers,
)

NAME = AGENT
STATE_DIR = "/var/lib/otelcol"
CHECKPOINTS = Extension("file_storage", {"directory": f"{STATE_DIR}/file_storage", "create_directory": True})


def pod_logs(env: Environment, name: str = NAME) -> Receiver:
    """Container logs of every pod on the node except the agent's own (no feedback loop)."""
    return Receiver("file_log", {
        "include": ["/var/log/pods/*/*/*.log"],
        "exclude": [f"/var/log/pods/{env.namespace}_{name}-*/*/*.log"],
        "start_at": "end",
        "include_file_path": True,
        "include_file_name": False,
        "retry_on_failure": {"enabled": True},
        "storage": CHECKPOINTS.id,  # file offsets survive restarts: no lost or repeated lines
        "operators": [{"type": "container", "id": "container-parser"}],
    })


def host_metrics(env: Environment, name: str = NAME) -> Receiver:
    return Receiver("host_metrics", {
        "collection_interval": env.param(f"{name}.host_interval", "30s"),
        "root_path": "${env:HOST_ROOT}",  # the host's / mounted read-only (see host_paths)
        "scrapers": {"cpu": {}, "memory": {}, "load": {}, "disk": {}, "network": {},
                     "filesystem": {"exclude_fs_types": {"fs_types": ["autofs", "overlay", "proc", "sysfs",
                                                                     "tmpfs", "nsfs"],
                                                         "match_type": "strict"}}},
    })


def kubelet_stats(env: Environment, name: str = NAME) -> Receiver:
    """Pod/container/node stats from the local kubelet (its serving cert is usually self-signed)."""
    return Receiver("kubelet_stats", {
        "collection_interval": env.param(f"{name}.kubelet_interval", "30s"),
        "auth_type": "serviceAccount",
        "endpoint": "https://${env:K8S_NODE_NAME}:10250",
        "insecure_skip_verify": True,
        "metric_groups": ["node", "pod", "container"],
    })


def to_gateway_by_trace(gateway: Collector, env: Environment, name: str = NAME) -> Exporter:
    """Spans of one trace always go to the same gateway replica (resolved via its headless Service)."""
    return Exporter("load_balancing/gateway", {
        "routing_key": "traceID",
        "protocol": {"otlp": {"tls": {"insecure": True}, "timeout": "10s"}},
        "resolver": {"dns": {"hostname": headless_host(gateway, env.namespace), "port": str(OTLP_GRPC_PORT)}},
        **queue_and_retry(env, f"{name}.gateway"),
    })


def agent(env: Environment, gateway: Collector, name: str = NAME, trace_protocols: Sequence[str] = ()) -> Collector:
    """The node agent called `name` (its Service, DaemonSet and parameter keys `<name>.*`).
    `trace_protocols` ('zipkin', 'jaeger') adds receivers for clients that do not speak OTLP, e.g.
    Istio sidecars with a Zipkin tracer; their ports are opened only then."""
    otlp = otlp_receiver()
    legacy, legacy_ports = trace_receivers(f"collector {name!r}", trace_protocols)
    # k8s_attributes already adds k8s.node.name; the k8snode detector would need an API client at startup.
    detect = Processor("resource_detection", {"detectors": ["env", "system"], "override": False})
    enrich = [memory_limiter(), k8s_attributes(node_local=True), detect, cluster_resource(env)]
    upstream = otlp_grpc("gateway", f"{service_host(gateway, env.namespace)}:{OTLP_GRPC_PORT}",
                         env, f"{name}.gateway")
    return Collector(
        name=name,
        workload="daemonset",
        memory_limit_mib=env.param(f"{name}.memory_limit_mib", 512, COUNT),
        cpu_limit="500m",
        ports={**OTLP_PORTS, **legacy_ports},
        host_paths={"/var/log/pods": "/var/log/pods", "/hostfs": "/"},
        env={"HOST_ROOT": "/hostfs"},
        state_paths={STATE_DIR: f"{STATE_DIR}/{name}"},
        # A node agent must run on every node, tainted ones included: pods there send to it.
        tolerations=[{"operator": "Exists"}],
        extensions=[*extensions(), CHECKPOINTS],
        pipelines=[
            Pipeline("traces", receivers=[otlp, *legacy], processors=[*enrich, batch(env, name)],
                     exporters=[to_gateway_by_trace(gateway, env, name)]),
            Pipeline("metrics", receivers=[otlp, host_metrics(env, name), kubelet_stats(env, name)],
                     processors=[*enrich, batch(env, name)], exporters=[upstream]),
            Pipeline("logs", receivers=[otlp, pod_logs(env, name)], processors=[*enrich, batch(env, name)],
                     exporters=[upstream]),
        ],
    )
