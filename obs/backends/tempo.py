"""Grafana Tempo: the definition, its config renderer, and a strict model of every key obs emits.

The model follows the Tempo 3.0 configuration reference
(https://grafana.com/docs/tempo/v3.0.x/configuration/): no ingesters and no compactor (live-stores,
block-builders and the backend scheduler/worker replace them), monolithic mode (-target=all, no
Kafka) or microservices mode (distributors write to Kafka: `ingest.kafka`), retention as the
`compaction.block_retention` override, and only the scoped overrides format (`ingestion:`,
`global:`, `compaction:`, `metrics_generator:` per tenant). Tempo 3.0 refuses the legacy flat
layout (`ingestion_rate_limit_bytes`, `max_traces_per_user` directly under a tenant) and so does
the model, naming the new key. Secrets are `${NAME}` references, expanded by Tempo when run with
`-config.expand-env=true` (Tempo's syntax, not the collector's `${env:NAME}`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from obs import secrets
from obs.backends import schema as s
from obs.backends.storage import (
    TENANT_RE, LocalStorage, S3Storage, Storage, check_env_name, check_storage, check_tenant, env_ref, for_expand_env,
    s3_fields,
)
from obs.errors import DefinitionError
from obs.model.checks import check_duration, check_nonempty, frozen_mapping
from obs.model.environment import Environment

MODEL_VERSION = "Tempo 3.0"
TEMPO_ARGS = ("-config.file=/conf/tempo.yaml", "-config.expand-env=true")
OVERRIDES_PATH = "/conf/overrides.yaml"
MODES = ("monolithic", "microservices")
PROCESSORS = ("service-graphs", "span-metrics", "host-info")
TARGETS = {"monolithic": ("all",),
           "microservices": ("distributor", "live-store", "block-builder", "metrics-generator", "querier",
                             "query-frontend", "backend-scheduler", "backend-worker")}


@dataclass(frozen=True)
class TempoLimits:
    """Per-tenant limits (the defaults, or one tenant's overrides). `block_retention` None keeps
    the Tempo definition's retention."""

    rate_limit_bytes: int = 30_000_000
    burst_size_bytes: int = 30_000_000
    max_traces_per_user: int = 10_000
    max_bytes_per_trace: int = 5_000_000
    block_retention: str | None = None
    processors: tuple[str, ...] = ("service-graphs", "span-metrics")

    def __post_init__(self) -> None:
        what = "tempo limits"
        for name in ("rate_limit_bytes", "burst_size_bytes", "max_traces_per_user", "max_bytes_per_trace"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DefinitionError(what, name, f"{value!r} is not a non-negative integer")
        if self.burst_size_bytes < self.rate_limit_bytes:
            raise DefinitionError(what, "burst_size_bytes", "is below rate_limit_bytes",
                                  "make the burst at least the sustained rate")
        if self.block_retention is not None:
            check_duration(what, "block_retention", self.block_retention)
        object.__setattr__(self, "processors", tuple(self.processors))
        for proc in self.processors:
            if proc not in PROCESSORS:
                raise DefinitionError(what, "processors", f"{proc!r} is not a Tempo 3.0 metrics-generator processor",
                                      f"use {', '.join(PROCESSORS)} (local-blocks was removed in 3.0)")


@dataclass(frozen=True)
class Kafka:
    """The Kafka-compatible queue microservices mode writes through. SASL credentials, when
    needed, come from environment variables."""

    address: str
    topic: str = "tempo-ingest"
    sasl_username_env: str | None = None
    sasl_password_env: str | None = None

    def __post_init__(self) -> None:
        check_nonempty("tempo kafka", "address", self.address)
        check_nonempty("tempo kafka", "topic", self.topic)
        for name in ("sasl_username_env", "sasl_password_env"):
            if getattr(self, name) is not None:
                check_env_name("tempo kafka", name, getattr(self, name))
        if (self.sasl_username_env is None) != (self.sasl_password_env is None):
            raise DefinitionError("tempo kafka", "sasl_password_env", "SASL needs both a username and a password",
                                  "set both environment variable names, or neither")


@dataclass(frozen=True)
class Tempo:
    """A Tempo deployment: OTLP in, blocks to storage, RED and service-graph metrics to Prometheus."""

    storage: Storage
    retention: str = "168h"
    mode: str = "monolithic"
    kafka: Kafka | None = None
    multitenancy: bool = False
    defaults: TempoLimits = field(default_factory=TempoLimits)
    tenants: Mapping[str, TempoLimits] = field(default_factory=dict)
    metrics_generator: bool = True

    definition = "tempo"

    def __post_init__(self) -> None:
        check_storage(self.definition, self.storage)
        check_duration(self.definition, "retention", self.retention)
        if self.mode not in MODES:
            raise DefinitionError(self.definition, "mode", f"{self.mode!r} is not a Tempo 3.0 mode",
                                  "use 'monolithic' or 'microservices' (scalable single binary was removed in 3.0)")
        if self.mode == "microservices" and not isinstance(self.kafka, Kafka):
            raise DefinitionError(self.definition, "kafka", "microservices mode writes through Kafka",
                                  "pass Kafka(address=...)")
        if self.mode == "monolithic" and self.kafka is not None:
            raise DefinitionError(self.definition, "kafka", "monolithic mode does not use Kafka",
                                  "drop kafka, or use mode='microservices'")
        if self.mode == "microservices" and not isinstance(self.storage, S3Storage):
            raise DefinitionError(self.definition, "storage", "local storage only works in monolithic mode",
                                  "use S3Storage")
        object.__setattr__(self, "tenants", frozen_mapping(self.tenants))
        if self.tenants and not self.multitenancy:
            raise DefinitionError(self.definition, "tenants", "per-tenant overrides without multitenancy",
                                  "set multitenancy=True (tenants are X-Scope-OrgID values)")
        for tenant, limits in self.tenants.items():
            check_tenant(self.definition, f"tenants[{tenant!r}]", tenant)
            if not isinstance(limits, TempoLimits):
                raise DefinitionError(self.definition, f"tenants[{tenant!r}]", "is not TempoLimits")

    @property
    def targets(self) -> tuple[str, ...]:
        """The -target values to deploy (one workload each in microservices mode)."""
        return TARGETS[self.mode]


# ---- rendering -------------------------------------------------------------------------------

def _limits(limits: TempoLimits, generator: bool, retention: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ingestion": {
            "rate_strategy": "local",
            "rate_limit_bytes": limits.rate_limit_bytes,
            "burst_size_bytes": limits.burst_size_bytes,
            "max_traces_per_user": limits.max_traces_per_user,
        },
        "global": {"max_bytes_per_trace": limits.max_bytes_per_trace},
    }
    if limits.block_retention or retention:
        out["compaction"] = {"block_retention": limits.block_retention or retention}
    if generator and limits.processors:
        out["metrics_generator"] = {"processors": list(limits.processors)}
    return out


def _storage(storage: Storage) -> dict[str, Any]:
    trace: dict[str, Any] = {"wal": {"path": "/var/tempo/wal"}}
    if isinstance(storage, LocalStorage):
        return {"trace": {"backend": "local", **trace, "local": {"path": storage.path}}}
    s3 = s3_fields(storage, "bucket", "access_key", "secret_key", "forcepathstyle")
    return {"trace": {"backend": "s3", **trace, "s3": s3}}


def _kafka(kafka: Kafka) -> dict[str, Any]:
    out: dict[str, Any] = {"address": kafka.address, "topic": kafka.topic}
    if kafka.sasl_username_env and kafka.sasl_password_env:
        out["sasl_username"] = env_ref(kafka.sasl_username_env)
        out["sasl_password"] = env_ref(kafka.sasl_password_env)
    return out


def render_config(env: Environment, tempo: Tempo) -> dict[str, Any]:
    """tempo.yaml for one environment (checked against the strict model before it is returned)."""
    config: dict[str, Any] = {
        "multitenancy_enabled": tempo.multitenancy,
        "stream_over_http_enabled": True,
        "server": {"http_listen_port": 3200, "grpc_listen_port": 9095},
        "distributor": {"receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": "0.0.0.0:4317"},
            "http": {"endpoint": "0.0.0.0:4318"},
        }}}},
    }
    if tempo.kafka is not None:
        config["ingest"] = {"kafka": _kafka(tempo.kafka)}
        config["memberlist"] = {"join_members": [f"tempo-gossip-ring.{env.namespace}.svc:7946"]}
    config["live_store"] = {"wal": {"path": "/var/tempo/live-store/traces"}}
    if tempo.metrics_generator:
        config["metrics_generator"] = {
            "registry": {"external_labels": {"source": "tempo", **({env.cluster_label: env.cluster} if len(env.clusters) == 1 else {})}},
            "storage": {
                "path": "/var/tempo/generator/wal",
                "remote_write": [{"url": f"{env.urls.prometheus.rstrip('/')}/api/v1/write",
                                  "send_exemplars": True}],
            },
        }
    config["storage"] = _storage(tempo.storage)
    overrides: dict[str, Any] = {"defaults": _limits(tempo.defaults, tempo.metrics_generator, tempo.retention)}
    if tempo.tenants:
        overrides["per_tenant_override_config"] = OVERRIDES_PATH
    config["overrides"] = overrides
    s.check(CONFIG_MODEL, config, f"tempo config ({MODEL_VERSION} model)")
    return for_expand_env("tempo config", config)


