"""Grafana Tempo: the definition, its config renderer, and a strict model of every key obs emits.

The model follows the Tempo 2.10 configuration reference
(https://grafana.com/docs/tempo/v2.10.x/configuration/), monolithic/microservices with ingesters,
and the per-tenant overrides format introduced in Tempo 2.3 (`ingestion:`, `global:`,
`metrics_generator:` blocks per tenant). The legacy flat layout (`ingestion_rate_limit_bytes`,
`max_traces_per_user` directly under a tenant) is rejected with the new key named.
Secrets use `${NAME}` references, expanded by Tempo when run with `-config.expand-env=true`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from obs.backends import schema as s
from obs.backends.storage import TENANT_RE, LocalStorage, Storage, check_storage, check_tenant, s3_fields
from obs.errors import DefinitionError
from obs.model.checks import check_duration
from obs.model.environment import Environment

MODEL_VERSION = "Tempo 2.10"
TEMPO_ARGS = ("-config.file=/conf/tempo.yaml", "-config.expand-env=true")
OVERRIDES_PATH = "/conf/overrides.yaml"
PROCESSORS = ("service-graphs", "span-metrics", "local-blocks")


@dataclass(frozen=True)
class TempoLimits:
    """Per-tenant limits (the defaults, or one tenant's overrides)."""

    rate_limit_bytes: int = 15_000_000
    burst_size_bytes: int = 20_000_000
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
                raise DefinitionError(what, "processors", f"{proc!r} is not a metrics-generator processor",
                                      f"use {', '.join(PROCESSORS)}")


@dataclass(frozen=True)
class Tempo:
    """A Tempo deployment: OTLP in, blocks to storage, RED and service-graph metrics to Prometheus."""

    storage: Storage
    retention: str = "168h"
    multitenancy: bool = False
    replication_factor: int = 1
    defaults: TempoLimits = field(default_factory=TempoLimits)
    tenants: Mapping[str, TempoLimits] = field(default_factory=dict)
    metrics_generator: bool = True

    definition = "tempo"

    def __post_init__(self) -> None:
        check_storage(self.definition, self.storage)
        check_duration(self.definition, "retention", self.retention)
        if self.replication_factor not in (1, 3):
            raise DefinitionError(self.definition, "replication_factor", f"{self.replication_factor!r}",
                                  "use 1 (single binary) or 3 (microservices)")
        object.__setattr__(self, "tenants", MappingProxyType(dict(self.tenants)))
        if self.tenants and not self.multitenancy:
            raise DefinitionError(self.definition, "tenants", "per-tenant overrides without multitenancy",
                                  "set multitenancy=True (tenants are X-Scope-OrgID values)")
        for tenant, limits in self.tenants.items():
            check_tenant(self.definition, f"tenants[{tenant!r}]", tenant)
            if not isinstance(limits, TempoLimits):
                raise DefinitionError(self.definition, f"tenants[{tenant!r}]", "is not TempoLimits")


# ---- rendering -------------------------------------------------------------------------------

def _limits(limits: TempoLimits, generator: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ingestion": {
            "rate_strategy": "local",
            "rate_limit_bytes": limits.rate_limit_bytes,
            "burst_size_bytes": limits.burst_size_bytes,
            "max_traces_per_user": limits.max_traces_per_user,
        },
        "global": {"max_bytes_per_trace": limits.max_bytes_per_trace},
    }
    if limits.block_retention:
        out["compaction"] = {"block_retention": limits.block_retention}
    if generator and limits.processors:
        out["metrics_generator"] = {"processors": list(limits.processors)}
    return out


def _storage(storage: Storage) -> dict[str, Any]:
    trace: dict[str, Any] = {"wal": {"path": "/var/tempo/wal"}}
    if isinstance(storage, LocalStorage):
        trace = {"backend": "local", **trace, "local": {"path": storage.path}}
    else:
        s3 = s3_fields(storage, "bucket", "access_key", "secret_key", "forcepathstyle")
        trace = {"backend": "s3", **trace, "s3": s3}
    return {"trace": trace}


