"""The files of one rendered environment, held compressed once they are many, until written.

A thousand services render ~90 MB of YAML and JSON per environment, and a build holds every
environment's files until all are rendered and checked (nothing is written half-way). `Files`
keeps the first RAW_BUDGET bytes as they are and every file past them zlib-compressed (level 1:
~5-10x smaller, ~300 MB/s), giving the bytes back on access, so a big build's memory grows with
the compressed size while a small one skips compressing and decompressing (~0.25 s CPU at 45
MB). Files sent to another process (a worker's environment) travel compressed. It is a
read-only `Mapping[str, bytes]` in path order, equal to a dict with the same content.
"""
from __future__ import annotations

import zlib
from typing import Iterable, Iterator, Mapping

_LEVEL = 1
_SMALL = 256  # files below this are kept as they are (compression would not pay)
RAW_BUDGET = 64 << 20  # bytes of one environment's files held uncompressed before compressing the rest


class Files(Mapping[str, bytes]):
    """path -> content, sorted by path, stored compressed past `raw_budget` bytes."""

    __slots__ = ("_stored", "_compressed", "_order", "_raw_left")

    def __init__(self, items: Iterable[tuple[str, bytes]] | Mapping[str, bytes] = (),
                 raw_budget: int = RAW_BUDGET) -> None:
        self._stored: dict[str, bytes] = {}
        self._compressed: set[str] = set()
        self._order: list[str] | None = None
        self._raw_left = raw_budget  # bytes that may still be held uncompressed
        for path, content in (items.items() if isinstance(items, Mapping) else items):
            self.add(path, content)

    def add(self, path: str, content: bytes) -> None:
        """Add (or replace) one file."""
        self._order = None
        self._compressed.discard(path)
        if len(content) < _SMALL or len(content) <= self._raw_left:
            self._stored[path] = bytes(content)
            if len(content) >= _SMALL:
                self._raw_left -= len(content)
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

    def __reduce__(self) -> tuple:
        """Sent to another process compressed (what is compressed already is not compressed again):
        a build's parent holds every environment's files."""
        packed = Files(raw_budget=0)
        for path, stored in self._stored.items():
            if path in self._compressed:
                packed._stored[path] = stored
                packed._compressed.add(path)
            else:
                packed.add(path, stored)
        return (_restore, (packed._stored, packed._compressed))


def _restore(stored: dict[str, bytes], compressed: set[str]) -> Files:
    files = Files(raw_budget=0)
    files._stored, files._compressed = stored, compressed
    return files
