"""Jaeger v2 as a trace backend beside Tempo: the definition and its config renderer.

Jaeger v2 is an OpenTelemetry Collector distribution: its config is a collector config whose
`jaeger_storage` extension holds the storage backend, `jaeger_query` serves the UI and API, and
the `jaeger_storage_exporter` writes what the OTLP receiver takes in. The Jaeger agent, the
Operator's `Jaeger` resource and the collector's `jaeger` exporter of the guides are gone: the
gateway sends OTLP. Storage is memory, Badger (local disk, TTL) or Elasticsearch/OpenSearch with
credentials from environment variables (`${env:NAME}`, expanded by Jaeger like any collector) and
daily indices removed after `retention_days` by the es-index-cleaner CronJob (the Operator's
`esIndexCleaner`). The real binary validates every rendered config (obs.validate.jaeger).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Sequence

from obs import secrets
from obs.backends.storage import check_env_name
from obs.errors import DefinitionError
from obs.model.checks import check_duration, check_http_url, check_number, check_slug

MODEL_VERSION = "Jaeger v2.12.0 (module v1.75.0)"
IMAGE = "jaegertracing/jaeger:2.12.0"
CLEANER_IMAGE = "jaegertracing/jaeger-es-index-cleaner:1.75.0"
CONFIG_PATH = "/conf/jaeger.yaml"
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
QUERY_HTTP_PORT = 16686
QUERY_GRPC_PORT = 16685
HEALTH_PORT = 13133
METRICS_PORT = 8888
STORE = "traces"
"""The name of the one storage backend in `jaeger_storage` (what query and exporter refer to)."""
POD_IP = "${env:MY_POD_IP}"
_INDEX_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,200}\Z")
_CRON_RE = re.compile(r"^\S+( \S+){4}\Z")


@dataclass(frozen=True)
class MemoryStore:
    """Spans in the process's memory (lost on restart): development and tests; one replica only."""

    max_traces: int = 100_000

    def __post_init__(self) -> None:
        check_number("jaeger memory storage", "max_traces", self.max_traces, 1, integer=True)


@dataclass(frozen=True)
class BadgerStore:
    """Spans on a local volume (Badger), kept for `retention`; one replica (one writer per volume)."""

    path: str = "/var/lib/jaeger/badger"
    retention: str = "168h"
    volume_size: str = "10Gi"

    def __post_init__(self) -> None:
        what = "jaeger badger storage"
        if not isinstance(self.path, str) or not re.match(r"^/\S+\Z", self.path):
            raise DefinitionError(what, "path", f"{self.path!r} is not an absolute path",
                                  "write e.g. '/var/lib/jaeger'")
        check_duration(what, "retention", self.retention)
        if not isinstance(self.volume_size, str) or not re.match(r"^[1-9][0-9]*(Mi|Gi|Ti)\Z", self.volume_size):
            raise DefinitionError(what, "volume_size", f"{self.volume_size!r} is not a volume size",
                                  "write e.g. '10Gi'")


@dataclass(frozen=True)
class ElasticsearchStore:
    """Elasticsearch or OpenSearch: daily span/service indices under `index_prefix`, removed after
    `retention_days` by a CronJob at `cleaner_schedule` (the guide: 7 days, 23:55). Credentials
    come from the Kubernetes Secret `secret` (keys `username`, `password`) as environment variables
    `username_env`/`password_env`; None: a cluster without authentication."""

    server_urls: Sequence[str]
    engine: Literal["elasticsearch", "opensearch"] = "elasticsearch"
    index_prefix: str = "jaeger"
    secret: str | None = None
    username_env: str = "ES_USERNAME"
    password_env: str = "ES_PASSWORD"
    retention_days: int = 7
    cleaner_schedule: str = "55 23 * * *"
    shards: int = 5
    replicas: int = 1

    def __post_init__(self) -> None:
        what = f"jaeger {self.engine} storage"
        if self.engine not in ("elasticsearch", "opensearch"):
            raise DefinitionError(what, "engine", f"{self.engine!r} is not a search engine Jaeger stores in",
                                  "use 'elasticsearch' or 'opensearch'")
        urls = (self.server_urls,) if isinstance(self.server_urls, str) else tuple(self.server_urls)
        object.__setattr__(self, "server_urls", urls)
        if not urls:
            raise DefinitionError(what, "server_urls", "is empty", "list the cluster's URLs, e.g. http://es:9200")
        for index, url in enumerate(urls):
            secrets.check_value(what, f"server_urls[{index}]", url)
            check_http_url(what, f"server_urls[{index}]", url)
            if "@" in url.split("//", 1)[-1].split("/", 1)[0]:
                raise DefinitionError(what, f"server_urls[{index}]", "carries credentials",
                                      "give the credentials in a Secret (secret=) and the URL without them")
        if not isinstance(self.index_prefix, str) or not _INDEX_PREFIX_RE.match(self.index_prefix):
            raise DefinitionError(what, "index_prefix", f"{self.index_prefix!r} is not an index prefix",
                                  "use lowercase letters, digits, '-', '_' and '.'")
        if self.secret is not None:
            check_slug(what, "secret", self.secret)
        check_env_name(what, "username_env", self.username_env)
        check_env_name(what, "password_env", self.password_env)
        check_number(what, "retention_days", self.retention_days, 1, integer=True)
        if not isinstance(self.cleaner_schedule, str) or not _CRON_RE.match(self.cleaner_schedule):
            raise DefinitionError(what, "cleaner_schedule", f"{self.cleaner_schedule!r} is not a cron schedule",
                                  "write five fields, e.g. '55 23 * * *'")
        check_number(what, "shards", self.shards, 1, integer=True)
        check_number(what, "replicas", self.replicas, 0, integer=True)