def render_config(env: Environment, tempo: Tempo) -> dict[str, Any]:
    """tempo.yaml for one environment (checked against the strict model before it is returned)."""
    config: dict[str, Any] = {
        "multitenancy_enabled": tempo.multitenancy,
        "stream_over_http_enabled": True,
        "server": {"http_listen_port": 3200, "grpc_listen_port": 9095, "log_level": "info"},
        "distributor": {"receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": "0.0.0.0:4317"},
            "http": {"endpoint": "0.0.0.0:4318"},
        }}}},
        "ingester": {
            "max_block_duration": "5m",
            "lifecycler": {"ring": {"replication_factor": tempo.replication_factor}},
        },
        "compactor": {"compaction": {
            "block_retention": tempo.retention,
            "compacted_block_retention": "1h",
            "compaction_window": "1h",
            "max_block_bytes": 100_000_000,
        }},
    }
    if tempo.metrics_generator:
        config["metrics_generator"] = {
            "registry": {"external_labels": {"source": "tempo", env.cluster_label: env.cluster}},
            "storage": {
                "path": "/var/tempo/generator/wal",
                "remote_write": [{"url": f"{env.urls.prometheus.rstrip('/')}/api/v1/write",
                                  "send_exemplars": True}],
            },
        }
    config["storage"] = _storage(tempo.storage)
    overrides: dict[str, Any] = {"defaults": _limits(tempo.defaults, tempo.metrics_generator)}
    if tempo.tenants:
        overrides["per_tenant_override_config"] = OVERRIDES_PATH
    config["overrides"] = overrides
    s.check(CONFIG_MODEL, config, f"tempo config ({MODEL_VERSION} model)")
    return config


def render_overrides(tempo: Tempo) -> dict[str, Any] | None:
    """The per-tenant overrides file, or None without tenants."""
    if not tempo.tenants:
        return None
    data = {"overrides": {t: _limits(tempo.tenants[t], tempo.metrics_generator) for t in sorted(tempo.tenants)}}
    s.check(OVERRIDES_MODEL, data, f"tempo overrides ({MODEL_VERSION} model)")
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
LEGACY_HINTS = {old: f"Tempo 2.3+ nests per-tenant limits: move it to '{new}'" for old, new in _LEGACY.items()}

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
    "compaction": s.Obj({"block_retention": s.DURATION}),
    "metrics_generator": s.Obj({"processors": s.ListOf(s.enum(*PROCESSORS))}),
}, hints=LEGACY_HINTS)

_S3 = s.Obj({
    "bucket": s.STR, "endpoint": s.STR, "region": s.STR, "access_key": s.SECRET, "secret_key": s.SECRET,
    "insecure": s.BOOL, "forcepathstyle": s.BOOL,
}, required=("bucket", "endpoint"))

CONFIG_MODEL = s.Obj({
    "multitenancy_enabled": s.BOOL,
    "stream_over_http_enabled": s.BOOL,
    "server": s.Obj({"http_listen_port": s.PORT, "grpc_listen_port": s.PORT,
                     "log_level": s.enum("debug", "info", "warn", "error")}),
    "distributor": s.Obj({"receivers": s.Obj({"otlp": s.Obj({"protocols": s.Obj({
        "grpc": s.Obj({"endpoint": s.HOST_PORT}),
        "http": s.Obj({"endpoint": s.HOST_PORT}),
    })}, required=("protocols",))})}, required=("receivers",)),
    "ingester": s.Obj({
        "max_block_duration": s.DURATION,
        "lifecycler": s.Obj({"ring": s.Obj({"replication_factor": s.Scalar(int, "1 or more", minimum=1)})}),
    }),
    "compactor": s.Obj({"compaction": s.Obj({
        "block_retention": s.DURATION, "compacted_block_retention": s.DURATION,
        "compaction_window": s.DURATION, "max_block_bytes": s.INT,
    })}),
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
    }, hints=LEGACY_HINTS),
}, required=("server", "distributor", "storage"), rules=(
    (lambda d: "per_tenant_override_config" not in d.get("overrides", {}) or d.get("multitenancy_enabled") is True,
     "per-tenant overrides need multitenancy_enabled: true"),
    (lambda d: "metrics_generator" not in d.get("overrides", {}).get("defaults", {}) or "metrics_generator" in d,
     "metrics-generator processors are enabled but there is no metrics_generator block to remote-write them"),
))

OVERRIDES_MODEL = s.Obj({"overrides": s.Obj(values=LIMITS_MODEL, key_pattern=TENANT_RE, hints=LEGACY_HINTS)},
                        required=("overrides",))
