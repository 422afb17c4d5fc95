"""Label matchers as Alertmanager reads them (`name="value"`, `!=`, `=~`, `!~`), evaluated in
Python too so obs can say which routing intent an alert's labels meet."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence, Union

from obs.errors import DefinitionError
from obs.model.checks import check_label_name

OPERATORS = ("=", "!=", "=~", "!~")
_MATCHER_RE = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')


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
        """Alertmanager's matcher syntax, the value double-quoted and escaped."""
        return f"{self.name}{self.op}{json.dumps(self.value)}"

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
            match = _MATCHER_RE.match(item)
            if not match:
                raise DefinitionError(definition, field, f"{item!r} is not a matcher",
                                      "write label=\"value\" (or !=, =~, !~), the value in double quotes")
            item = Matcher(match[1], json.loads(f'"{match[3]}"'), match[2])
        if not isinstance(item, Matcher):
            raise DefinitionError(definition, field, f"{item!r} is not a matcher")
        found.append(item)
    return tuple(sorted(found, key=lambda m: (m.name, m.op, m.value)))


def all_match(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