def render_overrides(tempo: Tempo) -> dict[str, Any] | None:
    """The per-tenant overrides file, or None without tenants. Tenant overrides do not inherit
    from the defaults, so each tenant carries its complete limits (and the retention)."""
    if not tempo.tenants:
        return None
    data = {"overrides": {t: _limits(tempo.tenants[t], tempo.metrics_generator, tempo.retention)
                          for t in sorted(tempo.tenants)}}
    s.check(OVERRIDES_MODEL, data, f"tempo overrides ({MODEL_VERSION} model)")
    secrets.check_tree("tempo overrides", "overrides", data)  # a runtime file: not env-expanded
    return data


# ---- strict model ----------------------------------------------------------------------------

_LEGACY = {
    "ingestion_rate_strategy": "ingestion.rate_strategy",
    "ingestion_rate_limit_bytes": "ingestion.rate_limit_bytes",
    "ingestion_rate_limit": "ingestion.rate_limit_bytes",
    "ingestion_burst_size_bytes": "ingestion.burst_size_bytes",
    "ingestion_burst_size": "ingestion.burst_size_bytes",
    "max_traces_per_user": "ingestion.max_traces_per_user",
    "max_global_traces_per_user": "ingestion.max_global_traces_per_user",
    "max_bytes_per_trace": "global.max_bytes_per_trace",
    "block_retention": "compaction.block_retention",
    "metrics_generator_processors": "metrics_generator.processors",
}
LEGACY_HINTS = {old: f"Tempo 3.0 only reads scoped overrides: move it to '{new}'" for old, new in _LEGACY.items()}
_REMOVED = {
    "ingester": "removed in Tempo 3.0 (live-stores and block-builders replace ingesters): drop it",
    "ingester_client": "removed in Tempo 3.0: drop it",
    "compactor": "removed in Tempo 3.0 (the backend scheduler/worker compacts): set retention as "
                 "overrides.defaults.compaction.block_retention",
    "metrics_generator_client": "removed in Tempo 3.0: drop it",
}

