"""Import on use. Most of a small build's time is obs's start-up, which is importing its modules, and
a build of SLOs alone needs about half of them: importing all took ~0.15 s, as long as Sloth's whole
run over 10 services.

- `exports`: lazy re-exports for a package's `__init__` (PEP 562). `from obs.grafana import
  Dashboard` still works, but importing one light submodule (`obs.grafana.datasources`) no longer
  imports every sibling the package re-exports. The package's `if TYPE_CHECKING:` imports keep the
  names visible to mypy and to the import-cycle test.
- `When` and `deferred`: entries of the renderer and check tables imported when used. Their `load`
  functions import with an ordinary `from ... import`, so the import-cycle test sees those edges.
"""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterable, Mapping, ParamSpec, Sequence, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C")
T = TypeVar("T")


def exports(package: str, modules: Mapping[str, Sequence[str]]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`, whose public names live in its submodules
    (submodule, relative to the package -> its names). A name is imported on first use and then kept."""
    names = {name: module for module, found in modules.items() for name in found}

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__


def deferred(load: Callable[[], Callable[P, R]]) -> Callable[P, R]:
    """A function whose module is imported on its first call (`load` imports it and returns the
    function): for a table of checks (obs.validate) that a build without validation never runs."""
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return load()(*args, **kwargs)
    call.__qualname__ = call.__name__ = load.__name__.lstrip("_")
    return call


@dataclass(frozen=True)
class When(Generic[C, T]):
    """A renderer or linter of a component an environment may not have (Tempo, a mesh, collectors...):
    nothing when `present(ctx)` is false, else the function `load` imports, called. An environment
    without the component gets nothing from the function either way (tests/test_lazy.py checks it
    on real bundles), and an SLO-only build never imports the component's model, renderer and checks."""

    present: Callable[[C], object]
    load: Callable[[], Callable[[C], Iterable[T]]]

    def __call__(self, ctx: C) -> Iterable[T]:
        return self.load()(ctx) if self.present(ctx) else ()
