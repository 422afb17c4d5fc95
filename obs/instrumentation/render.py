"""Instrumentation files per service: env vars, language snippet (Python: a module and a
declarative SDK config), workload opt-in annotations, and one OTel Operator Instrumentation."""
from __future__ import annotations

from importlib import resources
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

from obs.collector.names import service_name
from obs.errors import DefinitionError
from obs.instrumentation.model import Instrumentation, Service
from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import KUBERNETES_DIR, object_metadata
from obs.render.layout import base_dir

DIR = "instrumentation"
JAVA_AGENT_VERSION = "2.20.1"
DECLARATIVE_FORMAT = "1.0"
# Protocol each language's SDK or agent uses: Python and Go over HTTP (4318), Java and Node.js
# over gRPC (4317), as the OTel Operator's auto-instrumentation images expect.
PROTOCOLS = {"python": "http/protobuf", "go": "http/protobuf", "java": "grpc", "nodejs": "grpc"}
SNIPPETS = {"java": "java-agent.sh", "nodejs": "otel.js", "go": "otel.go"}
EXTRA_ENV = {
    "java": {"JAVA_TOOL_OPTIONS": "-javaagent:/otel/opentelemetry-javaagent.jar"},
    "nodejs": {"NODE_OPTIONS": "--require ./otel.js"},
}


def endpoint(inst: Instrumentation, language: str) -> str:
    return inst.http_endpoint if PROTOCOLS[language] == "http/protobuf" else inst.grpc_endpoint


def resource_attributes(ctx: RenderContext, service: Service) -> dict[str, str]:
    """Resource attributes obs knows from the definitions (k8s.* come from the collector)."""
    attrs = {"service.namespace": service.namespace, "deployment.environment.name": ctx.env.name}
    if service.version:
        attrs["service.version"] = service.version
    return attrs


def env_vars(ctx: RenderContext, inst: Instrumentation, service: Service) -> dict[str, str]:
    """The OTEL_* variables a container needs to export all three signals to the collector."""
    out = {
        "OTEL_SERVICE_NAME": service.name,
        "OTEL_RESOURCE_ATTRIBUTES": ",".join(f"{k}={v}" for k, v in resource_attributes(ctx, service).items()),
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint(inst, service.language),
        "OTEL_EXPORTER_OTLP_PROTOCOL": PROTOCOLS[service.language],
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_TRACES_SAMPLER": inst.sampler,
        "OTEL_PROPAGATORS": ",".join(inst.propagators),
        "OTEL_SEMCONV_STABILITY_OPT_IN": "http",
        "OTEL_METRIC_EXPORT_INTERVAL": "15000",
    }
    if "traceidratio" in inst.sampler:
        out["OTEL_TRACES_SAMPLER_ARG"] = f"{inst.sampler_ratio:g}"
    out.update(EXTRA_ENV.get(service.language, {}))
    return out


def pod_annotations(ctx: RenderContext, inst: Instrumentation, service: Service) -> dict[str, str]:
    """Pod-template annotations that opt a workload into the operator's injection."""
    ref = f"{ctx.env.namespace}/{inst.name}"
    out = {f"instrumentation.opentelemetry.io/inject-{service.language}": ref}
    if service.language == "go":
        out["instrumentation.opentelemetry.io/otel-go-auto-target-exe"] = f"/app/{service.name}"
    return out


def _bake(source: str, marker: str, values: dict[str, str]) -> str:
    """Replace the empty `marker` dict of the runtime template by `values`."""
    if source.count(f"{marker}: dict[str, str] = {{}}") != 1:  # pragma: no cover - guards the template
        raise RuntimeError(f"python_runtime.py lost its {marker} marker")
    body = f"{marker}: dict[str, str] = {{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in values.items()) + "}"
    return source.replace(f"{marker}: dict[str, str] = {{}}", body, 1)


def python_module(ctx: RenderContext, inst: Instrumentation, service: Service) -> str:
    """The rendered otel_setup.py: the runtime module with this service's defaults baked in
    (resource attributes, and every OTEL_* variable of env.yaml but the resource ones)."""
    source = resources.files("obs.instrumentation").joinpath("python_runtime.py").read_text()
    env = {k: v for k, v in env_vars(ctx, inst, service).items()
           if k not in ("OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES")}
    source = _bake(source, "ENV_DEFAULTS", env)
    return _bake(source, "DEFAULTS", {"service.name": service.name, **resource_attributes(ctx, service)})


def _sampler(inst: Instrumentation) -> dict[str, Any]:
    ratio = {"trace_id_ratio_based": {"ratio": float(inst.sampler_ratio)}}
    simple: dict[str, dict[str, Any]] = {"always_on": {"always_on": None}, "always_off": {"always_off": None}, "traceidratio": ratio}
    if inst.sampler in simple:
        return simple[inst.sampler]
    root = simple[inst.sampler.removeprefix("parentbased_")]
    return {"parent_based": {"root": root}}


