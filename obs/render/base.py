"""What renderers take and give: the context of one environment, and files as plain data."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterable, Literal, TypeVar

from obs.model.bundle import Bundle, Definitions
from obs.model.environment import Environment
from obs.serialize import to_json, to_yaml, to_yaml_documents

T = TypeVar("T")
Format = Literal["yaml", "yaml-documents", "json", "text", "bytes"]


@dataclass(frozen=True)
class RenderContext:
    """One environment of one bundle, with its definitions built."""

    bundle: Bundle
    env: Environment
    defs: Definitions
    memo: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def once(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()`, computed once per context: renderers and linters of one environment share
        what is costly to build (dashboard JSON, indexes over every alert)."""
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]

    def forget(self, kind: str) -> None:
        """Drop what `once` kept under `(kind, ...)` keys: what only the renderers share (a rule
        pack's serialised groups), once they have all run, so the linters do not run beside it (a
        thousand services' rule groups are ~35 MB)."""
        for key in [k for k in self.memo if isinstance(k, tuple) and k[:1] == (kind,)]:
            del self.memo[key]


@dataclass(frozen=True)
class RenderedFile:
    """A file relative to the environment's output folder, as data plus its format."""

    path: str
    data: Any
    format: Format = "yaml"

    def to_bytes(self) -> bytes:
        if self.format == "yaml":
            return to_yaml(self.data)
        if self.format == "yaml-documents":
            return to_yaml_documents(list(self.data))
        if self.format == "bytes":  # serialised already (shared with another file)
            return bytes(self.data)
        if self.format == "json":
            return to_json(self.data)
        text = self.data if isinstance(self.data, str) else str(self.data)
        return text.encode() if text.endswith("\n") else (text + "\n").encode()


Renderer = Callable[[RenderContext], Iterable[RenderedFile]]


@dataclass(frozen=True)
class Share:
    """Which items a divisible renderer renders: every `of`-th, from the `index`-th. Two
    processes each render one share of the same items; the whole is `Share()`."""

    index: int = 0
    of: int = 1

    def holds(self, item: int) -> bool:
        return item % self.of == self.index


WHOLE = Share()  # every item: one process renders it all

# A renderer whose items are independent files, so its work can be divided between processes.
DivisibleRenderer = Callable[[RenderContext, Share], Iterable[RenderedFile]]
