r"""Label matchers as Alertmanager reads them (`name="value"`, `!=`, `=~`, `!~`), evaluated in
Python too so obs can say which routing intent an alert's labels meet.

Matcher strings are written and read exactly as Alertmanager's matcher parser (0.22 and later, and
amtool's `config routes test` labels) reads them: inside the double quotes only `\\`, `\"` and
`\n` are escapes; every other character, non-ASCII included, stands for itself (a JSON escape
such as `\u00e9` would reach Alertmanager as six literal characters, issue 21).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence, Union

from obs.errors import DefinitionError
from obs.model.checks import check_label_name, check_utf8

OPERATORS = ("=", "!=", "=~", "!~")
# Alertmanager's pkg/labels matcher shape: name, operator, the raw value (quotes handled below).
_MATCHER_RE = re.compile(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*", re.DOTALL)
_ESCAPES = {"n": "\n", '"': '"', "\\": "\\"}


def quote(value: str) -> str:
    r"""`value` double-quoted the way Alertmanager's parser unquotes it (only \\, \" and \n escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def unquote(raw: str) -> str | None:
    """The value Alertmanager reads from a matcher's raw value (quoted or not), or None where its
    parser refuses it (an unescaped double quote, a missing closing quote)."""
    quoted = raw.startswith('"')
    text = raw[1:] if quoted else raw
    out: list[str] = []
    escaped = closed = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
            out.append(_ESCAPES.get(char, "\\" + char))  # a spurious escape keeps its backslash
        elif char == "\\" and index < len(text) - 1:
            escaped = True
        elif char == '"':
            if not quoted or index < len(text) - 1:
                return None
            closed = True
        else:
            out.append(char)
    return "".join(out) if closed or not quoted else None


@dataclass(frozen=True)
class Matcher:
    """One label matcher; regular expressions are anchored, as Alertmanager anchors them."""

    name: str
    value: str
    op: str = "="

    def __post_init__(self) -> None:
        what = f"matcher {self.name}{self.op}{self.value!r}"
        check_label_name(what, "name", self.name)
        if self.op not in OPERATORS:
            raise DefinitionError(what, "op", f"{self.op!r} is not a matcher operator", f"use one of {OPERATORS}")
        if not isinstance(self.value, str):
            raise DefinitionError(what, "value", f"{self.value!r} is not a string")
        check_utf8(what, "value", self.value)
        if self.op in ("=~", "!~"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise DefinitionError(what, "value", f"is not a regular expression ({exc})",
                                      "write an RE2 expression, e.g. 'shop|web'") from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` pass this matcher (a missing label is the empty string)."""
        value = labels.get(self.name, "")
        if self.op in ("=", "!="):
            return (value == self.value) == (self.op == "=")
        return bool(re.fullmatch(self.value, value)) == (self.op == "=~")

    def text(self) -> str:
        """Alertmanager's matcher syntax, the value double-quoted as its parser reads it."""
        return f"{self.name}{self.op}{quote(self.value)}"

    def crd(self) -> dict[str, str]:
        """The AlertmanagerConfig (v1alpha1) form."""
        return {"name": self.name, "value": self.value, "matchType": self.op}


MatcherSpec = Union[Mapping[str, str], Sequence[Union[str, Matcher]]]


def parse_matchers(definition: str, field: str, spec: Any) -> tuple[Matcher, ...]:
    """Matchers from a mapping (label -> value, equality) or a list of `Matcher`s and strings such
    as 'team=~"shop|web"', sorted so the rendering is stable."""
    if spec is None:
        return ()
    if isinstance(spec, Mapping):
        items: list[Any] = [Matcher(name, value) for name, value in spec.items()]
    elif isinstance(spec, (list, tuple)):
        items = list(spec)
    else:
        raise DefinitionError(definition, field, f"{spec!r} is not a mapping or a list of matchers",
                              "write {'severity': 'critical'} or ['team=~\"shop|web\"']")
    found = []
    for item in items:
        if isinstance(item, str):
            match = _MATCHER_RE.fullmatch(item)
            value = unquote(match[3]) if match and match[3].startswith('"') else None
            if match is None or value is None:
                raise DefinitionError(definition, field, f"{item!r} is not a matcher",
                                      "write label=\"value\" (or !=, =~, !~), the value in double quotes "
                                      "with \\\\, \\\" and \\n as the only escapes")
            item = Matcher(match[1], value, match[2])
        if not isinstance(item, Matcher):
            raise DefinitionError(definition, field, f"{item!r} is not a matcher")
        found.append(item)
    return tuple(sorted(found, key=lambda m: (m.name, m.op, m.value)))


def all_match(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
