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

# References obs and the tools expand at run time: ${env:NAME}, ${env:NAME:-default}, ${NAME}, $(NAME).
REFERENCE_RE = re.compile(r"\$\{env:[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)")
# Key names whose value is a credential (header names of vendors included).
SECRET_NAME_RE = re.compile(
    r"(?i)(passw(or)?d|passwd|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key|key[-_]?pem|"
    r"authorization|credential|auth[-_]?key|session[-_]?key|signature|honeycomb[-_]team|license[-_]?key|"
    r"dsn|sas[-_]?key|x[-_]amz[-_]security)")
# Names that hold where a secret is (a file, a variable name), not the secret itself.
# Kubernetes spells them in camelCase (a volume's `secretName`, `tokenRef`).
HARMLESS_NAME_RE = re.compile(r"(?i)([-_](file|path|dir|env|name|ref|type|header|headers|id)|_?file)$"
                              r"|(?-i:[a-z](Name|Ref|File|Path))$")
# Authorization schemes that may precede a reference: "Bearer ${env:TOKEN}".
SCHEMES = {"", "bearer", "basic", "token", "apikey", "api-key", "splunk", "genieKey".lower(), "sso-key", "dsn"}
_PEM_PRIVATE = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_URL_USERINFO = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s?#@]*)@")
_QUERY_PARAM = re.compile(r"[?&;]([^=&#\s]+)=([^&#\s]*)")
_QUERY_SECRET_NAMES = re.compile(r"(?i)^(key|sig|sv?sig|code|auth|x-amz-credential|x-amz-signature|x-goog-signature)$")
# Token formats vendors document (prefixes make them recognisable without guessing at entropy).
TOKEN_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "an AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "a GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
    "a GitLab token": re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"),
    "a Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "a Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "a Stripe key": re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}"),
    "a JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
}
FIX = "reference it as ${env:NAME} (collector) or ${NAME} (Tempo, Loki) and fill NAME from a Kubernetes Secret"


def literal(value: str) -> str:
    """The part of `value` that is not a run-time reference."""
    return REFERENCE_RE.sub("", value)


def is_secret_name(name: str) -> bool:
    """Whether a key, header or variable name says its value is a credential (`*_file` paths are not)."""
    return bool(SECRET_NAME_RE.search(name)) and not HARMLESS_NAME_RE.search(name)


_REDACTIONS = (
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.S),
     "<private key redacted>"),
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s?#@'\"]*@"), r"\1<redacted>@"),
    *((pattern, "<redacted>") for pattern in TOKEN_PATTERNS.values()),
)


def redact(text: str) -> str:
    """`text` with anything that looks like a credential replaced by <redacted>."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return _QUERY_PARAM.sub(lambda m: m[0][:len(m[0]) - len(m[2])] + "<redacted>"
                            if m[2] and (is_secret_name(m[1]) or _QUERY_SECRET_NAMES.match(m[1])) else m[0], text)


def value_problem(value: str) -> str | None:
    """What secret a value carries whatever its key (PEM key, URL credentials, a known token), or None."""
    if _PEM_PRIVATE.search(value):
        return "holds an inline PEM private key"
    for match in _URL_USERINFO.finditer(value):
        user, colon, password = REFERENCE_RE.sub("\0", match.group(1)).partition(":")
        if password.replace("\0", ""):
            return "the URL carries a literal password"
        if not colon and user.replace("\0", ""):  # a token passed as the user name
            return "the URL carries credentials (user info before '@')"
    for name, param in _QUERY_PARAM.findall(value):
        if (is_secret_name(name) or _QUERY_SECRET_NAMES.match(name)) and literal(param):
            return f"the URL's query parameter {name!r} carries a credential"
    for kind, pattern in TOKEN_PATTERNS.items():
        if pattern.search(value):
            return f"holds {kind}"
    return None


def secret_problem(name: str, value: Any) -> str | None:
    """What is secret about `value` stored under key `name` (never the value itself), or None."""
    if not isinstance(value, str):
        return None
    problem = value_problem(value)
    if problem:
        return problem
    if is_secret_name(name):
        words = literal(value).strip().lower().split()
        if len(words) > 1 or (words and words[0] not in SCHEMES):
            return f"secret-looking value {name!r} is written literally"
    return None


def check_value(definition: str, field: str, value: Any, name: str | None = None) -> None:
    """Raise DefinitionError (without the value) when `value` holds an inline secret."""
    problem = secret_problem(name if name is not None else field.rsplit(".", 1)[-1], value)
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


def check_tree(definition: str, field: str, config: Any) -> None:
    """Every scalar of a nested config: no inline secret (keys and values both looked at)."""
    for path, value in walk(config):
        where = f"{field}.{path}" if path else field
        check_value(definition, where, value, last_key(path) or field)


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