LIMITS_MODEL = s.Obj({
    "ingestion": s.Obj({
        "rate_strategy": s.enum("local", "global"),
        "rate_limit_bytes": s.INT,
        "burst_size_bytes": s.INT,
        "max_traces_per_user": s.INT,
        "max_global_traces_per_user": s.INT,
    }, rules=((lambda d: d.get("burst_size_bytes", 1 << 62) >= d.get("rate_limit_bytes", 0),
               "burst_size_bytes is below rate_limit_bytes"),)),
    "global": s.Obj({"max_bytes_per_trace": s.INT}),
    "compaction": s.Obj({"block_retention": s.DURATION, "compaction_window": s.DURATION,
                         "compaction_disabled": s.BOOL}),
    "metrics_generator": s.Obj({"processors": s.ListOf(s.enum(*PROCESSORS))}),
}, hints=LEGACY_HINTS)

_S3 = s.Obj({
    "bucket": s.STR, "endpoint": s.STR, "region": s.STR, "access_key": s.SECRET, "secret_key": s.SECRET,
    "insecure": s.BOOL, "forcepathstyle": s.BOOL,
}, required=("bucket", "endpoint"))


def _microservices_complete(config: Mapping[str, Any]) -> bool:
    """Kafka (microservices mode) needs object storage and a memberlist to form its rings."""
    if "ingest" not in config:
        return True
    return config.get("storage", {}).get("trace", {}).get("backend") != "local" and "memberlist" in config