JaegerStore = MemoryStore | BadgerStore | ElasticsearchStore


@dataclass(frozen=True)
class Jaeger:
    """A Jaeger v2 deployment called `name`: Services `<name>-collector` (OTLP) and `<name>-query`
    (UI and API, what Grafana reads), as the guide and the Jaeger Operator name them."""

    storage: JaegerStore
    name: str = "jaeger"
    replicas: int = 1
    memory_limit_mib: int = 1024

    @property
    def definition(self) -> str:
        return f"jaeger {self.name!r}"

    def __post_init__(self) -> None:
        check_slug(self.definition, "name", self.name)
        if not isinstance(self.storage, (MemoryStore, BadgerStore, ElasticsearchStore)):
            raise DefinitionError(self.definition, "storage", f"{self.storage!r} is not a Jaeger storage",
                                  "pass MemoryStore(), BadgerStore() or ElasticsearchStore(server_urls=...)")
        check_number(self.definition, "replicas", self.replicas, 1, integer=True)
        check_number(self.definition, "memory_limit_mib", self.memory_limit_mib, 128, integer=True)
        if self.replicas > 1 and not isinstance(self.storage, ElasticsearchStore):
            raise DefinitionError(self.definition, "replicas", f"{self.replicas} replicas with "
                                  f"{type(self.storage).__name__}, which one process owns",
                                  "run one replica, or store in Elasticsearch/OpenSearch")

    def collector_host(self, namespace: str) -> str:
        """The DNS name senders export OTLP to."""
        return f"{self.name}-collector.{namespace}.svc.cluster.local"

    def otlp_endpoint(self, namespace: str) -> str:
        """host:port of the OTLP/gRPC receiver (for an otlp_grpc exporter)."""
        return f"{self.collector_host(namespace)}:{OTLP_GRPC_PORT}"

    def query_url(self, namespace: str) -> str:
        """The query service's base URL (Grafana's Jaeger datasource)."""
        return f"http://{self.name}-query.{namespace}.svc.cluster.local:{QUERY_HTTP_PORT}"

    @property
    def secret_env(self) -> dict[str, tuple[str, str]]:
        """Environment variable -> (Secret, key) the pod must set for the config's references."""
        store = self.storage
        if not isinstance(store, ElasticsearchStore) or store.secret is None:
            return {}
        return {store.username_env: (store.secret, "username"), store.password_env: (store.secret, "password")}


def _index(store: ElasticsearchStore) -> dict[str, Any]:
    return {"date_layout": "2006-01-02", "rollover_frequency": "day", "shards": store.shards,
            "replicas": store.replicas}


def storage_backend(store: JaegerStore) -> dict[str, Any]:
    """The `jaeger_storage.backends.<STORE>` entry."""
    if isinstance(store, MemoryStore):
        return {"memory": {"max_traces": store.max_traces}}
    if isinstance(store, BadgerStore):
        return {"badger": {"directories": {"keys": f"{store.path}/keys", "values": f"{store.path}/values"},
                           "ephemeral": False, "ttl": {"spans": store.retention}}}
    config: dict[str, Any] = {
        "server_urls": list(store.server_urls),
        "indices": {"index_prefix": store.index_prefix, "spans": _index(store), "services": _index(store),
                    "dependencies": _index(store), "sampling": _index(store)},
        # Reads never look further back than the cleaner keeps.
        "max_span_age": f"{store.retention_days * 24}h",
    }
    if store.secret is not None:
        config["auth"] = {"basic": {"username": "${env:%s}" % store.username_env,
                                    "password": "${env:%s}" % store.password_env}}
    return {store.engine: config}


def render_config(jaeger: Jaeger) -> dict[str, Any]:
    """jaeger.yaml: OTLP in (pod IP), memory_limiter first and batch last, into the one storage
    backend; the query service and health check on the pod IP; its own metrics for Prometheus."""
    return {
        "extensions": {
            "jaeger_storage": {"backends": {STORE: storage_backend(jaeger.storage)}},
            "jaeger_query": {"storage": {"traces": STORE},
                             "http": {"endpoint": f"{POD_IP}:{QUERY_HTTP_PORT}"},
                             "grpc": {"endpoint": f"{POD_IP}:{QUERY_GRPC_PORT}"}},
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": f"{POD_IP}:{HEALTH_PORT}"}},
        },
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"{POD_IP}:{OTLP_GRPC_PORT}"},
                                             "http": {"endpoint": f"{POD_IP}:{OTLP_HTTP_PORT}"}}}},
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20},
            "batch": {},
        },
        "exporters": {"jaeger_storage_exporter": {"trace_storage": STORE}},
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"],
                                     "exporters": ["jaeger_storage_exporter"]}},
            "telemetry": {
                "resource": {"service.name": jaeger.name},
                "logs": {"level": "info"},
                "metrics": {"level": "normal", "readers": [{"pull": {"exporter": {"prometheus": {
                    "host": POD_IP, "port": METRICS_PORT}}}}]},
            },
        },
    }
