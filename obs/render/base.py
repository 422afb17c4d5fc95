"""What renderers take and give: the context of one environment, and files as plain data."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal

from obs.model.bundle import Bundle, Definitions
from obs.model.environment import Environment
from obs.serialize import to_json, to_yaml, to_yaml_documents

Format = Literal["yaml", "yaml-documents", "json", "text"]


@dataclass(frozen=True)
class RenderContext:
    """One environment of one bundle, with its definitions built."""

    bundle: Bundle
    env: Environment
    defs: Definitions


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
        if self.format == "json":
            return to_json(self.data)
        text = self.data if isinstance(self.data, str) else str(self.data)
        return text.encode() if text.endswith("\n") else (text + "\n").encode()


Renderer = Callable[[RenderContext], Iterable[RenderedFile]]
