"""Tier 3: every generated Thanos component starts as a real `thanos` v0.41.0 process with its
generated arguments and becomes ready (/-/ready), in both topologies obs writes.

The reference definitions in an environment of two clusters with a Thanos global store. Receive
(every replica of the hashring), the store gateway and Query run with the args of their rendered
manifests; Thanos Rule with the args the ThanosRuler runs (obs.render.thanos.ruler_args), loading
the global tier's rule files. Only addresses and paths are rewritten (tests/thanos_local.py); the
object-storage Secret obs only references is stood in for by a bucket in a local folder.
Each cluster's Prometheus runs with the external labels of its generated values (its cluster and
the replica label Query deduplicates on): in the receive topology remote-writing to the URL of its
values, in the sidecar topology beside a sidecar reading the Secret the values reference (with the
block durations the operator sets for a sidecar).

Asserted: every component ready; Query lists every Receive replica, the store gateway and the
ruler (receive) or both clusters' sidecars with their cluster labels (sidecar) as healthy
endpoints; and Query answers `up` of the clusters' Prometheus with exactly one series per cluster,
the replica labels deduplicated by its generated `--query.replica-label`s.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from obs import Bundle, Cluster, Environment, Thanos
from obs.render import render_environment
from obs.render import thanos as generated
from obs.tools.find import thanos
from tests.collector_harness import free_port
from tests.prometheus_harness import operator_flags
from tests.support import require_tool
from tests.thanos_harness import query_api, wait_until
from tests.thanos_local import KUBE, Components, LocalThanos

pytestmark = pytest.mark.tools

CLUSTERS = ("eu1", "us1")


@pytest.fixture(scope="module")
def thanos_bin() -> Path:
    return require_tool(thanos)


def render(reference_bundle: Any, topology: str) -> tuple[Environment, dict[str, bytes]]:
    env = Environment(f"fleet-{topology}", clusters=[Cluster(c) for c in CLUSTERS], global_store=Thanos(topology))
    return env, render_environment(Bundle("fleet", [env], reference_bundle.define), env)


def prometheus_spec(files: dict[str, bytes], cluster: Cluster) -> dict[str, Any]:
    """The `prometheus.prometheusSpec` of a cluster's generated kube-prometheus-stack values."""
    values = yaml.safe_load(files[f"clusters/{cluster.name}/prometheus/kube-prometheus-stack-values.yaml"])
    return values["prometheus"]["prometheusSpec"]


def cluster_prometheus(thanos_: Components, binary: Path, cluster: Cluster, config: dict[str, Any],
                       flags: tuple[str, ...] = ()) -> tuple[str, Path, dict[str, Any]]:
    """The cluster's Prometheus as the operator runs it for its generated values: their external
    labels plus the replica label (pod name) Query deduplicates on, with the flags the operator
    derives from them (tests.prometheus_harness.operator_flags), scraping itself every second,
    and `config` on top. Its address, its TSDB folder and its `prometheusSpec`."""
    spec = prometheus_spec(thanos_.files, cluster)
    labels = {**spec["externalLabels"], spec["replicaExternalLabelName"]: f"prometheus-{cluster.name}-0"}
    address, workdir = f"127.0.0.1:{free_port()}", thanos_.local.workdir
    path = workdir / f"prometheus-{cluster.name}.yml"
    scrape = {"job_name": "prometheus", "scrape_interval": "1s", "static_configs": [{"targets": [address]}]}
    path.write_text(yaml.safe_dump({"global": {"external_labels": labels}, "scrape_configs": [scrape], **config}))
    data = workdir / f"prometheus-{cluster.name}"
    thanos_.run(f"prometheus-{cluster.name}", [binary, f"--config.file={path}", f"--storage.tsdb.path={data}",
                                               f"--web.listen-address={address}", "--log.level=warn",
                                               *operator_flags(spec), *flags])
    return address, data, spec


def deduplicated_per_cluster(local: LocalThanos, env: Environment, path: str) -> None:
    """Query answers `up` of the clusters' Prometheus with one series per cluster: the replica labels
    (Prometheus', Receive's) deduplicated by its generated --query.replica-label args."""
    def up() -> list[dict[str, str]]:
        result = query_api(local.query.http, "query", query='up{job="prometheus"}')["result"]
        return [r["metric"] for r in result] if {r["metric"].get("cluster") for r in result} == set(CLUSTERS) else []
    series = wait_until(f"both clusters' Prometheus series through {path} and Query", up, 60)
    assert len(series) == len(CLUSTERS), series
    for labels in series:
        assert not {env.global_store.replica_label, generated.RECEIVE_REPLICA_LABEL} & set(labels), labels


def test_receive_topology_components_start_with_their_generated_args(tmp_path, reference_bundle, thanos_bin,
                                                                      prometheus_path, started):
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

    # Each cluster's Prometheus remote-writes (generated values) into Receive; Query answers with one
    # series per cluster: the Prometheus and Receive replica labels deduplicated by its generated args.
    for cluster in env.clusters:
        writes = prometheus_spec(files, cluster)["remoteWrite"]
        assert writes, f"cluster {cluster.name}'s values write nowhere"
        cluster_prometheus(thanos_, prometheus_path, cluster, {"remote_write": [
            {"url": local.addresses()[w["url"]][0], "send_exemplars": w["sendExemplars"],
             "queue_config": {"batch_send_deadline": "1s"}} for w in writes]})

    deduplicated_per_cluster(local, env, "Receive")


def test_sidecar_topology_components_start_with_their_generated_args(tmp_path, reference_bundle, thanos_bin,
                                                                      prometheus_path, started):
    began = time.monotonic()
    env, files = render(reference_bundle, "sidecar")
    assert f"{KUBE}/thanos-receive.yaml" not in files
    local = LocalThanos(env, tmp_path / "thanos")
    thanos_ = Components(started, thanos_bin, local, files)
    for cluster, sidecar in zip(env.clusters, local.sidecars, strict=True):
        prom, data, spec = cluster_prometheus(thanos_, prometheus_path, cluster, {},
                                              ("--storage.tsdb.min-block-duration=2h",
                                               "--storage.tsdb.max-block-duration=2h"))
        secret = spec["thanos"]["objectStorageConfig"]
        assert (secret["name"], secret["key"]) == (env.global_store.objstore_secret, env.global_store.objstore_key)
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
    deduplicated_per_cluster(local, env, "the sidecars")
