"""What a secret looks like, and `redact`, which every error message passes through (obs.errors).

Imports nothing from obs, so the error classes can use it; obs.secrets builds the checks that
reject inline secrets on it.
"""
from __future__ import annotations

import re
from typing import Mapping

# References obs and the tools expand at run time: ${env:NAME}, ${env:NAME:-default}, ${NAME}, $(NAME).
REFERENCE_RE = re.compile(r"\$\{env:[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)")
# Key names whose value is a credential (header names of vendors included).
SECRET_NAME_RE = re.compile(
    r"(?i)(passw(or)?d|passwd|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key|key[-_]?pem|"
    r"authorization|credential|auth[-_]?key|session[-_]?key|signature|honeycomb[-_]team|license[-_]?key|"
    r"dsn|sas[-_]?key|x[-_]amz[-_]security)")
# Names that hold where a secret is (a file, a variable name), not the secret itself.
HARMLESS_NAME_RE = re.compile(r"(?i)([-_](file|path|dir|env|name|ref|type|header|headers|id)|_?file)$")
# Authorization schemes that may precede a reference: "Bearer ${env:TOKEN}".
SCHEMES = {"", "bearer", "basic", "token", "apikey", "api-key", "splunk", "genieKey".lower(), "sso-key", "dsn"}
PEM_PRIVATE = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
URL_USERINFO = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s?#@]*)@")
QUERY_PARAM = re.compile(r"[?&;]([^=&#\s]+)=([^&#\s]*)")
QUERY_SECRET_NAMES = re.compile(r"(?i)^(key|sig|sv?sig|code|auth|x-amz-credential|x-amz-signature|x-goog-signature)$")
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
    return QUERY_PARAM.sub(lambda m: m[0][:len(m[0]) - len(m[2])] + "<redacted>"
                            if m[2] and (is_secret_name(m[1]) or QUERY_SECRET_NAMES.match(m[1])) else m[0], text)
