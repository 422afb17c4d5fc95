"""Every Kubernetes manifest of the reference bundle (both environments) against real schemas:
core objects with kubernetes-validate (strict), custom resources against the vendored CRDs'
openAPIV3Schema (tests/schemas/crds, see its NOTICE), unknown fields rejected."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from obs.errors import ValidationError
from obs.validate.schemas import KUBERNETES_VERSION, CRDSchemas, check_manifests, manifests, object_errors

CRD_DIR = Path(__file__).parent / "schemas" / "crds"
CUSTOM_KINDS = {"PrometheusRule", "ServiceMonitor", "PodMonitor", "AlertmanagerConfig", "OpenTelemetryCollector",
                "Instrumentation", "AnalysisTemplate", "ThanosRuler"}


@pytest.fixture(scope="module")
def crds() -> CRDSchemas:
    return CRDSchemas(CRD_DIR)


@pytest.fixture(scope="module")
def every_object(reference_folders) -> dict[str, list[dict]]:
    """kind -> every reference object of that kind."""
    found: dict[str, list[dict]] = {}
    for folder in reference_folders:
        for _, obj in manifests(folder):
            found.setdefault(obj["kind"], []).append(obj)
    return found


@pytest.fixture(scope="module")
def objects(every_object) -> dict[str, dict]:
    return {kind: found[0] for kind, found in every_object.items()}


def mutated(candidates: list[dict], mutate) -> dict:
    """A copy of the first object `mutate` applies to (e.g. the first ServiceMonitor with relabelings)."""
    for obj in candidates:
        broken = copy.deepcopy(obj)
        try:
            mutate(broken)
        except (KeyError, IndexError):
            continue
        return broken
    raise AssertionError("no object to break")


def test_every_reference_manifest_matches_its_schema(reference_folders, crds):
    count = check_manifests(reference_folders, crds)
    assert count >= 60


def test_the_reference_bundle_covers_every_custom_kind_and_core_workloads(objects, crds):
    # Each custom kind the issue names is generated (else its schema check would prove nothing),
    # except the v1alpha1 OpenTelemetryCollector, which obs does not emit.
    assert CUSTOM_KINDS - {"OpenTelemetryCollector"} <= set(objects)
    assert {"StatefulSet", "DaemonSet", "Service", "ConfigMap", "PodDisruptionBudget", "ClusterRole"} <= set(objects)
    for kind in CUSTOM_KINDS & set(objects):
        assert crds.get(objects[kind]["apiVersion"], kind) is not None, kind


def test_the_operator_collector_resource_matches_its_crd(reference_bundle, crds):
    # The reference emits plain manifests; the Operator output must be valid too.
    from dataclasses import replace
    from obs.collector.kubernetes import operator_resource
    from obs.render.base import RenderContext
    env = reference_bundle.environments[-1]
    ctx = RenderContext(reference_bundle, env, reference_bundle.definitions(env))
    for collector in ctx.defs.collectors:
        resource = operator_resource(ctx, replace(collector, output="operator"))
        assert object_errors(resource, crds) == [], collector.name


@pytest.mark.parametrize("kind", sorted(CUSTOM_KINDS - {"OpenTelemetryCollector"}))
def test_an_unknown_field_in_a_custom_resource_fails(objects, crds, kind):
    broken = copy.deepcopy(objects[kind])
    broken["spec"]["obsTypo"] = True
    assert any("obsTypo" in p for p in object_errors(broken, crds))


@pytest.mark.parametrize("kind,mutate,expected", [
    ("ServiceMonitor", lambda o: o["spec"]["endpoints"][0].update(intervall="30s"), "intervall"),
    ("ServiceMonitor", lambda o: o["spec"]["endpoints"][0]["relabelings"][0].update(action="rename"), "rename"),
    ("AlertmanagerConfig", lambda o: o["spec"]["route"]["routes"][1].update(recever="pager"), "recever"),
    ("AlertmanagerConfig", lambda o: o["spec"]["route"]["routes"][1]["matchers"][0].update(matchType="=="), "=="),
    ("AlertmanagerConfig", lambda o: o["spec"]["receivers"][2]["pagerdutyConfigs"][0].update(routingKey="inline"),
     "inline"),
    ("AnalysisTemplate", lambda o: o["spec"]["metrics"][0]["provider"]["prometheus"].update(querry="up"), "querry"),
    ("AnalysisTemplate", lambda o: o["spec"]["metrics"][0].update(successCondition=1), "successCondition"),
    ("PrometheusRule", lambda o: o["spec"]["groups"][0]["rules"][0].update(expression="up"), "expression"),
    ("Instrumentation", lambda o: o["spec"].update(sampler={"type": "sometimes"}), "sometimes"),
    ("PodDisruptionBudget", lambda o: o["spec"].update(maxUnavailble=1), "maxUnavailble"),
    ("StatefulSet", lambda o: o["spec"]["template"]["spec"]["containers"][0].update(imagePullPolcy="Always"),
     "imagePullPolcy"),
    ("Service", lambda o: o["spec"]["ports"][0].update(port="http"), "http"),
    ("ConfigMap", lambda o: o["metadata"].update(lables={}), "lables"),
    ("AnalysisTemplate", lambda o: o["metadata"].update(lables={}), "lables"),
])
def test_a_broken_field_fails_naming_it(every_object, crds, kind, mutate, expected):
    broken = mutated(every_object[kind], mutate)
    problems = object_errors(broken, crds)
    assert problems and any(expected in p for p in problems), problems


def test_check_manifests_names_the_file_and_object(reference_folders, crds, tmp_path):
    import shutil
    folder = tmp_path / reference_folders[0].name
    shutil.copytree(reference_folders[0], folder)
    path = next((folder / "kubernetes").glob("servicemonitor-*.yaml"))
    path.write_text(path.read_text().replace("interval: 30s", "interval: 30s\n      scrapeTimeoutt: 10s"))
    where = rf"ServiceMonitor .* in {folder.name}/kubernetes/{path.name}: .*scrapeTimeoutt"
    with pytest.raises(ValidationError, match=where):
        check_manifests([folder], crds)


def test_an_object_no_schema_knows_fails(crds):
    problems = object_errors({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, crds)
    assert problems and "no schema" in problems[0]
    assert KUBERNETES_VERSION.startswith("1.")
