"""Instrumentation: per-service OTel SDK set-up (Python module, declarative config, Java/Node/Go
snippets), OTel Operator Instrumentation manifests and workload opt-in annotations."""
from typing import TYPE_CHECKING

from obs.lazy import exports

if TYPE_CHECKING:
    from obs.instrumentation.model import Instrumentation, Service

__all__ = ["Instrumentation", "Service"]
__getattr__, __dir__ = exports(__name__, {
    "model": ("Instrumentation", "Service"),
})
