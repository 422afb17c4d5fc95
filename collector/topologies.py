"""The reference bundle's collectors: the library's agent and gateway, with prod's tenant."""
from __future__ import annotations

from obs import Environment
from obs.collector import Collector
from obs.topologies import agent_and_gateway

from collector.backends import jaeger, tenant

# Seed 004's collector also receives Jaeger (gRPC, Thrift) and Zipkin spans from clients that do not
# speak OTLP, and Istio's sidecars may keep the Zipkin tracer: the node agent takes both.
TRACE_PROTOCOLS = ("zipkin", "jaeger")


def collectors(env: Environment) -> list[Collector]:
    """Agent and gateway for one environment; the agent routes traces to this gateway, which
    exports them to Tempo and Jaeger."""
    return agent_and_gateway(env, tenant=tenant(env), jaeger=jaeger(env), trace_protocols=TRACE_PROTOCOLS)
