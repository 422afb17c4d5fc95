"""Issue 13: property-based tests over the model. Random names, labels, annotations, numbers and
durations either raise DefinitionError or give output that promtool (check rules and the unit
tests, batched per example), the YAML/JSON parsers and the Kubernetes schemas and name rules accept, and
that round-trips exactly. Deterministic (derandomize) and bounded, for a stable CI."""
from __future__ import annotations

import functools
import json
import math
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is in the test extra: pip install -e '.[test]'")
from hypothesis import HealthCheck, Phase, event, given, settings, strategies as st  # noqa: E402

from obs import AlertRule, AlertTest, Bundle, Definitions, Environment, FiringAlert, RuleGroup, RulePack  # noqa: E402
from obs.collector import Collector, Pipeline, Processor, Receiver, Exporter  # noqa: E402
from obs.errors import DefinitionError  # noqa: E402
from obs.model.checks import check_duration  # noqa: E402
from obs.pipeline import render  # noqa: E402
from obs.promql import series  # noqa: E402
from obs.serialize import to_json, to_yaml  # noqa: E402

def bounded(max_examples: int) -> settings:
    """Deterministic (derandomize, no example database), no per-example deadline, few examples."""
    return settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure stays quick to report
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


# Kubernetes' own rules (apimachinery validation), written here independently of obs's checks.
K8S_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # RFC 1123 label, plus len <= 63 below
K8S_SUBDOMAIN_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def mostly(valid: st.SearchStrategy, hostile: st.SearchStrategy) -> st.SearchStrategy:
    """Nine draws in ten from `valid`, so most examples get past the model to the tools."""
    return st.integers(0, 9).flatmap(lambda pick: hostile if pick == 7 else valid)  # not 0: shrinks go there


# Names: mostly valid shapes, with hostile text mixed in.
label_names = mostly(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), st.text(max_size=6))
hostile_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24)
label_values = st.one_of(hostile_text, st.sampled_from(['a"b', "a\\b", "line\nbreak", "tr \n", "x\r\ny",
                                                         "u\u2028v", "w\x85z", "{{ $x }}", "${env:X}", "'", ": -"]))
durations = mostly(st.sampled_from(["5m", "1h30m", "0", "90s", "2h", "1m1s"]),
                   st.text(alphabet="0123456789.ywdhms -", min_size=0, max_size=6))
alert_names = mostly(st.from_regex(r"[A-Z][a-zA-Z0-9]{0,15}", fullmatch=True), st.text(max_size=8))
numbers = mostly(st.integers(1, 5000), st.one_of(st.integers(-3, 70000), st.floats(allow_nan=True,
                                                                                   allow_infinity=True),
                                                 st.booleans()))


@functools.lru_cache(maxsize=1)
def crds() -> Any:
    from obs.validate.schemas import CRDSchemas
    return CRDSchemas(Path(__file__).parent / "schemas" / "crds")


def assert_schema_valid(obj: dict[str, Any]) -> None:
    """The object against the real Kubernetes schemas (kubernetes-validate; CRDs' openAPIV3Schema)."""
    from obs.validate.schemas import object_errors
    assert object_errors(obj, crds()) == [], (obj["kind"], obj["metadata"].get("name"))


def yaml_round_trips(content: bytes) -> Any:
    data = yaml.safe_load(content)
    assert to_yaml(data) == content, "re-serialising the parsed file changes it"
    return data


@st.composite
def alerts(draw: st.DrawFn) -> dict[str, Any]:
    job = draw(label_values)
    return {"name": draw(alert_names), "for_": draw(durations), "job": job,
            "labels": draw(st.dictionaries(label_names, label_values, max_size=3)),
            "annotations": draw(st.dictionaries(label_names, label_values, max_size=2)),
            "summary": draw(st.one_of(st.just("Targets are down"), hostile_text))}


def make_alert(spec: dict[str, Any], index: int) -> AlertRule:
    """An alert whose generated promtool test feeds a series with the hostile job value and
    expects exactly that value back in the alert's labels and description."""
    job = spec["job"]
    up = series("up", cluster="c1", job=job, instance="a:80")
    return AlertRule(
        name=spec["name"], expr="max by (cluster, job) (up) == 0", severity="warning", for_=spec["for_"],
        summary=spec["summary"], description="job {{ $labels.job }} is down", labels=spec["labels"],
        annotations=spec["annotations"],
        tests=[AlertTest(f"down{index}", {up: "0x200"}, at="3h",
                         fires=[FiringAlert({"cluster": "c1", "job": job}, f"job {job} is down")])])


def promtool(promtool_bin: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(promtool_bin), *map(str, args)], capture_output=True, text=True, timeout=60)


@pytest.mark.tools
@bounded(30)
@given(specs=st.lists(alerts(), min_size=1, max_size=3),
       cluster=mostly(st.sampled_from(["prod-1", "eu/west:1.a"]), hostile_text))
