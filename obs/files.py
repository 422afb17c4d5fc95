"""The files of one rendered environment, held compressed until written.

A thousand services render ~90 MB of YAML and JSON per environment, and a build holds every
environment's files until all are rendered and checked (nothing is written half-way). `Files`
keeps each file zlib-compressed (level 1: ~5-10x smaller, ~300 MB/s) and gives the bytes back
on access, so a build's memory grows with the compressed size. It is a read-only
`Mapping[str, bytes]` in path order, equal to a dict with the same content.
"""
from __future__ import annotations

import zlib
from typing import Iterable, Iterator, Mapping

_LEVEL = 1
_SMALL = 256  # files below this are kept as they are (compression would not pay)


class Files(Mapping[str, bytes]):
    """path -> content, sorted by path, stored compressed."""

    __slots__ = ("_stored", "_compressed", "_order")

    def __init__(self, items: Iterable[tuple[str, bytes]] | Mapping[str, bytes] = ()) -> None:
        self._stored: dict[str, bytes] = {}
        self._compressed: set[str] = set()
        self._order: list[str] | None = None
        for path, content in (items.items() if isinstance(items, Mapping) else items):
            self.add(path, content)

    def add(self, path: str, content: bytes) -> None:
        """Add (or replace) one file."""
        self._order = None
        self._compressed.discard(path)
        if len(content) < _SMALL:
            self._stored[path] = bytes(content)
        else:
            self._compressed.add(path)
            self._stored[path] = zlib.compress(content, _LEVEL)

    def __getitem__(self, path: str) -> bytes:
        stored = self._stored[path]
        return zlib.decompress(stored) if path in self._compressed else stored

    def __iter__(self) -> Iterator[str]:
        if self._order is None:
            self._order = sorted(self._stored)
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._stored)

    def __contains__(self, path: object) -> bool:
        return path in self._stored

    @property
    def stored_bytes(self) -> int:
        """Bytes held in memory (compressed)."""
        return sum(map(len, self._stored.values()))

    def __repr__(self) -> str:
        return f"Files({len(self)} files)"

    def __reduce__(self) -> tuple:  # sent between processes compressed, not re-compressed
        return (_restore, (self._stored, self._compressed))


def _restore(stored: dict[str, bytes], compressed: set[str]) -> Files:
    files = Files()
    files._stored, files._compressed = stored, compressed
    return files
