"""YAML documents read for `obs import`, strictly: the file must be UTF-8 (an error names the file
and the byte), a key twice in one mapping is an error with both line numbers (PyYAML would keep
the last silently), and aliases may not expand the document past a bound, so a "billion laughs"
file is refused at once instead of running for minutes (issue 21). Errors never quote the
expanded value.

Spec files are usually written in a small subset of block YAML (what `yaml.safe_dump` writes:
block mappings and sequences, plain scalars, no comment or quote): `_block_documents` reads that
subset line by line, about three times faster than libyaml's composer with the loader on top.
Other documents that are plain trees (no anchor, alias, merge key or explicit tag) are built by
`_plain_tree` straight from libyaml's nodes, several times faster than PyYAML's generic
constructor. Anything else, and any document a fast path finds a problem in, goes through the
strict constructor, so values and errors are the same either way."""
from __future__ import annotations

import re
from typing import Any

import yaml

from obs.errors import DefinitionError

# Nodes a document may have once every alias is expanded: far beyond any SLO spec, far below a bomb.
MAX_EXPANDED_NODES = 100_000
_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


class _StrictLoader(_BASE):  # type: ignore[misc, valid-type]
    """A safe loader that refuses duplicate keys and alias bombs."""

    source = ""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """PyYAML's tag resolution, with shortcuts for the usual case, a plain scalar: one whose
        first character starts no implicit resolver (int, float, bool, null, ...) is a string;
        another's tag depends on its text alone (no path or wildcard resolvers), so it is
        remembered (spec keys such as `name`, `objective` and `total_query` repeat in every file)."""
        if kind is yaml.ScalarNode and implicit[0] and _PLAIN_IS_STR:
            if value and value[0] not in _IMPLICIT_FIRST:
                return _STR
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) >= 4096:
                    _PLAIN_TAGS.clear()
                _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

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


# The characters an implicit resolver of the loader may start with; without a wildcard or path
# resolver, any other plain scalar resolves to a string.
_IMPLICIT_FIRST = frozenset(key for key in _StrictLoader.yaml_implicit_resolvers if key)
_PLAIN_IS_STR = None not in _StrictLoader.yaml_implicit_resolvers and not _StrictLoader.yaml_path_resolvers
_PLAIN_TAGS: dict[str, str] = {}  # a plain scalar's text -> its resolved tag (see _StrictLoader.resolve)


class _NotPlain(Exception):
    """The document needs the strict constructor (or holds an error it reports)."""


_KEY_TAGS_NOT_PLAIN = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


def _plain_tree(root: yaml.Node, loader: _StrictLoader) -> Any:
    """The value of a document that is a plain tree of str-keyed mappings, sequences and
    scalars (scalars other than strings built by the loader's own constructor): what the strict
    constructor builds for it. Raises _NotPlain for anything else (an alias, a merge key, another
    collection tag, a duplicate key, more than MAX_EXPANDED_NODES nodes)."""
    seen: set[int] = set()

    def build(node: yaml.Node) -> Any:
        if id(node) in seen or len(seen) >= MAX_EXPANDED_NODES:
            raise _NotPlain  # an alias (a node met twice), or a document past the bound
        seen.add(id(node))
        kind = type(node)
        if kind is yaml.ScalarNode:
            return node.value if node.tag == _STR else loader.construct_object(node, deep=True)
        if kind is yaml.MappingNode and node.tag == _MAP:
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not yaml.ScalarNode or key_node.tag in _KEY_TAGS_NOT_PLAIN:
                    raise _NotPlain
                key = build(key_node)
                if key in out:
                    raise _NotPlain  # a duplicate key: the strict constructor names both lines
                out[key] = build(value_node)
            return out
        if kind is yaml.SequenceNode and node.tag == _SEQ:
            return [build(item) for item in node.value]
        raise _NotPlain

    return build(root)


def _plain_documents(text: str, loader_class: type[_StrictLoader]) -> list[Any] | None:
    """Every document of the stream built by `_plain_tree`, or None when one is not plain (or
    has any problem: the strict path then reports it exactly)."""
    loader = loader_class(text)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            documents.append(None if node is None else _plain_tree(node, loader))
        return documents
    except Exception:  # anything at all: the strict path reads the file again and says what it is
        return None
    finally:
        loader.dispose()


# A block mapping key the block reader takes: a plain word, then `:` and a space or the line's end.
_BLOCK_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_./-]*):(?: +|\Z)")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_SCALARS = yaml.constructor.SafeConstructor()  # builds int, float, bool and null as the strict loader does
_RESOLVER = _StrictLoader("")


class _NotBlock(Exception):
    """The text is not in the subset `_block_documents` reads."""