def test_random_alerts_are_rejected_or_pass_promtool_and_round_trip(promtool_bin, specs, cluster):
    try:
        env = Environment("dev", cluster=cluster)
        rules = [make_alert(spec, i) for i, spec in enumerate(specs)]
        group = RuleGroup("random.rules", rules)
        pack = RulePack("random", [group])
    except DefinitionError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        event(f"rejected: {exc.field}")
        return
    bundle = Bundle(name="random", environments=[env], define=lambda e: Definitions(rule_packs=[pack]))
    try:
        (result,) = render(bundle)
    except DefinitionError:
        return
    for path, content in result.files.items():
        data = yaml_round_trips(content) if path.endswith(".yaml") else json.loads(content)
        if path.startswith("kubernetes/"):
            for doc in yaml.safe_load_all(content):
                assert K8S_SUBDOMAIN_RE.match(doc["metadata"]["name"]), doc["metadata"]["name"]
                if doc["kind"] != "Kustomization":
                    assert_schema_valid(doc)
        if path == "prometheus/rules/random.yaml":
            written = data["groups"][0]["rules"]
            for spec, rule in zip(specs, written):
                assert rule["labels"] == {"severity": "warning", **spec["labels"]}
                assert {k: rule["annotations"][k] for k in spec["annotations"]} == spec["annotations"]
    with tempfile.TemporaryDirectory(prefix="obs-prop-") as tmp:
        for path, content in result.files.items():
            (Path(tmp) / path).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / path).write_bytes(content)
        checked = promtool(promtool_bin, "check", "rules", Path(tmp) / "prometheus/rules/random.yaml")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        tested = promtool(promtool_bin, "test", "rules", Path(tmp) / "prometheus/tests/random.test.yaml")
        assert tested.returncode == 0, tested.stdout + tested.stderr
    event("rendered, checked and unit-tested by promtool")


def obs_accepts(value: str) -> bool:
    try:
        check_duration("d", "d", value)
    except DefinitionError:
        return False
    return True


@pytest.mark.tools
@bounded(3)
@given(st.lists(st.text(alphabet="0123456789.ywdhms", min_size=1, max_size=7), min_size=60, max_size=60,
                unique=True))
def test_obs_duration_check_agrees_with_promtool(promtool_bin, candidates):
    candidates = sorted(set(candidates) | {"1h30m", "1.5h", "30m1h", "0", "5m5m", "1ms", "1y1ms", "01m"})
    with tempfile.TemporaryDirectory(prefix="obs-dur-") as tmp:
        files = {}
        for index, value in enumerate(candidates):
            path = Path(tmp) / f"d{index}.yaml"
            path.write_bytes(to_yaml({"groups": [{"name": "g", "rules": [
                {"alert": "A", "expr": "up == 0", "for": value}]}]}))
            files[path.name] = value
        result = promtool(promtool_bin, "check", "rules", *sorted(Path(tmp).iterdir()))
    accepted = set(re.findall(r"Checking \S*/(d[0-9]+\.yaml)\n  SUCCESS", result.stdout))
    disagreements = {v: (name in accepted, obs_accepts(v)) for name, v in files.items()
                     if (name in accepted) != obs_accepts(v)}
    assert disagreements == {}, "(promtool, obs) disagree"


@bounded(150)
@given(st.recursive(st.one_of(hostile_text, st.integers(), st.booleans(), st.none(),
                              st.floats(allow_nan=False, allow_infinity=False)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(hostile_text, inner, max_size=3)), max_leaves=8))
def test_the_yaml_and_json_writers_round_trip_any_data(data):
    assert yaml.safe_load(to_yaml(data)) == data
    assert json.loads(to_json(data)) == data
    # the direct JSON emitter writes json's own indented bytes
    assert to_json(data) == (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


LIMITER = Processor("memory_limiter", {"check_interval": "1s", "limit_percentage": 80})
OTLP = Receiver("otlp", {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"}}})


@bounded(60)
@given(name=mostly(st.from_regex(r"[a-z][a-z0-9-]{0,70}", fullmatch=True), hostile_text),
       workload=st.sampled_from(["deployment", "statefulset", "daemonset"]),
       output=st.sampled_from(["manifests", "operator"]), replicas=numbers, memory=numbers, port=numbers,
       queue=numbers)
def test_random_collectors_are_rejected_or_give_valid_kubernetes_objects(name, workload, output, replicas,
                                                                         memory, port, queue):
    from obs.collector.kubernetes import manifests
    from obs.render.base import RenderContext
    try:
        exporter = Exporter("otlp_grpc/t", {"endpoint": "tempo.monitoring.svc:4317", "tls": {"insecure": True},
                                            "sending_queue": {"queue_size": queue}})
        collector = Collector(name, workload, [Pipeline("traces", [OTLP], [exporter], [LIMITER])],
                              replicas=replicas, memory_limit_mib=memory, ports={"otlp": port}, output=output)
    except DefinitionError as exc:
        assert "Traceback" not in str(exc)
        event(f"rejected: {exc.field}")
        return
    event("rendered")
    assert not isinstance(replicas, bool) and replicas >= 1 and not isinstance(port, bool) and 0 < port < 65536
    assert not (isinstance(queue, float) and not math.isfinite(queue))
    env = Environment("dev", cluster="dev-1")
    bundle = Bundle(name="p", environments=[env], define=lambda e: Definitions(collectors=[collector]))
    ctx = RenderContext(bundle=bundle, env=env, defs=bundle.definitions(env))
    try:
        docs = manifests(ctx, collector)
    except DefinitionError as exc:  # e.g. a Service port no receiver listens on
        event(f"rejected at render: {exc.field}")
        return
    for doc in docs:
        data = yaml_round_trips(to_yaml(doc))
        name_re = K8S_NAME_RE if data["kind"] in ("Service", "DaemonSet", "Deployment", "StatefulSet") \
            else K8S_SUBDOMAIN_RE
        assert_schema_valid(data)
        name = data["metadata"]["name"]
        assert name_re.match(name) and (name_re is K8S_SUBDOMAIN_RE or len(name) <= 63), (data["kind"], name)
