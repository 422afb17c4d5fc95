"""The reference bundle's Istio telemetry (seed 002 section 12.4 and seed 004 section 2.5, made
current): the sidecars' tracer and access logs go to the node agent over OTLP, not to
`jaeger-collector:9411`; Telemetry resources set sampling, custom tags and the access-log filter."""
from obs import Environment
from obs.collector.names import service_host
from obs.mesh import EnvTag, HeaderTag, LiteralTag, MeshTelemetry, Provider, Telemetry
from obs.topologies import AGENT
from obs.topologies.common import OTLP_GRPC_PORT, ZIPKIN_PORT

from collector.topologies import collectors

# The guide's access-log filter: server errors, API calls, and requests that ask to be logged.
ACCESS_LOG_FILTER = ("response.code >= 500 || request.url_path.contains('/api/') || "
                     "request.headers['x-log-request'] == 'true'")


def mesh(env: Environment) -> MeshTelemetry:
    """Mesh-wide: OTLP tracing at 10% in prod (100% in staging), the cluster and environment as
    literal tag, the cluster (Istio's cluster id) and the region from the proxy's environment, the user agent from the request; Envoy's
    stdout log plus OTLP access logs for the filtered requests. The shop namespace samples 50%, its
    checkout workload every request (the guide's namespace- and service-level resources)."""
    agent = next(c for c in collectors(env) if c.name == AGENT)
    host = service_host(agent, env.namespace)
    sampling = env.param("Mesh.sampling_percentage", 10.0 if env.name == "prod" else 100.0)
    return MeshTelemetry(
        providers=[
            Provider("otel-tracing", "opentelemetry", host, OTLP_GRPC_PORT),
            # For meshes that keep Envoy's Zipkin tracer (the guide's setup), into the agent's zipkin receiver.
            Provider("zipkin", "zipkin", host, ZIPKIN_PORT),
            Provider("otel-access-log", "envoy_otel_als", host, OTLP_GRPC_PORT),
        ],
        telemetries=[
            Telemetry("mesh-default", tracing_providers=["otel-tracing"], sampling=sampling, custom_tags={
                # Istio sets ISTIO_META_CLUSTER_ID on every proxy: right in each cluster of a fleet.
                "cluster_id": EnvTag("ISTIO_META_CLUSTER_ID", default=env.clusters[0].name),
                "environment": LiteralTag(env.name),
                # Not the guide's "us-east-1": a proxy without REGION would tag an eu cluster's spans as us.
                "region": EnvTag("REGION", default="unknown"),
                "user_agent": HeaderTag("user-agent", default="unknown"),
            }, access_log_providers=["envoy", "otel-access-log"], access_log_filter=ACCESS_LOG_FILTER),
            Telemetry("namespace-tracing", namespace="shop", sampling=50.0,
                      custom_tags={"namespace": LiteralTag("shop")}),
            Telemetry("checkout-tracing", namespace="shop", selector={"app": "checkout"}, sampling=100.0,
                      custom_tags={"service_name": LiteralTag("checkout")}),
        ],
    )
