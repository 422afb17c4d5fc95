"""One place that decides whether a value holds a secret written inline, for every check in obs
(collector configs, pod env vars, backend settings and URLs) and for the scan of rendered files.

Secrets are referenced, never written: `${env:NAME}` in collector configs, `${NAME}` in Tempo and
Loki configs (expanded with -config.expand-env), Kubernetes Secret refs in pods. A finding says
what kind of secret was seen and where, never the value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from obs.errors import DefinitionError
from obs.secret_patterns import (
    PEM_PRIVATE, QUERY_PARAM, QUERY_SECRET_NAMES, REFERENCE_RE, SCHEMES, TOKEN_PATTERNS, URL_USERINFO, capability_problem,
    is_credential_header, is_secret_name, literal, redact,
)

__all__ = ["FIX", "Finding", "capability_problem", "check_tree", "check_value", "is_credential_header",
           "is_header_path", "is_secret_name", "last_key", "literal", "redact", "scan_text",
           "secret_problem", "value_problem", "walk"]

FIX = "reference it as ${env:NAME} (collector) or ${NAME} (Tempo, Loki) and fill NAME from a Kubernetes Secret"


def value_problem(value: str) -> str | None:
    """What secret a value carries whatever its key (PEM key, URL credentials, a capability URL, a
    known token), or None."""
    if PEM_PRIVATE.search(value):
        return "holds an inline PEM private key"
    for match in URL_USERINFO.finditer(value):
        user, colon, password = REFERENCE_RE.sub("\0", match.group(1)).partition(":")
        if password.replace("\0", ""):
            return "the URL carries a literal password"
        if not colon and user.replace("\0", ""):  # a token passed as the user name
            return "the URL carries credentials (user info before '@')"
    for name, param in QUERY_PARAM.findall(value):
        if (is_secret_name(name) or QUERY_SECRET_NAMES.match(name)) and literal(param):
            return f"the URL's query parameter {name!r} carries a credential"
    for kind, pattern in TOKEN_PATTERNS.items():
        if pattern.search(value):
            return f"holds {kind}"
    return capability_problem(value)


def secret_problem(name: str, value: Any, header: bool = False) -> str | None:
    """What is secret about `value` stored under key `name` (an HTTP header's when `header`),
    never the value itself, or None."""
    if not isinstance(value, str):
        return None
    problem = value_problem(value)
    if problem:
        return problem
    if is_secret_name(name) or (header and is_credential_header(name)):
        words = literal(value).strip().lower().split()
        if len(words) > 1 or (words and words[0] not in SCHEMES):
            return f"secret-looking value {name!r} is written literally"
    return None


def check_value(definition: str, field: str, value: Any, name: str | None = None, header: bool = False) -> None:
    """Raise DefinitionError (without the value) when `value` holds an inline secret."""
    problem = secret_problem(name if name is not None else field.rsplit(".", 1)[-1], value, header)
    if problem:
        raise DefinitionError(definition, field, problem, FIX)


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted path, scalar) pair in a nested config."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    else:
        yield path, value


def last_key(path: str) -> str:
    return re.split(r"[.\[]", path)[-1] if path else ""


def is_header_path(path: str) -> bool:
    """Whether a dotted config path names an HTTP header (`exporters.otlp.headers.X-Key`)."""
    parent = re.split(r"[.\[]", path)[-2:-1]
    return bool(parent) and parent[0].lower() in ("headers", "http_headers")


def check_tree(definition: str, field: str, config: Any) -> None:
    """Every scalar of a nested config: no inline secret (keys and values both looked at)."""
    for path, value in walk(config):
        where = f"{field}.{path}" if path else field
        check_value(definition, where, value, last_key(path) or field, header=is_header_path(where))


@dataclass(frozen=True)
class Finding:
    """A secret-looking line in a rendered file (the value is never kept)."""

    path: str
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}"


_KEY_VALUE = re.compile(r"""^\s*(?:-\s+)?["']?([A-Za-z0-9_.\-]+)["']?\s*:\s*(.*?)\s*,?\s*$""")


def scan_text(path: str, text: str) -> list[Finding]:
    """Secret-looking lines of a rendered file (YAML, JSON or text), by line number."""
    findings = []
    for number, line in enumerate(text.splitlines(), 1):
        problem = value_problem(line)
        match = _KEY_VALUE.match(line)
        if problem is None and match:
            raw = match.group(2).strip().strip("'\"")
            problem = secret_problem(match.group(1), raw) if raw not in ("|", ">", "|-", ">-", "{", "[", "") else None
        if problem:
            findings.append(Finding(path, number, problem))
    return findings
