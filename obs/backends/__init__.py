"""Backends obs configures (Tempo, Loki, Jaeger v2): definitions, renderers, strict models."""
from typing import TYPE_CHECKING

from obs.lazy import exports

if TYPE_CHECKING:
    from obs.backends.jaeger import BadgerStore, ElasticsearchStore, Jaeger, MemoryStore
    from obs.backends.logql import LokiRulePack
    from obs.backends.loki import Loki, LokiLimits
    from obs.backends.storage import LocalStorage, S3Storage
    from obs.backends.tempo import Kafka, Tempo, TempoLimits

__all__ = ["BadgerStore", "ElasticsearchStore", "Jaeger", "Kafka", "LocalStorage", "Loki", "LokiLimits",
           "LokiRulePack", "MemoryStore", "S3Storage", "Tempo", "TempoLimits"]
__getattr__, __dir__ = exports(__name__, {
    "jaeger": ("BadgerStore", "ElasticsearchStore", "Jaeger", "MemoryStore"),
    "logql": ("LokiRulePack",),
    "loki": ("Loki", "LokiLimits"),
    "storage": ("LocalStorage", "S3Storage"),
    "tempo": ("Kafka", "Tempo", "TempoLimits"),
})
