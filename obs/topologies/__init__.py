"""Collector topologies to compose: a node agent (DaemonSet) forwarding to a gateway (StatefulSet).

    from obs.topologies import agent_and_gateway
    collectors = agent_and_gateway(env, tenant="team-a")   # [agent, gateway]

Every piece is a function of the environment: names, endpoints (from `env.urls`), queue sizes and
intervals (`env.param('<collector name>.<key>', default)`) can differ per environment. The building
blocks (receivers, processors, exporters) live in `obs.topologies.common`, `.agent` and `.gateway`
for teams that compose their own topology.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from obs.topologies.names import AGENT, GATEWAY

if TYPE_CHECKING:  # imported when called (obs.lazy): obs.topologies.prometheus needs none of them
    from obs.backends.jaeger import Jaeger
    from obs.collector import Collector
    from obs.model.environment import Environment


def agent_and_gateway(env: Environment, agent_name: str = AGENT, gateway_name: str = GATEWAY,
                      tenant: str | None = None, jaeger: Jaeger | None = None,
                      trace_protocols: Sequence[str] = ()) -> list[Collector]:
    """A node agent and the gateway it forwards to (traces by trace ID, so tail sampling sees whole
    traces); `tenant` is the X-Scope-OrgID the gateway sends to a multi-tenant Tempo and Loki;
    with `jaeger` the gateway exports traces to it beside Tempo; `trace_protocols` ('zipkin',
    'jaeger') are the non-OTLP protocols the agent also receives (e.g. from Istio's Zipkin tracer)."""
    from obs.topologies import agent as _agent
    from obs.topologies import gateway as _gateway
    gw = _gateway.gateway(env, gateway_name, tenant, jaeger)
    return [_agent.agent(env, gw, agent_name, trace_protocols), gw]


__all__ = ["AGENT", "GATEWAY", "agent_and_gateway"]