def declarative_config(ctx: RenderContext, inst: Instrumentation, service: Service) -> dict[str, Any]:
    """An opentelemetry-configuration file (OTEL_CONFIG_FILE) equivalent to the Python module."""
    base = "${OTEL_EXPORTER_OTLP_ENDPOINT:-" + inst.http_endpoint + "}"

    def exporter(signal: str) -> dict[str, Any]:
        return {"otlp_http": {"endpoint": f"{base}/v1/{signal}", "encoding": "protobuf"}}

    attributes = [{"name": "service.name", "value": "${OTEL_SERVICE_NAME:-" + service.name + "}"}]
    attributes += [{"name": k, "value": v} for k, v in resource_attributes(ctx, service).items()]
    buckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
    return {
        "file_format": DECLARATIVE_FORMAT,
        "resource": {"attributes": attributes, "attributes_list": "${OTEL_RESOURCE_ATTRIBUTES:-}"},
        "propagator": {"composite": [{name: None} for name in inst.propagators]},
        "tracer_provider": {
            "processors": [{"batch": {"exporter": exporter("traces")}}],
            "sampler": _sampler(inst),
        },
        "meter_provider": {
            "readers": [{"periodic": {"interval": 15000, "exporter": exporter("metrics")}}],
            "views": [{
                "selector": {"instrument_name": "http.server.request.duration", "instrument_type": "histogram"},
                "stream": {"aggregation": {"explicit_bucket_histogram": {"boundaries": buckets}}},
            }],
        },
        "logger_provider": {"processors": [{"batch": {"exporter": exporter("logs")}}]},
    }


def operator_instrumentation(ctx: RenderContext, inst: Instrumentation) -> dict[str, Any]:
    """An OTel Operator Instrumentation (opentelemetry.io/v1alpha1)."""
    def lang_env(language: str) -> list[dict[str, str]]:
        env = {"OTEL_EXPORTER_OTLP_PROTOCOL": PROTOCOLS[language], "OTEL_METRICS_EXPORTER": "otlp",
               "OTEL_LOGS_EXPORTER": "otlp"}
        if PROTOCOLS[language] == "http/protobuf":
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = inst.http_endpoint
        if language == "python":
            env["OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED"] = "true"
        return [{"name": k, "value": v} for k, v in sorted(env.items())]

    spec: dict[str, Any] = {
        "exporter": {"endpoint": inst.grpc_endpoint},
        "propagators": list(inst.propagators),
        "sampler": {"type": inst.sampler},
        "env": [{"name": "OTEL_SEMCONV_STABILITY_OPT_IN", "value": "http"},
                {"name": "OTEL_METRIC_EXPORT_INTERVAL", "value": "15000"}],
    }
    if "traceidratio" in inst.sampler:
        spec["sampler"]["argument"] = f"{inst.sampler_ratio:g}"
    for language in sorted({s.language for s in inst.services}):
        spec[language] = {"env": lang_env(language)}
    return {"apiVersion": "opentelemetry.io/v1alpha1", "kind": "Instrumentation",
            "metadata": object_metadata(ctx, inst.name), "spec": spec}


def service_files(ctx: RenderContext, inst: Instrumentation, service: Service) -> Iterable[RenderedFile]:
    folder = f"{DIR}/{inst.name}/{service.namespace}/{service.name}"
    env = env_vars(ctx, inst, service)
    yield RenderedFile(f"{folder}/env.yaml", [{"name": k, "value": v} for k, v in env.items()])
    yield RenderedFile(f"{folder}/workload-patch.yaml", {
        "spec": {"template": {"metadata": {"annotations": pod_annotations(ctx, inst, service)}}}})
    if service.language == "python":
        yield RenderedFile(f"{folder}/otel_setup.py", python_module(ctx, inst, service), "text")
        yield RenderedFile(f"{folder}/otel-config.yaml", declarative_config(ctx, inst, service))
        return
    name = SNIPPETS[service.language]
    text = resources.files("obs.instrumentation").joinpath("snippets", name).read_text()
    yield RenderedFile(f"{folder}/{name}", text.replace("@JAVA_AGENT_VERSION@", JAVA_AGENT_VERSION), "text")


def check_collector_service(inst: Instrumentation, collectors: Sequence[Any], namespace: str) -> None:
    """An in-cluster `collector` URL in the environment's namespace must name the Service of a
    collector obs renders there, listening on both OTLP ports (4317 for gRPC, 4318 for HTTP):
    otherwise every SDK exports into a name that does not resolve and all telemetry is lost."""
    host = urlsplit(inst.collector).hostname or ""
    parts = host.removesuffix(".cluster.local").split(".")
    if not collectors or len(parts) != 3 or parts[1:] != [namespace, "svc"]:
        return
    receiving = [service_name(c) for c in collectors if {4317, 4318} <= set(c.ports.values())]
    if parts[0] not in receiving:
        fix = (f"use e.g. 'http://{receiving[0]}.{namespace}.svc'" if receiving
               else "give a collector ports={'otlp-grpc': 4317, 'otlp-http': 4318}")
        raise DefinitionError(inst.definition, "collector",
                              f"{inst.collector!r} names no collector Service rendered in {namespace!r} "
                              f"(OTLP Services: {', '.join(receiving) or 'none'})", fix)


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    """Every Instrumentation of the environment: the CRD plus per-service files."""
    for inst in ctx.defs.instrumentation:
        check_collector_service(inst, ctx.defs.collectors, ctx.env.namespace)
        # the Operator injects SDKs in every cluster: a fleet's cluster base holds it
        yield RenderedFile(f"{base_dir(ctx.env)}{KUBERNETES_DIR}/instrumentation-{inst.name}.yaml",
                           operator_instrumentation(ctx, inst))
        for service in inst.services:
            yield from service_files(ctx, inst, service)
