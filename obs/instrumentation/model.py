"""Instrumentation definitions: services to instrument and the OTel Operator settings they share."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from obs.errors import DefinitionError
from obs.model.checks import check_items, check_nonempty, check_slug, check_unique

LANGUAGES = ("python", "java", "nodejs", "go")
PROPAGATORS = ("tracecontext", "baggage", "b3", "b3multi", "jaeger", "xray", "ottrace", "none")
SAMPLERS = ("always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off",
            "parentbased_traceidratio")
_URL_RE = re.compile(r"^https?://[A-Za-z0-9.\-]+\Z")


@dataclass(frozen=True)
class Service:
    """A workload to instrument. `name` becomes service.name; `namespace` the Kubernetes namespace
    and service.namespace; `version` service.version (may stay empty and come from the image)."""

    name: str
    language: str
    namespace: str = "default"
    version: str = ""

    @property
    def definition(self) -> str:
        return f"service {self.name!r}"

    def __post_init__(self) -> None:
        check_slug(self.definition, "name", self.name)
        check_slug(self.definition, "namespace", self.namespace)
        if self.language not in LANGUAGES:
            raise DefinitionError(self.definition, "language", f"{self.language!r} is not supported",
                                  f"use one of {', '.join(LANGUAGES)}")
        if not isinstance(self.version, str):
            raise DefinitionError(self.definition, "version", f"{self.version!r} is not a string")


@dataclass(frozen=True)
class Instrumentation:
    """One OTel Operator `Instrumentation` and the services that use it. `collector` is the base
    URL of the collector's OTLP service without a port: gRPC goes to 4317, HTTP to 4318."""

    name: str
    collector: str
    services: Sequence[Service]
    sampler: str = "parentbased_traceidratio"
    sampler_ratio: float = 0.25
    propagators: Sequence[str] = ("tracecontext", "baggage")

    @property
    def definition(self) -> str:
        return f"instrumentation {self.name!r}"

    def __post_init__(self) -> None:
        what = self.definition
        check_slug(what, "name", self.name)
        check_nonempty(what, "collector", self.collector)
        if not _URL_RE.match(self.collector):
            raise DefinitionError(what, "collector", f"{self.collector!r} is not a base URL without port or path",
                                  "write e.g. 'http://otel-collector.monitoring.svc' (ports 4317/4318 are added)")
        object.__setattr__(self, "services", tuple(self.services))
        object.__setattr__(self, "propagators", tuple(self.propagators))
        if not self.services:
            raise DefinitionError(what, "services", "is empty", "list the services to instrument")
        check_items(what, "services", self.services, Service)
        check_unique(what, "services", ((s.namespace, s.name) for s in self.services), "service")
        if self.sampler not in SAMPLERS:
            raise DefinitionError(what, "sampler", f"{self.sampler!r} is not an SDK sampler",
                                  f"use one of {', '.join(SAMPLERS)}")
        if isinstance(self.sampler_ratio, bool) or not isinstance(self.sampler_ratio, (int, float)) \
                or not 0 <= self.sampler_ratio <= 1:
            raise DefinitionError(what, "sampler_ratio", f"{self.sampler_ratio!r} is not between 0 and 1")
        for prop in self.propagators:
            if prop not in PROPAGATORS:
                raise DefinitionError(what, "propagators", f"{prop!r} is not a propagator",
                                      f"use {', '.join(PROPAGATORS)}")
        if not self.propagators:
            raise DefinitionError(what, "propagators", "is empty", "use ('tracecontext', 'baggage')")

    @property
    def grpc_endpoint(self) -> str:
        return f"{self.collector}:4317"

    @property
    def http_endpoint(self) -> str:
        return f"{self.collector}:4318"
