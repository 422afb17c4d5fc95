"""Instrumentation: per-service OTel SDK set-up (Python module, declarative config, Java/Node/Go
snippets), OTel Operator Instrumentation manifests and workload opt-in annotations."""
from obs.instrumentation.model import Instrumentation, Service

__all__ = ["Instrumentation", "Service"]
