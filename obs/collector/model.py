"""The typed collector model: components, pipelines, service telemetry and the collector itself.

Pipelines hold component objects, so a pipeline cannot reference an undefined component; the
collector gathers its components from its pipelines. Every check runs on construction and raises
DefinitionError naming the collector, the field and the fix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal, Mapping, Sequence

from obs.collector.checks import ENV_REF_RE, check_config, check_env_refs, check_type, walk
from obs.collector.registry import SIGNALS, ComponentSpec, Kind, Signal, spec
from obs.errors import DefinitionError
from obs import secrets
from obs.model.checks import check_items, check_k8s_name, check_number, check_port, check_port_name, check_slug, frozen_mapping

Workload = Literal["daemonset", "statefulset", "deployment"]
Output = Literal["manifests", "operator"]
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*(/[A-Za-z0-9_.-]+)?\Z")
_PIPELINE_RE = re.compile(r"^(traces|metrics|logs)(/[A-Za-z0-9_.-]+)?\Z")
_LEVELS = ("none", "basic", "normal", "detailed")
# Environment variables every obs-rendered collector pod provides.
BUILTIN_ENV = ("MY_POD_IP", "K8S_NODE_NAME", "K8S_POD_NAME", "K8S_NAMESPACE", "GOMEMLIMIT")


def _freeze(value: Any) -> Any:
    """Read-only copy of nested config (dicts become mappings, lists tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists again, for rendering."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Component:
    """A configured component: `id` is the type, optionally with a name ('otlp_grpc/tempo')."""

    id: str
    config: Mapping[str, Any] = field(default_factory=dict)
    kind: ClassVar[Kind]

    @property
    def type(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def definition(self) -> str:
        return f"{self.kind} {self.id!r}"

    @property
    def spec(self) -> ComponentSpec:
        found = spec(self.kind, self.type)
        assert found is not None  # checked on construction
        return found

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID_RE.match(self.id):
            raise DefinitionError(self.definition, "id", f"{self.id!r} is not a component id",
                                  "write the type, optionally '/name', e.g. 'otlp_grpc/tempo'")
        check_type(self.definition, self.kind, self.type)
        if not isinstance(self.config, Mapping):
            raise DefinitionError(self.definition, "config", f"is a {type(self.config).__name__}",
                                  "give the component's settings as a dict")
        check_config(self.definition, self.kind, self.type, self.config)
        object.__setattr__(self, "config", _freeze(self.config))

    def handles(self, signal: Signal, as_: Literal["receiver", "exporter"] | None = None) -> bool:
        """Whether this component can sit in a `signal` pipeline (a connector: on the given side)."""
        if self.kind != "connector":
            return signal in self.spec.signals
        side = 0 if as_ == "exporter" else 1
        return any(pair[side] == signal for pair in self.spec.connects)


class Receiver(Component):
    kind: ClassVar[Kind] = "receiver"


class Processor(Component):
    kind: ClassVar[Kind] = "processor"


class Exporter(Component):
    kind: ClassVar[Kind] = "exporter"


class Extension(Component):
    kind: ClassVar[Kind] = "extension"


class Connector(Component):
    kind: ClassVar[Kind] = "connector"


COMPONENT_CLASSES: Mapping[Kind, type[Component]] = MappingProxyType({
    "receiver": Receiver, "processor": Processor, "exporter": Exporter,
    "extension": Extension, "connector": Connector})


@dataclass(frozen=True)
class Pipeline:
    """A service pipeline, named by signal ('traces') or signal/name ('traces/tail')."""

    name: str
    receivers: Sequence[Receiver | Connector]
    exporters: Sequence[Exporter | Connector]
    processors: Sequence[Processor] = ()

    @property
    def definition(self) -> str:
        return f"pipeline {self.name!r}"

    @property
    def signal(self) -> Signal:
        return self.name.split("/", 1)[0]  # type: ignore[return-value]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _PIPELINE_RE.match(self.name):
            raise DefinitionError(self.definition, "name", f"{self.name!r} is not a pipeline name",
                                  f"start with one of {', '.join(SIGNALS)}, optionally '/name', e.g. 'traces/tail'")
        for role, allowed in (("receivers", (Receiver, Connector)), ("processors", (Processor,)),
                              ("exporters", (Exporter, Connector))):
            items = tuple(getattr(self, role))
            object.__setattr__(self, role, items)
            if not items and role != "processors":
                raise DefinitionError(self.definition, role, "is empty", f"add at least one of the {role}")
            seen: set[str] = set()
            for item in items:
                if not isinstance(item, allowed):
                    names = " or ".join(a.__name__ for a in allowed)
                    raise DefinitionError(self.definition, role, f"{item!r} is not a {names}",
                                          f"put only {names} objects in {role}")
                if item.id in seen:
                    raise DefinitionError(self.definition, role, f"{item.id!r} is listed twice", "list it once")
                seen.add(item.id)
                side = "exporter" if role == "exporters" else "receiver"
                if not item.handles(self.signal, side):  # type: ignore[arg-type]
                    raise DefinitionError(
                        self.definition, role, f"{item.kind} {item.id!r} does not support {self.signal}",
                        f"{item.type} supports {_supported(item, side)}; move it to such a pipeline")
        self._check_order()

    def _check_order(self) -> None:
        types = [p.type for p in self.processors]
        if "memory_limiter" in types and types[0] != "memory_limiter":
            raise DefinitionError(self.definition, "processors", "memory_limiter is not first",
                                  "put memory_limiter first, so it refuses data before others buffer it")
        if "batch" in types and types[-1] != "batch":
            raise DefinitionError(self.definition, "processors", "batch is not last",
                                  "put batch last, right before the exporters")
        if "tail_sampling" in types and "k8s_attributes" in types[types.index("tail_sampling"):]:
            raise DefinitionError(self.definition, "processors", "k8s_attributes runs after tail_sampling",
                                  "put k8s_attributes before tail_sampling so policies can use pod metadata")


def _supported(item: Component, side: str) -> str:
    if item.kind == "connector":
        index = 0 if side == "exporter" else 1
        return ", ".join(sorted({pair[index] for pair in item.spec.connects}))
    return ", ".join(item.spec.signals)


@dataclass(frozen=True)
class Telemetry:
    """The collector's own telemetry: metrics served for Prometheus through a pull reader
    (`readers`, not the removed `metrics.address`), logs at a level. `extra` is merged into the
    rendered `service.telemetry` verbatim."""

    metrics_level: str = "normal"
    metrics_host: str = "${env:MY_POD_IP}"
    metrics_port: int = 8888
    logs_level: str = "info"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        what = "service telemetry"
        if self.metrics_level not in _LEVELS:
            raise DefinitionError(what, "metrics_level", f"{self.metrics_level!r} is not a level",
                                  f"use one of {', '.join(_LEVELS)}")
        check_port(what, "metrics_port", self.metrics_port)
        metrics = self.extra.get("metrics", {}) if isinstance(self.extra, Mapping) else {}
        if isinstance(metrics, Mapping) and "address" in metrics:
            raise DefinitionError(what, "metrics.address", "was removed from service.telemetry",
                                  "use metrics.readers with a pull prometheus exporter (host, port); "
                                  "obs renders it from Telemetry(metrics_host, metrics_port)")
        check_env_refs(what, "extra", self.extra)
        object.__setattr__(self, "extra", _freeze(self.extra))


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable filled from a key of a Kubernetes Secret."""

    secret: str
    key: str


TOLERATION_KEYS = {"key", "operator", "value", "effect"}


@dataclass(frozen=True)
class Collector:
    """One collector deployment: its pipelines, extensions, telemetry and the pod around it.
    `host_paths` maps mount path -> node path mounted read-only; `state_paths` the same, writable
    (created on the node if missing), e.g. for file_storage checkpoints that survive restarts.

    Output is plain Kubernetes manifests (`output='manifests'`) or an OpenTelemetryCollector
    v1beta1 resource for the OpenTelemetry Operator (`output='operator'`)."""

    name: str
    workload: Workload
    pipelines: Sequence[Pipeline]
    extensions: Sequence[Extension] = ()
    telemetry: Telemetry = field(default_factory=Telemetry)
    replicas: int = 1
    memory_limit_mib: int = 512
    cpu_limit: str = "1"
    image: str = ""
    ports: Mapping[str, int] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, SecretEnv] = field(default_factory=dict)
    host_paths: Mapping[str, str] = field(default_factory=dict)
    state_paths: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, str]] = ()
    output: Output = "manifests"
    # Replicated gateways (deployment/statefulset, replicas > 1): a PodDisruptionBudget letting this
    # many pods go at once (None: no PDB), and pods spread over nodes (hard) and zones (soft).
    max_unavailable: int | None = 1
    spread: bool = True

    @property
    def definition(self) -> str:
        return f"collector {self.name!r}"

    def __post_init__(self) -> None:
        check_slug(self.definition, "name", self.name)
        if self.workload not in ("daemonset", "statefulset", "deployment"):
            raise DefinitionError(self.definition, "workload", f"{self.workload!r} is not a workload kind",
                                  "use 'daemonset', 'statefulset' or 'deployment'")
        if self.output not in ("manifests", "operator"):
            raise DefinitionError(self.definition, "output", f"{self.output!r} is not an output",
                                  "use 'manifests' or 'operator'")
        check_number(self.definition, "replicas", self.replicas, 1, integer=True)
        self._check_availability()
        check_number(self.definition, "memory_limit_mib", self.memory_limit_mib, 64, integer=True)
        self._check_derived_names()
        for name in ("pipelines", "extensions"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "tolerations", tuple(frozen_mapping(t) for t in self.tolerations))
        for toleration in self.tolerations:
            if toleration.get("operator") not in ("Exists", "Equal") or not set(toleration) <= TOLERATION_KEYS:
                raise DefinitionError(self.definition, "tolerations", f"{dict(toleration)!r} is not a toleration",
                                      "write e.g. {'operator': 'Exists'} (keys: key, operator, value, effect)")
        for name in ("ports", "env", "secrets", "host_paths", "state_paths"):
            object.__setattr__(self, name, frozen_mapping(getattr(self, name)))
        for port_name, port in self.ports.items():
            check_port_name(self.definition, f"ports[{port_name!r}]", port_name)
            check_port(self.definition, f"ports[{port_name!r}]", port)
        if not self.pipelines:
            raise DefinitionError(self.definition, "pipelines", "is empty", "add at least one Pipeline")
        if len({p.name for p in self.pipelines}) != len(self.pipelines):
            raise DefinitionError(self.definition, "pipelines", "two pipelines share a name",
                                  "name them signal/purpose, e.g. 'traces/tail'")
        check_items(self.definition, "extensions", self.extensions, Extension)
        for pipeline in self.pipelines:
            if not pipeline.processors or pipeline.processors[0].type != "memory_limiter":
                raise DefinitionError(self.definition, f"pipelines[{pipeline.name!r}].processors",
                                      "does not start with memory_limiter",
                                      "add Processor('memory_limiter', ...) first in every pipeline")
        self.components()  # raises on conflicting definitions of one id
        if self.uses("tail_sampling") and self.workload == "deployment" and self.replicas > 1:
            raise DefinitionError(self.definition, "workload", "tail_sampling on a Deployment with "
                                  f"{self.replicas} replicas splits traces between replicas",
                                  "use workload='statefulset' (obs adds a headless Service) and route traces "
                                  "to it with a loadbalancing exporter keyed by traceID")
        self._check_connectors()
        self._check_env()

    def _check_derived_names(self) -> None:
        """The Kubernetes names obs derives from `name` (Service, headless Service) fit in 63 characters."""
        service = f"{self.name}-collector" if self.output == "operator" else self.name
        check_k8s_name(self.definition, "name", service, "Service")
        if self.workload == "statefulset":
            check_k8s_name(self.definition, "name", f"{service}-headless", "headless Service")

    def _check_availability(self) -> None:
        value = self.max_unavailable
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise DefinitionError(self.definition, "max_unavailable", f"{value!r} is not a pod count >= 1",
                                  "give the pods a drain may take at once (e.g. 1), or None for no PDB")
        if value is not None and self.replicated and value >= self.replicas:
            raise DefinitionError(self.definition, "max_unavailable", f"{value} of {self.replicas} replicas may "
                                  "go at once, so the PodDisruptionBudget protects nothing",
                                  f"use at most {self.replicas - 1}, or None for no PDB")
        if not isinstance(self.spread, bool):
            raise DefinitionError(self.definition, "spread", f"{self.spread!r} is not True or False")

    @property
    def replicated(self) -> bool:
        """A gateway with several replicas (a DaemonSet has one pod per node instead)."""
        return self.workload != "daemonset" and self.replicas > 1

    def components(self) -> dict[Kind, dict[str, Component]]:
        """Every component by kind and id, in first-use order; one id must have one config."""
        found: dict[Kind, dict[str, Component]] = {k: {} for k in COMPONENT_CLASSES}
        every = [c for p in self.pipelines for c in (*p.receivers, *p.processors, *p.exporters)]
        for component in [*every, *self.extensions]:
            known = found[component.kind].setdefault(component.id, component)
            if known != component:
                raise DefinitionError(self.definition, f"{component.kind}s",
                                      f"{component.id!r} is used with two different configs",
                                      "give each config its own id, e.g. 'otlp_grpc/tempo'")
        return found

    def _check_connectors(self) -> None:
        for connector in self.components()["connector"].values():
            feeds = [p for p in self.pipelines if connector in p.exporters]
            reads = [p for p in self.pipelines if connector in p.receivers]
            if not feeds or not reads:
                raise DefinitionError(self.definition, "pipelines", f"connector {connector.id!r} is used on one "
                                      "side only", "use it as an exporter of one pipeline and a receiver of another")

    def env_refs(self) -> set[str]:
        """Names of every ${env:NAME} the rendered config references: the components' configs and the
        telemetry settings are all the strings it holds besides ids (obs.collector.config renders them)."""
        t = self.telemetry
        held = [[thaw(c.config) for kind in self.components().values() for c in kind.values()],
                [t.metrics_level, t.metrics_host, t.logs_level, thaw(t.extra)]]
        return {m.group(1) for _, v in walk(held) if isinstance(v, str) for m in ENV_REF_RE.finditer(v)}

    def _check_env(self) -> None:
        provided = {*BUILTIN_ENV, *self.env, *self.secrets}
        missing = sorted(self.env_refs() - provided)
        if missing:
            raise DefinitionError(self.definition, "secrets", f"the config references ${{env:{missing[0]}}} "
                                  "but the pod does not set it",
                                  f"add {missing[0]!r} to secrets=(SecretEnv(...)) or env=")
        for name, value in self.env.items():
            if isinstance(value, SecretEnv) or not isinstance(value, str):
                raise DefinitionError(self.definition, f"env[{name!r}]", "is not a string",
                                      "put secrets in secrets=, plain values in env=")
            if secrets.secret_problem(name, value):
                raise DefinitionError(self.definition, f"env[{name!r}]", secrets.secret_problem(name, value) or "",
                                      "put it in a Kubernetes Secret and list it in secrets={NAME: SecretEnv(...)}")
        for name, secret in self.secrets.items():
            if not isinstance(secret, SecretEnv):
                raise DefinitionError(self.definition, f"secrets[{name!r}]", "is not a SecretEnv",
                                      "write SecretEnv(secret='name', key='key')")

    def uses(self, type_: str) -> bool:
        """Whether any component of this type is configured."""
        return any(c.type == type_ for kind in self.components().values() for c in kind.values())
