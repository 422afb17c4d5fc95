"""The metric catalogue: which series and labels each declared source produces (cluster exporters,
instrumented services, the collectors' pipelines and own telemetry, recording rules), for the
coherence check (obs.validate.coherence). Declare a source obs does not know with `MetricSource`."""
from typing import TYPE_CHECKING

from obs.lazy import exports

if TYPE_CHECKING:
    from obs.catalog.source import Instrument, MetricSource

__all__ = ["Instrument", "MetricSource"]
__getattr__, __dir__ = exports(__name__, {
    "source": ("Instrument", "MetricSource"),
})
