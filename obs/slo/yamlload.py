"""YAML documents read for `obs import`, strictly: the file must be UTF-8 (an error names the file
and the byte), a key twice in one mapping is an error with both line numbers (PyYAML would keep
the last silently), and aliases may not expand the document past a bound, so a "billion laughs"
file is refused at once instead of running for minutes (issue 21). Errors never quote the
expanded value."""
from __future__ import annotations

from typing import Any

import yaml

from obs.errors import DefinitionError

# Nodes a document may have once every alias is expanded: far beyond any SLO spec, far below a bomb.
MAX_EXPANDED_NODES = 100_000
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


class _StrictLoader(_BASE):  # type: ignore[misc, valid-type]
    """A safe loader that refuses duplicate keys and alias bombs."""

    source = ""

    def construct_document(self, node: yaml.Node) -> Any:
        _check_expansion(node, self.source)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
                seen[key] = line
            except TypeError:  # an unhashable key: the base constructor reports it
                continue
            if first is not None:
                raise DefinitionError(self.source, "yaml", f"key {str(key)[:80]!r} is given twice in one mapping "
                                      f"(lines {first} and {line}); YAML readers disagree on which one wins",
                                      "keep one of them")
        return super().construct_mapping(node, deep)


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse a document whose aliases expand it past MAX_EXPANDED_NODES (or refer to themselves)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise DefinitionError(source, "yaml", f"an alias at line {node.start_mark.line + 1} refers to the "
                                  "node that contains it", "write the value out instead of a recursive alias")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise DefinitionError(source, "yaml", f"its aliases expand it past {MAX_EXPANDED_NODES} nodes (an alias "
                                  "bomb?)", "write the document without nested aliases")
        sizes[key] = total
        return total

    size(root)


def decode(data: bytes, source: str) -> str:
    """The file's text; not UTF-8 is an error naming the file and the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(source, "encoding", f"is not UTF-8 (byte {exc.start} is 0x{data[exc.start]:02x})",
                              "save the file as UTF-8") from None


def load_documents(text: str, source: str) -> list[Any]:
    """Every document of a YAML stream (None for empty ones), strictly."""
    loader_class = type("Loader", (_StrictLoader,), {"source": source})
    try:
        return list(yaml.load_all(text, Loader=loader_class))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DefinitionError(source, "yaml", f"is not valid YAML{where}: {problem}", "fix the file's syntax") from None
