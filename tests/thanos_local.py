"""The generated Thanos components' arguments, made to run on loopback.

Only addresses and paths change: listen addresses (0.0.0.0:port) become the component's own
127.0.0.1 ports, and so do the listeners a component opens by default (Receive's Cap'n Proto
replication port: pods have an address each, processes on one machine do not); in-cluster names (pod DNS names, DNS SRV endpoints, Service URLs) become the
loopback addresses of the components started in their place; the data directory, the mounted
hashring and the mounted object-storage Secret become files in the test's folder. Every other
flag and value is passed as generated, and an in-cluster name left over is an error, so no
process ever reaches for a cluster address."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from obs.model.environment import Environment
from obs.render import thanos
from obs.render.prometheusrule import TIER_LABEL
from tests.collector_harness import free_port
from tests.thanos_harness import Endpoint, endpoint, get_json, ready, wait_until

KUBE = thanos.KUBERNETES_DIR
# Anything that names a cluster address: a leftover means a rewrite rule is missing.
_IN_CLUSTER = re.compile(r"\.svc\b|cluster\.local|example\.(internal|net|com)|\$\(")


def manifest_args(files: dict[str, bytes], path: str, kind: str) -> list[str]:
    """The args of the one container of the `kind` workload in a rendered manifest file."""
    documents = [d for d in yaml.safe_load_all(files[path]) if d and d["kind"] == kind]
    assert len(documents) == 1, f"{path}: expected one {kind}, found {len(documents)}"
    containers = documents[0]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, containers
    return [str(arg) for arg in containers[0]["args"]]


def hashring_config(files: dict[str, bytes]) -> list[dict[str, Any]]:
    """The hashrings file of the generated ConfigMap."""
    for document in yaml.safe_load_all(files[f"{thanos.KUBERNETES_DIR}/thanos-receive.yaml"]):
        if document and document["kind"] == "ConfigMap":
            return json.loads(document["data"][thanos.HASHRING_FILE])
    raise AssertionError("no hashring ConfigMap in thanos-receive.yaml")


@dataclass
class LocalThanos:
    """Loopback stand-ins for one environment's Thanos components, and the rewriting of their args."""

    env: Environment
    workdir: Path
    receives: list[Endpoint] = field(default_factory=list)
    sidecars: list[Endpoint] = field(default_factory=list)
    query: Endpoint = field(default_factory=lambda: endpoint("query"))
    store: Endpoint = field(default_factory=lambda: endpoint("store"))
    ruler: Endpoint = field(default_factory=lambda: endpoint("rule"))
    alertmanager: str = ""  # host:port of the Alertmanager the ruler sends to ("" : a port nobody listens on)

    def __post_init__(self) -> None:
        global_store = self.env.global_store
        assert global_store is not None, f"environment {self.env.name} has no global store"
        if global_store.topology == "receive":
            self.receives = [endpoint(f"{thanos.RECEIVE}-{i}", write=True) for i in range(global_store.receive_replicas)]
        else:
            self.sidecars = [endpoint(f"sidecar-{c.name}") for c in self.env.clusters]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.bucket = self.workdir / "bucket"
        self.objstore = self.workdir / "objstore" / global_store.objstore_key
        self.objstore.parent.mkdir(parents=True, exist_ok=True)
        # What the Secret the components mount would hold: a bucket in a local folder.
        self.objstore.write_text(yaml.safe_dump({"type": "FILESYSTEM", "config": {"directory": str(self.bucket)}}))

    def addresses(self) -> dict[str, list[str]]:
        """Generated address -> the loopback addresses standing in for it."""
        env = self.env
        book = {thanos.grpc_srv(env, thanos.STORE): [self.store.grpc],
                thanos.grpc_srv(env, thanos.RULER_SERVICE): [self.ruler.grpc],
                thanos.query_url(env): [f"http://{self.query.http}"],
                env.urls.alertmanager: [f"http://{self.alertmanager or '127.0.0.1:9'}"]}
        if self.receives:  # the Receive Service: its first replica
            book[thanos.receive_url(env)] = [f"http://{self.receives[0].write}/api/v1/receive"]
            book[thanos.grpc_srv(env, thanos.RECEIVE_HEADLESS)] = [r.grpc for r in self.receives]
            book.update({thanos.receive_endpoint(env, i): [r.grpc] for i, r in enumerate(self.receives)})
        if self.sidecars:
            book.update({generated: [local.grpc]
                         for generated, local in zip(thanos.sidecar_endpoints(env), self.sidecars, strict=True)})
        return book

    def hashring_file(self, files: dict[str, bytes]) -> Path:
        """The generated hashring with every endpoint replaced by its replica's loopback gRPC address."""
        book = self.addresses()
        rings = hashring_config(files)
        for ring in rings:
            ring["endpoints"] = [book[e][0] for e in ring["endpoints"]]
        path = self.workdir / "hashring" / thanos.HASHRING_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rings))
        return path

    def localize(self, args: list[str], own: Endpoint, pod: str, files: dict[str, bytes]) -> list[str]:
        """`args` of the component running as `own` in pod `pod`, for loopback (see the module doc)."""
        listen = {thanos.GRPC_PORT: own.grpc, thanos.HTTP_PORT: own.http, thanos.REMOTE_WRITE_PORT: own.write}
        paths = {thanos.DATA_DIR: str(self.workdir / own.name / "data"),
                 f"{thanos.OBJSTORE_DIR}/{self.objstore.name}": str(self.objstore)}
        book = self.addresses()
        out = []
        for arg in args:
            flag, equals, value = arg.partition("=")
            value = value.replace(thanos.POD_NAME, pod)
            if not equals:
                out.append(arg)
            elif value in book:
                out += [f"{flag}={local}" for local in book[value]]
            elif value.startswith("0.0.0.0:"):
                out.append(f"{flag}={listen[int(value.rsplit(':', 1)[1])]}")
            elif value == f"{thanos.HASHRING_DIR}/{thanos.HASHRING_FILE}":
                out.append(f"{flag}={self.hashring_file(files)}")
            else:
                out.append(f"{flag}={paths.get(value, value)}")
        if args and args[0] == "receive":
            out.append(f"--receive.capnproto-address=127.0.0.1:{free_port()}")
        left = [arg for arg in out if _IN_CLUSTER.search(arg)]
        assert not left, f"in-cluster names left in {own.name}'s args (add a rewrite): {left}"
        return out


