"""A small strict-schema checker for the configs of tools obs cannot run (Tempo, Loki).

A schema is a tree of `Obj` nodes whose leaves are value specs. Every key obs emits must be
declared; an unknown key is an error that suggests the closest declared key, so a typo or a key
from an old layout cannot reach a cluster unnoticed.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from obs.errors import DefinitionError

# Go durations as Tempo and Loki parse them (time.ParseDuration, plus d/w/y in Prometheus-style fields).
GO_DURATION_RE = re.compile(r"^(?:0|(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h|d|w|y))+)\Z")
ENV_REF_RE = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*\}\Z")
URL_RE = re.compile(r"^https?://[^\s/$.?#].[^\s]*\Z")
HOST_PORT_RE = re.compile(r"^[A-Za-z0-9_.\-\[\]:]*:[0-9]{1,5}\Z")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


class Spec:
    """A value spec: `problem(value)` returns None when the value is valid, else what is wrong."""

    def problem(self, value: Any) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Scalar(Spec):
    """A value of one Python type, optionally restricted by a pattern or a predicate."""

    kind: type | tuple[type, ...]
    what: str
    pattern: re.Pattern[str] | None = None
    minimum: float | None = None
    choices: tuple[Any, ...] = ()

    def problem(self, value: Any) -> str | None:
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        if isinstance(value, bool) and bool not in kinds:
            return f"{value!r} is a bool, expected {self.what}"
        if not isinstance(value, kinds):
            return f"{value!r} is a {type(value).__name__}, expected {self.what}"
        if self.choices and value not in self.choices:
            return f"{value!r} is not one of {', '.join(map(repr, self.choices))}"
        if self.pattern is not None and not self.pattern.match(str(value)):
            return f"{value!r} is not {self.what}"
        if self.minimum is not None and isinstance(value, (int, float)) and value < self.minimum:
            return f"{value!r} is below the minimum {self.minimum:g}"
        return None

    def describe(self) -> str:
        return self.what


BOOL = Scalar(bool, "a bool")
INT = Scalar(int, "a non-negative integer", minimum=0)
PORT = Scalar(int, "a port number", minimum=1)
FLOAT = Scalar((int, float), "a non-negative number", minimum=0)
STR = Scalar(str, "a string", pattern=re.compile(r"^\S"))
PATH = Scalar(str, "an absolute path", pattern=re.compile(r"^/\S*\Z"))
URL = Scalar(str, "an http(s) URL", pattern=URL_RE)
DURATION = Scalar(str, "a duration such as '5m' or '168h'", pattern=GO_DURATION_RE)
HOST_PORT = Scalar(str, "a host:port listen address", pattern=HOST_PORT_RE)
DATE = Scalar(str, "a YYYY-MM-DD date", pattern=DATE_RE)
SECRET = Scalar(str, "an environment reference such as '${S3_ACCESS_KEY_ID}' (secrets never go into files)",
                pattern=ENV_REF_RE)


def enum(*choices: Any) -> Scalar:
    """One of the given values."""
    return Scalar(tuple({type(c) for c in choices}), f"one of {', '.join(map(repr, choices))}",
                  choices=tuple(choices))


@dataclass(frozen=True)
class ListOf(Spec):
    """A non-empty list whose items all match `item`."""

    item: Spec | "Obj"
    unique: bool = True

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, list) or not value:
            return f"{value!r} is not a non-empty list"
        if self.unique and all(isinstance(v, (str, int)) for v in value) and len(set(value)) != len(value):
            return f"{value!r} repeats an item"
        return None

    def describe(self) -> str:
        return "a list"


@dataclass(frozen=True)
class Obj:
    """A mapping with declared keys. `required` keys must be present; `one_of` groups need exactly
    one present key; `rules` are (predicate on the mapping, problem) pairs for combinations.
    `values` instead of `keys` declares a mapping with free keys (e.g. tenant IDs)."""

    keys: Mapping[str, Spec | "Obj"] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    rules: tuple[tuple[Callable[[Mapping[str, Any]], bool], str], ...] = ()
    values: "Spec | Obj | None" = None
    key_pattern: re.Pattern[str] | None = None
    hints: Mapping[str, str] = field(default_factory=dict)


def check(schema: Obj, data: Any, definition: str, path: str = "") -> None:
    """Raise DefinitionError at the first key or value of `data` that `schema` does not allow."""
    for field_name, problem, fix in problems(schema, data, path):
        raise DefinitionError(definition, field_name or "(root)", problem, fix)


def problems(schema: Obj, data: Any, path: str = "") -> list[tuple[str, str, str]]:
    """Every (field path, problem, fix) of `data` against `schema`."""
    found: list[tuple[str, str, str]] = []
    if not isinstance(data, dict):
        return [(path, f"{data!r} is not a mapping", "write a mapping of keys to values")]
    if schema.values is not None:
        for key, value in data.items():
            sub = f"{path}.{key}" if path else str(key)
            if key in schema.hints:
                found.append((sub, "unknown key (an outdated layout)", schema.hints[key]))
                continue
            if schema.key_pattern is not None and not schema.key_pattern.match(str(key)):
                found.append((sub, f"key {key!r} is not allowed here", "use a valid identifier"))
            found.extend(_value_problems(schema.values, value, sub))
        return found
    for key, value in data.items():
        sub = f"{path}.{key}" if path else str(key)
        if key not in schema.keys and key in schema.hints:
            found.append((sub, "unknown key (an outdated layout)", schema.hints[key]))
            continue
        if key not in schema.keys:
            close = difflib.get_close_matches(str(key), list(schema.keys), n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(sorted(schema.keys))}"
            found.append((sub, "unknown key", fix))
            continue
        found.extend(_value_problems(schema.keys[key], value, sub))
    for key in schema.required:
        if key not in data:
            found.append((f"{path}.{key}" if path else key, "is required", "set it"))
    for group in schema.one_of:
        present = [k for k in group if k in data]
        if len(present) != 1:
            found.append((path or "(root)", f"needs exactly one of {', '.join(group)} (has {present or 'none'})",
                          "set exactly one"))
    for predicate, problem in schema.rules:
        if not predicate(data):
            found.append((path or "(root)", problem, "fix the combination of keys"))
    return found


def _value_problems(spec: Spec | Obj, value: Any, path: str) -> list[tuple[str, str, str]]:
    if isinstance(spec, Obj):
        return problems(spec, value, path)
    problem = spec.problem(value)
    if problem:
        return [(path, problem, f"write {spec.describe()}")]
    if isinstance(spec, ListOf):
        out: list[tuple[str, str, str]] = []
        for index, item in enumerate(value):
            out.extend(_value_problems(spec.item, item, f"{path}[{index}]"))
        return out
    return []
