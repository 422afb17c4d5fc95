"""Replicated collector gateways survive node drains and node/zone loss: a PodDisruptionBudget and
topology spread constraints (plain manifests and the Operator's OpenTelemetryCollector)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from collector.topologies import collectors
from obs.collector import Collector, Exporter, Pipeline, Processor, Receiver
from obs.collector.kubernetes import manifests, operator_resource
from obs.errors import DefinitionError
from obs.render import RenderContext
from rules.environments import ENVIRONMENTS

LIMITER = Processor("memory_limiter", {"check_interval": "1s", "limit_percentage": 80})
PIPELINE = Pipeline("traces", [Receiver("otlp", {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"}}})],
                    [Exporter("debug")], [LIMITER])


def gateway(**changes) -> Collector:
    return Collector(**{"name": "gw", "workload": "deployment", "pipelines": [PIPELINE], "replicas": 3,
                        "ports": {"otlp-grpc": 4317}, **changes})


def ctx(reference_bundle) -> RenderContext:
    env = ENVIRONMENTS[-1]
    return RenderContext(reference_bundle, env, reference_bundle.definitions(env))


def kinds(objects) -> dict[str, dict]:
    return {o["kind"]: o for o in objects}


def test_a_replicated_gateway_gets_a_pdb_and_spreads_over_nodes_and_zones(reference_bundle):
    objects = kinds(manifests(ctx(reference_bundle), gateway()))
    pdb = objects["PodDisruptionBudget"]
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"] == objects["Deployment"]["spec"]["selector"]
    spread = objects["Deployment"]["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert [(s["topologyKey"], s["whenUnsatisfiable"]) for s in spread] == [
        ("kubernetes.io/hostname", "DoNotSchedule"), ("topology.kubernetes.io/zone", "ScheduleAnyway")]
    assert all(s["labelSelector"]["matchLabels"] == pdb["spec"]["selector"]["matchLabels"] for s in spread)
    assert all(s["matchLabelKeys"] == ["pod-template-hash"] for s in spread)


@pytest.mark.parametrize("changes", [{"replicas": 1}, {"max_unavailable": None, "spread": False},
                                     {"workload": "daemonset"}])
def test_single_replicas_daemonsets_and_opt_outs_get_neither(reference_bundle, changes):
    collector = gateway(**changes)
    objects = manifests(ctx(reference_bundle), collector)
    assert "PodDisruptionBudget" not in kinds(objects)
    assert all("topologySpreadConstraints" not in o.get("spec", {}).get("template", {}).get("spec", {})
               for o in objects)


def test_the_operator_resource_carries_pdb_and_spread(reference_bundle):
    spec = operator_resource(ctx(reference_bundle), gateway(output="operator", max_unavailable=2))["spec"]
    assert spec["podDisruptionBudget"] == {"maxUnavailable": 2}
    assert len(spec["topologySpreadConstraints"]) == 2


@pytest.mark.parametrize("changes,text", [({"max_unavailable": 3}, "protects nothing"),
                                          ({"max_unavailable": 0}, "not a pod count"),
                                          ({"spread": "yes"}, "not True or False")])
def test_useless_or_wrong_settings_are_rejected(changes, text):
    with pytest.raises(DefinitionError, match=text) as err:
        gateway(**changes)
    assert err.value.field in changes


def test_the_reference_gateway_has_a_pdb_in_every_environment(reference_bundle):
    for env in ENVIRONMENTS:
        found = {c.name: c for c in collectors(env)}
        context = RenderContext(reference_bundle, env, reference_bundle.definitions(env))
        objects = kinds(manifests(context, found["otel-collector-gateway"]))
        assert objects["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1
        assert "PodDisruptionBudget" not in kinds(manifests(context, found["otel-collector-agent"]))
        assert replace(found["otel-collector-gateway"], spread=False).spread is False
