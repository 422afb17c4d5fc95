"""The reference bundle's collectors: the library's agent and gateway, with prod's tenant."""
from __future__ import annotations

from obs import Environment
from obs.collector import Collector
from obs.topologies import agent_and_gateway

from collector.backends import tenant


def collectors(env: Environment) -> list[Collector]:
    """Agent and gateway for one environment; the agent routes traces to this gateway."""
    return agent_and_gateway(env, tenant=tenant(env))
