"""The reference bundle's collector topologies: a node agent (DaemonSet) and a gateway (StatefulSet)."""
from __future__ import annotations

from obs import Environment
from obs.collector import Collector
from collector.agent import agent
from collector.gateway import gateway


def collectors(env: Environment) -> list[Collector]:
    """Agent and gateway for one environment; the agent routes traces to this gateway."""
    gw = gateway(env)
    return [agent(env, gw), gw]