CONFIG_MODEL = s.Obj({
    "multitenancy_enabled": s.BOOL,
    "stream_over_http_enabled": s.BOOL,
    "server": s.Obj({"http_listen_port": s.PORT, "grpc_listen_port": s.PORT}),
    "distributor": s.Obj({"receivers": s.Obj({"otlp": s.Obj({"protocols": s.Obj({
        "grpc": s.Obj({"endpoint": s.HOST_PORT}),
        "http": s.Obj({"endpoint": s.HOST_PORT}),
    })}, required=("protocols",))})}, required=("receivers",)),
    "ingest": s.Obj({"kafka": s.Obj({
        "address": s.HOST_PORT, "topic": s.STR, "sasl_username": s.SECRET, "sasl_password": s.SECRET,
    }, required=("address", "topic"))}, required=("kafka",)),
    "memberlist": s.Obj({"join_members": s.ListOf(s.HOST_PORT)}, required=("join_members",)),
    "live_store": s.Obj({"wal": s.Obj({"path": s.PATH}, required=("path",))}),
    "metrics_generator": s.Obj({
        "registry": s.Obj({"external_labels": s.Obj(values=s.STR, key_pattern=re.compile(r"^[a-zA-Z_]\w*$"))}),
        "storage": s.Obj({
            "path": s.PATH,
            "remote_write": s.ListOf(s.Obj({"url": s.URL, "send_exemplars": s.BOOL}, required=("url",))),
        }, required=("path", "remote_write")),
    }, required=("storage",)),
    "storage": s.Obj({"trace": s.Obj({
        "backend": s.enum("local", "s3", "gcs", "azure"),
        "wal": s.Obj({"path": s.PATH}, required=("path",)),
        "local": s.Obj({"path": s.PATH}, required=("path",)),
        "s3": _S3,
    }, required=("backend", "wal"), rules=(
        (lambda d: d.get("backend") != "s3" or "s3" in d, "backend s3 needs an s3 block"),
        (lambda d: d.get("backend") != "local" or "local" in d, "backend local needs a local block"),
        (lambda d: not ("s3" in d and "local" in d), "sets both s3 and local storage"),
    ))}, required=("trace",)),
    "overrides": s.Obj({
        "defaults": LIMITS_MODEL,
        "per_tenant_override_config": s.PATH,
        "per_tenant_override_period": s.DURATION,
    }, hints={**LEGACY_HINTS, "enable_legacy_overrides": "the legacy format is going away: migrate the "
                                                         "overrides to the scoped format instead"}),
}, required=("server", "distributor", "storage"), hints=_REMOVED, rules=(
    (lambda d: "per_tenant_override_config" not in d.get("overrides", {}) or d.get("multitenancy_enabled") is True,
     "per-tenant overrides need multitenancy_enabled: true"),
    (lambda d: "metrics_generator" not in d.get("overrides", {}).get("defaults", {}) or "metrics_generator" in d,
     "metrics-generator processors are enabled but there is no metrics_generator block to remote-write them"),
    (_microservices_complete, "Kafka ingest (microservices mode) needs object storage and memberlist join_members"),
))

OVERRIDES_MODEL = s.Obj({"overrides": s.Obj(values=LIMITS_MODEL, key_pattern=TENANT_RE, hints=LEGACY_HINTS)},
                        required=("overrides",))