@dataclass
class Components:
    """The processes of one environment's Thanos components, by name, started through `started`."""

    started: Any
    binary: Path
    local: LocalThanos
    files: dict[str, bytes]
    procs: dict[str, Any] = field(default_factory=dict)

    def run(self, name: str, args: list[Any]) -> None:
        self.procs[name] = self.started(args, self.local.workdir / f"{name}.log")

    def start(self, own: Endpoint, args: list[str], pod: str | None = None) -> None:
        """`own` with its generated `args`, rewritten for loopback."""
        localized = self.local.localize(args, own, pod or f"{own.name}-0", self.files)
        self.run(own.name, [self.binary, *localized, "--log.level=warn"])

    def start_receives(self) -> None:
        """Every Receive replica of the hashring, each as its StatefulSet pod."""
        args = manifest_args(self.files, f"{KUBE}/thanos-receive.yaml", "StatefulSet")
        for receive in self.local.receives:
            self.start(receive, args, pod=receive.name)

    def start_global(self, env: Environment) -> None:
        """Store gateway, Query and Rule (every topology has them); Rule loads the global tier's rules
        (those the ThanosRuler selects: not the management tier's, which watch the ruler)."""
        rule_dir = self.local.workdir / "rules"
        rule_dir.mkdir()
        rules = []
        for name in sorted(p for p in self.files if p.startswith("prometheus/rules/")):
            crd = yaml.safe_load(self.files[f"{KUBE}/prometheusrule-{Path(name).stem}.yaml"])
            if crd["metadata"]["labels"].get(TIER_LABEL) != "global":
                continue
            (rule_dir / Path(name).name).write_bytes(self.files[name])
            rules.append(str(rule_dir / Path(name).name))
        assert rules, "no global-tier rule files"
        self.start(self.local.store, manifest_args(self.files, f"{KUBE}/thanos-store.yaml", "StatefulSet"))
        self.start(self.local.query, manifest_args(self.files, f"{KUBE}/thanos-query.yaml", "Deployment"))
        self.start(self.local.ruler, thanos.ruler_args(env, rules))

    def exited(self) -> str | None:
        gone = [f"{name} (exit {proc.returncode}, log {self.local.workdir / name}.log)"
                for name, proc in self.procs.items() if proc.poll() is not None]
        return f"{', '.join(gone)} exited" if gone else None

    def wait_ready(self, components: list[Endpoint], began: float) -> None:
        for component in components:
            wait_until(f"thanos {component.name} to be ready (/-/ready)", lambda c=component: ready(c.http), 90,
                       alive=self.exited)
        print(f"ready: {', '.join(c.name for c in components)} in {time.monotonic() - began:.1f}s")

    def query_stores(self) -> dict[str, list[dict[str, Any]]]:
        """Query's healthy endpoints by type (its /api/v1/stores)."""
        answer = get_json(f"http://{self.local.query.http}/api/v1/stores")["data"]
        return {kind: [s for s in stores if not s.get("lastError")] for kind, stores in answer.items()}
