"""Deterministic serialisation of rendered data to bytes (YAML, JSON, text).

YAML is written by a small direct emitter for the shapes renderers produce (dicts, lists, str,
int, float, bool, None), byte-identical to PyYAML's pure-Python emitter configured as `_Dumper`
below, and ~20x faster. Each distinct scalar's text is worked out once (cached); anything the
direct emitter does not handle exactly (complex keys, list in list, a line long enough to be
folded, unusual block scalars, other types) makes the whole document go through PyYAML.
(libyaml's C emitter cannot be used: it writes sequences in mappings without indentation.)
"""
from __future__ import annotations

import io
import json
import re
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks, no aliases, insertion order kept."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


# A literal block cannot hold these exactly (a reader folds or strips them): such strings are
# written double-quoted with escapes, so every string reads back unchanged.
_NOT_IN_BLOCK = re.compile("[\r\x85\u2028\u2029]|[ \t]\n|[ \t]$")


def _not_in_block(value: str) -> bool:
    """`_NOT_IN_BLOCK.search(value)`, by substring tests (C speed on long multi-line strings)."""
    return ("\r" in value or "\x85" in value or "\u2028" in value or "\u2029" in value or " \n" in value
            or "\t\n" in value or value.endswith((" ", "\t")))


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value or _not_in_block(value):
        style = '"' if _not_in_block(value) else "|"
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)

WIDTH = 1000  # PyYAML folds plain and quoted scalars at spaces past this column
_OPTIONS: dict[str, Any] = dict(Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=WIDTH,
                                default_flow_style=False)


def _pyyaml(data: Any) -> str:
    return yaml.dump(data, **_OPTIONS)


class _Fallback(Exception):
    """The direct emitter cannot promise PyYAML's bytes for this document."""


_STR_TAG = "tag:yaml.org,2002:str"
_BREAKS = "\n\x85\u2028\u2029"
_LEADING_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_ANALYZER = _Dumper(io.StringIO(), allow_unicode=True, width=WIDTH)
_scalars: dict[Any, str] = {}  # value (or (type, value)) -> its one-line YAML text
# First characters an implicit resolver (int, float, bool, null, ...) may match; every other
# non-empty text resolves to str (PyYAML's `resolve`, when there is no wildcard or path resolver).
_RESOLVED_FIRST = frozenset(k for k in _ANALYZER.yaml_implicit_resolvers if k) \
    if None not in _ANALYZER.yaml_implicit_resolvers and not _ANALYZER.yaml_path_resolvers else None
_CACHE_LIMIT = 1_000_000


def _plain_ok(text: str) -> bool:
    """Whether PyYAML writes `text` (non-empty, one line of printable ASCII) as a plain scalar in
    block context (else it single-quotes it)."""
    if text[0] == " " or text[-1] == " ":
        return False
    first = text[0]
    if first in _LEADING_INDICATORS or (first in "-?:" and (len(text) == 1 or text[1] == " ")):
        return False
    if ": " in text or text[-1] == ":" or " #" in text or text.startswith(("---", "...")):
        return False
    if _RESOLVED_FIRST is not None and first not in _RESOLVED_FIRST:
        return True  # no implicit resolver starts with this character: PyYAML resolves it to str
    return _ANALYZER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG


def _scalar_text(value: Any) -> str:
    """The one-line YAML text of a scalar (as a mapping value or sequence item), cached."""
    key = value if type(value) is str else (type(value), value)
    text = _scalars.get(key)
    if text is not None:
        return text
    if type(value) is str and value and value.isascii() and value.isprintable():
        # printable ASCII holds no line break or tab: of _NOT_IN_BLOCK only a trailing space is left
        if value[-1] == " ":
            raise _Fallback  # written double-quoted by _str_representer, so it reads back unchanged
        text = value if _plain_ok(value) else "'" + value.replace("'", "''") + "'"
    else:
        if type(value) is str and _not_in_block(value):
            raise _Fallback  # written double-quoted by _str_representer
        if type(value) is str and any(c in value for c in _BREAKS):
            raise _Fallback  # PyYAML breaks the line there and indents the rest
        dumped = _pyyaml({"k": value})
        if not dumped.startswith("k: ") or dumped.count("\n") != 1:
            raise _Fallback
        text = dumped[3:-1]
    if len(_scalars) > _CACHE_LIMIT:
        _scalars.clear()
    _scalars[key] = text
    return text


