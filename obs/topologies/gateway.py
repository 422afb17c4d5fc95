"""The gateway: a StatefulSet behind a headless Service. Agents route each trace's spans to one
replica (load_balancing by traceID), so tail sampling sees whole traces. Span metrics are computed
from every span before sampling; service graphs come from Tempo's metrics generator (the
servicegraph connector is not buildable at the pinned version here)."""
from __future__ import annotations

from urllib.parse import urlsplit

from obs.model.params import COUNT, PERCENT
from obs.model.environment import Environment
from obs.backends.jaeger import Jaeger
from obs.collector import Collector, Connector, Exporter, Pipeline, Processor, SecretEnv
from obs.topologies.names import GATEWAY
from obs.topologies.common import (
    OTLP_PORTS, batch, cluster_resource, extensions, k8s_attributes, memory_limiter, otlp_grpc, otlp_receiver,
    promote_labels, queue_and_retry,
)

NAME = GATEWAY


def tail_sampling(env: Environment, name: str = NAME) -> Processor:
    """Keep every trace with an error, every slow trace, and a share of the rest."""
    return Processor("tail_sampling", {
        "decision_wait": "10s",
        "num_traces": env.param(f"{name}.num_traces", 50000, COUNT),
        "expected_new_traces_per_sec": env.param(f"{name}.new_traces_per_sec", 1000, COUNT),
        "policies": [
            {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
            {"name": "slow", "type": "latency",
             "latency": {"threshold_ms": env.param(f"{name}.slow_ms", 1000, COUNT)}},
            {"name": "probabilistic", "type": "probabilistic",
             "probabilistic": {"sampling_percentage": env.param(f"{name}.sampling_percentage", 10.0, PERCENT)}},
        ],
    })


def span_metrics() -> Connector:
    """RED metrics from spans (seconds histograms), in Prometheus as traces_span_metrics_*."""
    return Connector("span_metrics", {
        "namespace": "traces.span.metrics",
        "histogram": {"unit": "s", "explicit": {"buckets": [
            "5ms", "10ms", "25ms", "50ms", "100ms", "250ms", "500ms", "1s", "2500ms", "5s", "10s"]}},
        "dimensions": [{"name": "http.request.method"}, {"name": "http.response.status_code"},
                       {"name": "k8s.namespace.name"}],
        "exemplars": {"enabled": True},
        "metrics_flush_interval": "15s",
    })


def gateway(env: Environment, name: str = NAME, tenant: str | None = None, jaeger: Jaeger | None = None) -> Collector:
    """The gateway called `name`; `tenant` is the X-Scope-OrgID it sends to a multi-tenant Tempo
    and Loki (None: single-tenant). Endpoints come from `env.urls` (override `<name>.tempo_endpoint`,
    `<name>.remote_write_url`); with a Thanos Receive global store, metrics go into its hashring.
    With `jaeger`, sampled traces also go to that Jaeger over OTLP."""
    tempo_host = urlsplit(env.urls.tempo).hostname
    org = tenant
    headers = {"headers": {"X-Scope-OrgID": org}} if org else {}  # multi-tenant Tempo and Loki
    tempo = otlp_grpc("tempo", env.param(f"{name}.tempo_endpoint", f"{tempo_host}:4317"), env, f"{name}.tempo",
                      headers)
    loki = Exporter("otlp_http/loki", {"endpoint": f"{env.urls.loki}/otlp", **headers,
                                       **queue_and_retry(env, f"{name}.loki")})
    remote_write = Exporter("prometheus_remote_write/mimir", {
        "endpoint": env.param(f"{name}.remote_write_url", env.remote_write_url),
        "headers": {"Authorization": "Bearer ${env:REMOTE_WRITE_TOKEN}"},
        "resource_to_telemetry_conversion": {"enabled": False},
        "target_info": {"enabled": True},
        "remote_write_queue": {"enabled": True, "queue_size": 10000, "num_consumers": 5},
        # The exporter retries inside its timeout (not the collector's retry queue): the timeout is the
        # whole retry budget, so it matches max_elapsed_time (obs.collector.checks.check_remote_write_retries).
        "timeout": "300s",
        "retry_on_failure": {"enabled": True, "initial_interval": "5s", "max_interval": "30s",
                             "max_elapsed_time": "300s"},
    })
    trace_exporters = [tempo]
    if jaeger is not None:
        trace_exporters.append(otlp_grpc("jaeger", jaeger.otlp_endpoint(env.namespace), env, f"{name}.jaeger"))
    otlp, spans = otlp_receiver(), span_metrics()
    enrich = [memory_limiter(), k8s_attributes(node_local=False), cluster_resource(env)]
    return Collector(
        name=name,
        workload="statefulset",
        replicas=env.param(f"{name}.replicas", 3, COUNT),
        memory_limit_mib=env.param(f"{name}.memory_limit_mib", 2048, COUNT),
        cpu_limit="2",
        ports=OTLP_PORTS,
        secrets={"REMOTE_WRITE_TOKEN": SecretEnv(name, "remote-write-token")},
        extensions=extensions(),
        pipelines=[
            Pipeline("traces", receivers=[otlp], processors=[*enrich, tail_sampling(env, name), batch(env, name)],
                     exporters=trace_exporters),
            Pipeline("traces/spanmetrics", receivers=[otlp], processors=[memory_limiter()], exporters=[spans]),
            Pipeline("metrics", receivers=[otlp, spans], processors=[*enrich, promote_labels(env), batch(env, name)],
                     exporters=[remote_write]),
            Pipeline("logs", receivers=[otlp], processors=[*enrich, batch(env, name)], exporters=[loki]),
        ],
    )
