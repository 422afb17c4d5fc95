"""Tier 3: every generated Thanos component starts as a real `thanos` v0.41.0 process with its
generated arguments and becomes ready (/-/ready), in both topologies obs writes.

The reference definitions in an environment of two clusters with a Thanos global store. Receive
(every replica of the hashring), the store gateway and Query run with the args of their rendered
manifests; Thanos Rule with the args the ThanosRuler runs (obs.render.thanos.ruler_args), loading
the global tier's rule files. Only addresses and paths are rewritten (tests/thanos_local.py); the
object-storage Secret obs only references is stood in for by a bucket in a local folder.
In the sidecar topology each cluster's Prometheus runs with the external labels of its generated
values (its cluster and the replica label Query deduplicates on) and the block durations the
operator sets beside a sidecar, and the sidecar with the Secret's object-storage config.
Query's stores then prove its generated endpoints reach every component.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from obs import Bundle, Cluster, Environment, Thanos
from obs.render import render_environment
from obs.tools.find import thanos
from tests.collector_harness import free_port
from tests.conftest import require_tool
from tests.test_instrumentation_roundtrip import prometheus_path, started  # noqa: F401 - fixtures
from tests.thanos_harness import wait_until
from tests.thanos_local import KUBE, Components, LocalThanos

pytestmark = pytest.mark.tools

CLUSTERS = ("eu1", "us1")


@pytest.fixture(scope="module")
def thanos_bin() -> Path:
    return require_tool(thanos)


def render(reference_bundle: Any, topology: str) -> tuple[Environment, dict[str, bytes]]:
    env = Environment(f"fleet-{topology}", clusters=[Cluster(c) for c in CLUSTERS], global_store=Thanos(topology))
    return env, render_environment(Bundle("fleet", [env], reference_bundle.define), env)


def test_receive_topology_components_start_with_their_generated_args(tmp_path, reference_bundle, thanos_bin,
                                                                      started):
    began = time.monotonic()
    env, files = render(reference_bundle, "receive")
    local = LocalThanos(env, tmp_path / "thanos")
    thanos_ = Components(started, thanos_bin, local, files)
    assert len(local.receives) == env.global_store.receive_replicas >= 2
    thanos_.start_receives()
    thanos_.start_global(env)
    thanos_.wait_ready([*local.receives, local.store, local.query, local.ruler], began)
    # Query reaches every Receive replica, the store gateway and the ruler through its generated endpoints.
    wanted = {r.grpc for r in local.receives} | {local.store.grpc, local.ruler.grpc}
    wait_until("Query to see every receive replica, the store gateway and the ruler",
               lambda: wanted <= {s["name"] for found in thanos_.query_stores().values() for s in found}, 60)


def test_sidecar_topology_components_start_with_their_generated_args(tmp_path, reference_bundle, thanos_bin,
                                                                      prometheus_path, started):
    began = time.monotonic()
    env, files = render(reference_bundle, "sidecar")
    assert f"{KUBE}/thanos-receive.yaml" not in files
    local = LocalThanos(env, tmp_path / "thanos")
    thanos_ = Components(started, thanos_bin, local, files)
    for cluster, sidecar in zip(env.clusters, local.sidecars):
        values = yaml.safe_load(files[f"clusters/{cluster.name}/prometheus/kube-prometheus-stack-values.yaml"])
        spec = values["prometheus"]["prometheusSpec"]
        secret = spec["thanos"]["objectStorageConfig"]
        assert (secret["name"], secret["key"]) == (env.global_store.objstore_secret, env.global_store.objstore_key)
        # The Prometheus the operator runs for these values: its external labels and the replica label.
        labels = {**spec["externalLabels"], spec["replicaExternalLabelName"]: f"prometheus-{cluster.name}-0"}
        prom = f"127.0.0.1:{free_port()}"
        config = local.workdir / f"prometheus-{cluster.name}.yml"
        config.write_text(yaml.safe_dump({"global": {"external_labels": labels}}))
        data = local.workdir / f"prometheus-{cluster.name}"
        thanos_.run(f"prometheus-{cluster.name}", [
            prometheus_path, f"--config.file={config}", f"--storage.tsdb.path={data}", f"--web.listen-address={prom}",
            "--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=2h", "--log.level=warn"])
        # The sidecar as the operator adds it, reading the Secret the values reference.
        thanos_.run(sidecar.name, [thanos_bin, "sidecar", f"--prometheus.url=http://{prom}", f"--tsdb.path={data}",
                                   f"--grpc-address={sidecar.grpc}", f"--http-address={sidecar.http}",
                                   f"--objstore.config-file={local.objstore}", "--log.level=warn"])
    thanos_.start_global(env)
    thanos_.wait_ready([*local.sidecars, local.store, local.query, local.ruler], began)

    # Query reads every cluster's sidecar (by its generated endpoint) with that cluster's labels.
    def sidecar_clusters() -> set[str]:
        return {labels.get("cluster") for s in thanos_.query_stores().get("sidecar", [])
                for labels in s.get("labelSets", [])}
    wait_until("Query to see both clusters' sidecars", lambda: sidecar_clusters() == set(CLUSTERS), 60)