def _literal(head: str, value: str, indent: int, out: list[str]) -> None:
    """`head |-` and the lines of a multi-line string at `indent`."""
    if _not_in_block(value):
        raise _Fallback  # written double-quoted by _str_representer
    text = value
    if not text or text[0] in " \n" or (text.endswith("\n") and (len(text) == 1 or text[-2] == "\n")):
        raise _Fallback  # needs an indentation indicator or keep chomping (`|+`)
    if not (text.isascii() and text.replace("\n", "").isprintable()) and \
            not _ANALYZER.analyze_scalar(text).allow_block:
        raise _Fallback
    pad = " " * indent
    body = text[:-1] if text.endswith("\n") else text
    out.append(f"{head} |{'' if text.endswith(chr(10)) else '-'}\n")
    if "\n\n" in body:  # empty lines carry no indentation
        out.append("".join(f"{pad}{line}\n" if line else "\n" for line in body.split("\n")))
    else:
        out.append(pad + body.replace("\n", "\n" + pad) + "\n")


def _scalar(head: str, value: Any, indent: int, out: list[str]) -> None:
    """`head value` on one line, or a literal block for a multi-line string."""
    kind = type(value)
    if kind is str and "\n" in value:
        _literal(head, value, indent, out)
        return
    if kind not in (str, int, float, bool) and value is not None:
        raise _Fallback
    text = _scalar_text(value)
    if indent + len(head) + len(text) + 4 > WIDTH:
        raise _Fallback  # PyYAML may fold it
    out.append(f"{head} {text}\n")


def _key(key: Any) -> str:
    if type(key) not in (str, int, float, bool) or (type(key) is str and (not key or len(key) >= 128 or "\n" in key)):
        raise _Fallback  # not a simple key
    return _scalar_text(key)


# What str.splitlines cuts at besides "\n".
_OTHER_LINE_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


class Block:
    """A mapping serialised once and embedded as is wherever it appears again (e.g. a rule file's
    `groups` inside a PrometheusRule's `spec`): the same bytes as serialising `data` there."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        try:
            self.text: str | None = _direct(data) if type(data) is dict and data else None
        except _Fallback:
            self.text = None
        # Line breaks other than "\n" never reach the direct emitter's text (it escapes or hands
        # such strings to PyYAML); where one did, the lines are measured as str.splitlines cuts them.
        self.simple = self.text is not None and not any(mark in self.text for mark in _OTHER_LINE_BREAKS)
        self.width = (max(map(len, self.text.split("\n"))) if self.simple else
                      max((len(line) for line in self.text.splitlines()), default=0)) if self.text else 0

    def to_yaml(self) -> bytes:
        return self.text.encode() if self.text is not None else to_yaml(self.data)

    def indented(self, indent: int) -> str | None:
        """The text shifted right by `indent`, or None where PyYAML could fold a longer line."""
        if self.text is None or self.width + indent + 4 > WIDTH:
            return None
        pad = " " * indent
        text = self.text
        if self.simple and "\n\n" not in text and text.endswith("\n"):  # no empty line: one replace
            return pad + text[:-1].replace("\n", "\n" + pad) + "\n"
        return "".join(pad + line if line != "\n" else line for line in self.text.splitlines(keepends=True))


_Dumper.add_representer(Block, lambda dumper, block: dumper.represent_data(block.data))


def _value(head: str, value: Any, indent: int, out: list[str]) -> None:
    """A mapping entry's value after `head` ("key:"); nested content goes at `indent`."""
    kind = type(value)
    if kind is Block:
        text = value.indented(indent)
        if text is None:
            _value(head, value.data, indent, out)
        else:
            out.append(head + "\n")
            out.append(text)
    elif kind is dict:
        if value:
            out.append(head + "\n")
            _mapping(value, indent, out, inline_first=False)
        else:
            out.append(head + " {}\n")
    elif kind is list:
        if value:
            out.append(head + "\n")
            _sequence(value, indent, out)
        else:
            out.append(head + " []\n")
    else:
        _scalar(head, value, indent, out)


