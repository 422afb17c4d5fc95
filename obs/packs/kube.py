"""PromQL and test-series helpers shared by the Kubernetes packs (kube-state-metrics v2, cAdvisor)."""
from __future__ import annotations

import hashlib

from obs import Environment
from obs.promql import by, on, selector
from obs.packs.testdata import cadvisor, ksm, sample_label

POD_UID = "3f1c2b9e-8d1a-4b6f-9f0e-1a2b3c4d5e6f"


def ksm_sel(env: Environment, metric: str, *matchers: str) -> str:
    """`metric{ksm, namespaces, matchers}`."""
    return selector(metric, env.selector("kube_state_metrics"), env.selector("namespaces"), *matchers)


def ksm_max(env: Environment, metric: str, keys: tuple[str, ...], *matchers: str) -> str:
    """`max by (cluster, keys) (metric{ksm, namespaces, matchers})`: one value per object even
    when kube-state-metrics runs as several replicas."""
    return f"max {by(env, *keys)} ({ksm_sel(env, metric, *matchers)})"


def ksm_and(env: Environment, keys: tuple[str, ...], *parts: str) -> str:
    """Parts joined with `and on (cluster, keys)`."""
    return f"\nand {on(env, *keys)}\n".join(f"({part})" for part in parts)


def container_selector(env: Environment, metric: str) -> str:
    """A cAdvisor selector for real containers only: not the pod cgroup (container="") nor the
    pause container some runtimes report as "POD"."""
    return selector(metric, env.selector("cadvisor"), env.selector("namespaces"),
                    'container!=""', 'container!="POD"')


def test_namespace(env: Environment) -> str:
    """The namespace of the packs' test objects: one the environment's `namespaces` selector
    selects (e.g. 'acme' for namespace="acme"), so the cases follow the selector."""
    return sample_label(env, "namespaces", "namespace", "shop")


def pod_series(env: Environment, metric: str, pod: str, **labels: str) -> str:
    """A ksm v2 pod-level series (namespace, pod, uid)."""
    return ksm(env, metric, namespace=test_namespace(env), pod=pod, uid=POD_UID, **labels)


def container_series(env: Environment, metric: str, pod: str, container: str, **labels: str) -> str:
    """A ksm v2 container-level series (namespace, pod, uid, container)."""
    return pod_series(env, metric, pod, container=container, **labels)


def cadvisor_series(env: Environment, metric: str, pod: str, container: str) -> str:
    """A cAdvisor container series as the kubelet exposes it (id, image, name, namespace, pod)."""
    cid = hashlib.sha256(f"{pod}/{container}".encode()).hexdigest()[:12]
    return cadvisor(env, metric, container=container, pod=pod, namespace=test_namespace(env),
                    id=f"/kubepods/burstable/pod{POD_UID}/{cid}", name=cid,
                    image=f"registry.example.com/shop/{container}:1.4.2")


def phase_series(env: Environment, pod: str, timeline: dict[str, str]) -> dict[str, str]:
    """kube_pod_status_phase for all five phases of a pod (ksm emits each as 0 or 1);
    `timeline` gives the values of the phases that are ever 1, the rest stay 0."""
    zeros = _zeros_like(next(iter(timeline.values())))
    return {pod_series(env, "kube_pod_status_phase", pod, phase=phase): timeline.get(phase, zeros)
            for phase in ("Pending", "Running", "Succeeded", "Failed", "Unknown")}


def _zeros_like(values: str) -> str:
    """A zero series as long as a promtool value string such as '1x10 0x50'."""
    total = 0
    for part in values.split():
        total += int(part.split("x")[1]) + 1 if "x" in part else 1
    return f"0x{total - 1}"