def _block_documents(text: str) -> list[Any] | None:
    """The one document of `text` when it is in the subset of block YAML that spec files are
    usually written in (and `yaml.safe_dump` writes): ASCII, indentation by spaces, block mappings
    of plain keys and block sequences, plain scalars (folded over several lines), `{}` and `[]`;
    no comment, quote, anchor, tag, flow collection, block scalar, blank line or document marker.
    It reads that subset several times faster than libyaml's composer and the loader built on it,
    to the same values; anything else (and anything that could be an error) is None, read the
    strict way."""
    if not _PLAIN_IS_STR or not text.isascii() or not text.replace("\n", "").isprintable():
        return None  # a tab, a carriage return or another control character
    lines: list[tuple[int, str]] = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        if not body or body[-1] == " ":
            if line:
                return None  # spaces only, or trailing spaces
            continue
        lines.append((len(line) - len(body), body))
    if not lines or lines[0][0] != 0 or text.rstrip("\n").count("\n") + 1 != len(lines) or \
            3 * len(lines) >= MAX_EXPANDED_NODES:  # (a line holds at most three nodes)
        return None  # empty, indented, with a blank line (which folds scalars differently), or large
    try:
        reader = _BlockReader(lines)
        value = reader.block(0)
    except Exception:  # _NotBlock, or anything at all: the strict way reads it and says what it is
        return None
    return [value] if reader.index == len(lines) else None


class _BlockReader:
    """Reads `_block_documents`' subset from (indent, text) lines; raises _NotBlock outside it."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.lines, self.index = lines, 0

    def block(self, indent: int) -> Any:
        body = self.lines[self.index][1]
        return self.sequence(indent) if body[0] == "-" and body[:2] in ("- ", "-") else self.mapping(indent)

    def mapping(self, indent: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lines, size = self.lines, len(self.lines)
        while self.index < size:
            at, body = lines[self.index]
            if at != indent or body[:2] == "- ":
                break
            match = _BLOCK_KEY.match(body)
            if match is None:
                raise _NotBlock
            key = match[1]
            if key in out or (key[0] in _IMPLICIT_FIRST and _plain_scalar(key) is not key):
                raise _NotBlock  # a duplicate (the strict loader names both lines), or not a string
            self.index += 1
            rest = body[match.end():]
            if rest:
                out[key] = self.scalar(rest, indent)
            elif self.index < size and (lines[self.index][0] > indent or (
                    lines[self.index][0] == indent and lines[self.index][1][:2] == "- ")):
                out[key] = self.block(lines[self.index][0])
            else:
                out[key] = None
        self.end(indent)
        return out

    def sequence(self, indent: int) -> list[Any]:
        out: list[Any] = []
        lines = self.lines
        while self.index < len(lines) and lines[self.index][0] == indent and lines[self.index][1][:2] == "- ":
            rest = lines[self.index][1][2:]
            if rest[0] == " " or rest[:2] in ("- ", "-"):
                raise _NotBlock  # wider indentation or a nested sequence on the item's line
            if _BLOCK_KEY.match(rest):  # a mapping starting on the item's line
                lines[self.index] = (indent + 2, rest)
                out.append(self.mapping(indent + 2))
            else:
                self.index += 1
                out.append(self.scalar(rest, indent))
        self.end(indent)
        return out

    def scalar(self, first: str, indent: int) -> Any:
        """A plain scalar starting with `first`, continued on the lines indented past `indent`."""
        lines, parts = self.lines, [first]
        while self.index < len(lines) and lines[self.index][0] > indent:
            part = lines[self.index][1]
            if part[0] in _INDICATORS and part[0] != "-":  # `- x` further in continues the text
                raise _NotBlock
            parts.append(part)
            self.index += 1
        text = " ".join(parts) if len(parts) > 1 else first
        if text in ("{}", "[]"):
            return {} if text == "{}" else []
        if (text[0] in _INDICATORS and (text[0] != "-" or text[1:2] in ("", " "))) or ": " in text \
                or " #" in text or text[-1] == ":":
            raise _NotBlock
        return text if text[0] not in _IMPLICIT_FIRST else _plain_scalar(text)

    def end(self, indent: int) -> None:
        if self.index < len(self.lines) and self.lines[self.index][0] > indent:
            raise _NotBlock  # indented past the collection it follows: an error the strict way


def _plain_scalar(text: str) -> Any:
    """A plain scalar's value, resolved and built as the strict loader does."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _STR:
        return text
    if tag not in _BUILT:
        raise _NotBlock
    return _SCALARS.yaml_constructors[tag](_SCALARS, yaml.ScalarNode(tag, text))


_BUILT = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool", "null"))


def decode(data: bytes, source: str) -> str:
    """The file's text; not UTF-8 is an error naming the file and the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(source, "encoding", f"is not UTF-8 (byte {exc.start} is 0x{data[exc.start]:02x})",
                              "save the file as UTF-8") from None


def load_documents(text: str, source: str) -> list[Any]:
    """Every document of a YAML stream (None for empty ones), strictly."""
    block = _block_documents(text)
    if block is not None:
        return block
    loader_class = type("Loader", (_StrictLoader,), {"source": source})
    try:
        plain = _plain_documents(text, loader_class)
        return plain if plain is not None else list(yaml.load_all(text, Loader=loader_class))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DefinitionError(source, "yaml", f"is not valid YAML{where}: {problem}", "fix the file's syntax") from None