def _mapping(data: dict, indent: int, out: list[str], inline_first: bool) -> None:
    pad = " " * indent
    child = indent + 2
    prefix = "" if inline_first else pad
    cached = _scalars.get
    room = WIDTH - 5 - child  # for `prefix key: value` on one line, past which PyYAML may fold it
    for key, value in data.items():
        name = cached(key) if type(key) is str and 0 < len(key) < 128 else None
        if name is None:
            name = _key(key)
        if type(value) is str and "\n" not in value:  # the common case, inline
            text = cached(value)
            if text is None:
                text = _scalar_text(value)
            if len(prefix) + len(name) + len(text) > room:
                raise _Fallback
            out.append(f"{prefix}{name}: {text}\n")
        else:
            _value(f"{prefix}{name}:", value, child, out)
        prefix = pad


def _sequence(items: list, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        kind = type(item)
        if kind is dict:
            if item:
                out.append(pad + "- ")
                _mapping(item, indent + 2, out, inline_first=True)
            else:
                out.append(pad + "- {}\n")
        elif kind is list:
            if item:
                raise _Fallback  # `- - x`: rare, let PyYAML place it
            out.append(pad + "- []\n")
        else:
            _scalar(pad + "-", item, indent + 2, out)


def _direct(data: Any) -> str:
    out: list[str] = []
    if type(data) is dict:
        if not data:
            return "{}\n"
        _mapping(data, 0, out, inline_first=False)
    elif type(data) is list:
        if not data:
            return "[]\n"
        _sequence(data, 0, out)
    else:
        raise _Fallback
    return "".join(out)


def to_yaml(data: Any) -> bytes:
    """One YAML document. Dict order is the renderer's (renderers build dicts in a fixed order)."""
    try:
        text = _direct(data)
    except _Fallback:
        text = _pyyaml(data)
    return text.encode()


def to_yaml_documents(documents: list[Any]) -> bytes:
    """Several YAML documents separated by '---'."""
    return b"---\n".join(to_yaml(doc) for doc in documents)


def to_json(data: Any) -> bytes:
    """Pretty JSON with sorted keys and a trailing newline: the bytes of `json.dumps(data,
    indent=2, sort_keys=True, ensure_ascii=False)`, written by a direct emitter (json's indenting
    encoder is pure Python and several times slower); other shapes go through json."""
    out: list[str] = []
    try:
        _json_value(data, "\n", out)
    except _Fallback:
        return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    out.append("\n")
    return "".join(out).encode()


_encode_string = json.encoder.encode_basestring  # the C escaper json uses with ensure_ascii=False
_JSON_CONSTANTS = {True: "true", False: "false", None: "null"}


def _json_value(value: Any, newline: str, out: list[str]) -> None:
    """Append `value` as indented JSON; `newline` is a newline plus the current indent."""
    kind = type(value)
    if kind is str:
        out.append(_encode_string(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        keys = list(value)
        if any(type(key) is not str for key in keys):
            raise _Fallback  # json converts and sorts other key types its own way
        separator = "{"
        for key in sorted(keys):
            out.append(f"{separator}{inner}{_encode_string(key)}: ")
            _json_value(value[key], inner, out)
            separator = ","
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "["
        for item in value:
            out.append(separator + inner)
            _json_value(item, inner, out)
            separator = ","
        out.append(newline + "]")
    elif value is None or kind is bool:
        out.append(_JSON_CONSTANTS[value])
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float and value == value and value not in (float("inf"), float("-inf")):
        out.append(float.__repr__(value))
    else:
        raise _Fallback  # NaN, infinities, subclasses and other types: json's own rules
