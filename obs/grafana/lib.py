"""grafanalib and attrs, imported when first used: grafanalib defines hundreds of attrs classes
(~0.1 s at start-up), which a run that builds no dashboard (an SLO-only bundle, `obs import`,
`obs --help`) never needs.

    from obs.grafana.lib import attr, g   # as `import attr` and `from grafanalib import core as g`
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any


class _OnFirstUse:
    """A module imported at the first attribute read (then served from sys.modules)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        module: ModuleType = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<{self._name}, imported on first use>"


if TYPE_CHECKING:
    import attr
    from grafanalib import _gen as gen
    from grafanalib import core as g
else:
    attr = _OnFirstUse("attr")
    g = _OnFirstUse("grafanalib.core")
    gen = _OnFirstUse("grafanalib._gen")

__all__ = ["attr", "g", "gen"]
