"""Backends obs configures but cannot run here (Tempo, Loki): definitions, renderers, strict models."""
from obs.backends.logql import LokiRulePack
from obs.backends.loki import Loki, LokiLimits
from obs.backends.storage import LocalStorage, S3Storage
from obs.backends.tempo import Kafka, Tempo, TempoLimits

__all__ = ["Kafka", "LocalStorage", "Loki", "LokiLimits", "LokiRulePack", "S3Storage", "Tempo", "TempoLimits"]
