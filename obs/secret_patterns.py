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
    r"dsn|sas[-_]?key|x[-_]amz[-_]security|insert[-_]?key|subscription[-_]?key|instana[-_]?key|cookie|"
    r"x[-_]auth|x[-_]licen[cs]e|licen[cs]e[-_]?key|x[-_]session)")
# Words that make a header name a credential wherever they stand (`X-Partner-Key`, `My-Auth`):
# headers carry no configuration, so any of these means the value opens something.
CREDENTIAL_HEADER_WORDS = frozenset((
    "key", "apikey", "token", "secret", "password", "passwd", "pwd", "auth", "authorization", "authentication",
    "cookie", "license", "licence", "credential", "credentials", "session", "signature", "sig", "bearer", "jwt",
    "sas", "passphrase", "dsn",
))
# Names that hold where a secret is (a file, a variable name), not the secret itself.
# Kubernetes spells them in camelCase (a volume's `secretName`, `tokenRef`).
HARMLESS_NAME_RE = re.compile(r"(?i)([-_](file|path|dir|env|name|ref|type|header|headers|id)|_?file)\Z"
                              r"|(?-i:[a-z](Name|Ref|File|Path))\Z")
# Authorization schemes that may precede a reference: "Bearer ${env:TOKEN}".
SCHEMES = {"", "bearer", "basic", "token", "apikey", "api-key", "splunk", "genieKey".lower(), "sso-key", "dsn"}
PEM_PRIVATE = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
# Search patterns find a secret wherever it stands, also glued to word characters (`key_ghp_...`,
# `9https://user:pw@...`): none starts or ends with `\b`, which `_`, digits and letters defeat.
URL_USERINFO = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s?#@]*)@")
QUERY_PARAM = re.compile(r"[?&;]([^=&#\s]+)=([^&#\s]*)")
QUERY_SECRET_NAMES = re.compile(r"(?i)^(key|sig|sv?sig|code|auth|x-amz-credential|x-amz-signature|x-goog-signature)\Z")
# Token formats vendors document (prefixes make them recognisable without guessing at entropy).
# A prefix and a length find a token, glued or not. Two prefixes are also pieces of ordinary words
# ("disk_live_...", "EASTASIA..."): glued to a letter or digit, those tokens must hold a digit too,
# as random tokens do and words do not.
_UNGLUED_LEFT, _UNGLUED_RIGHT = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"
TOKEN_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "an AWS access key id": re.compile(rf"{_UNGLUED_LEFT}(?:AKIA|ASIA)[0-9A-Z]{{16}}{_UNGLUED_RIGHT}"
                                       r"|(?:AKIA|ASIA)(?=[A-Z]{0,15}[0-9])[0-9A-Z]{16}"),
    "a GitHub token": re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"),
    "a GitLab token": re.compile(r"glpat-[A-Za-z0-9_-]{20,}"),
    "a Slack token": re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    "a Google API key": re.compile(r"AIza[0-9A-Za-z_-]{35}"),
    "a Stripe key": re.compile(rf"{_UNGLUED_LEFT}[rs]k_live_[A-Za-z0-9]{{16,}}|[rs]k_live_(?=[A-Za-z]*[0-9])[A-Za-z0-9]{{16,}}"),
    "a JSON web token": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
}

# Webhook URLs whose path is the credential (capability URLs): anyone holding the URL can post.
CAPABILITY_URLS: Mapping[str, re.Pattern[str]] = {
    "a Slack webhook": re.compile(r"(?i)^https?://hooks\.slack\.com/(?:services|workflows|triggers)/"),
    "a Discord webhook": re.compile(r"(?i)^https?://(?:[a-z]+\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/"),
    "a PagerDuty integration URL": re.compile(r"(?i)^https?://events\.(?:eu\.)?pagerduty\.com/(?:integration|x-ere)/"),
    "a Sumo Logic HTTP source": re.compile(r"(?i)^https?://[^/]*sumologic\.(?:com|net)(?::\d+)?/receiver/v1/"),
    "a Microsoft Teams webhook": re.compile(r"(?i)^https?://[^/]*(?:webhook\.office\.com|outlook\.office(?:365)?"
                                            r"\.com)/webhook"),
    "a Mattermost or Rocket.Chat webhook": re.compile(r"(?i)^https?://[^/]+/hooks/[A-Za-z0-9]{20,}"),
    "a Telegram bot token": re.compile(r"(?i)^https?://api\.telegram\.org/bot[0-9]+:"),
    "a Zapier or IFTTT hook": re.compile(r"(?i)^https?://(?:hooks\.zapier\.com/hooks/|maker\.ifttt\.com/trigger/)"),
}
# A path segment that reads as a random token: long, and mixing cases and digits (or long hex).
_TOKEN_SEGMENT = re.compile(r"(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{24,}|"
                            r"[0-9a-fA-F]{32,}")
_URL = re.compile(r"https?://[^\s\"'<>]+")


def literal(value: str) -> str:
    """The part of `value` that is not a run-time reference."""
    return REFERENCE_RE.sub("", value)


def is_secret_name(name: str) -> bool:
    """Whether a key, header or variable name says its value is a credential (`*_file` paths are not)."""
    return bool(SECRET_NAME_RE.search(name)) and not HARMLESS_NAME_RE.search(name)


_REDACTIONS = (
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.S),
     "<private key redacted>"),
    (re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s?#@'\"]*@"), r"\1<redacted>@"),
    *((pattern, "<redacted>") for pattern in TOKEN_PATTERNS.values()),
)


def redact(text: str) -> str:
    """`text` with anything that looks like a credential replaced by <redacted>."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    # A capability URL keeps its scheme and host only.
    text = _URL.sub(lambda m: "/".join(m[0].split("/", 3)[:3]) + "/<redacted>" if capability_problem(m[0]) else m[0],
                    text)
    return QUERY_PARAM.sub(lambda m: m[0][:len(m[0]) - len(m[2])] + "<redacted>"
                            if m[2] and (is_secret_name(m[1]) or QUERY_SECRET_NAMES.match(m[1])) else m[0], text)


def is_credential_header(name: str) -> bool:
    """Whether an HTTP header name says its value opens something (any credential word in it)."""
    words = re.split(r"[-_.\s]+|(?<=[a-z])(?=[A-Z])", name)
    return is_secret_name(name) or any(word.lower() in CREDENTIAL_HEADER_WORDS for word in words)


def capability_problem(value: str) -> str | None:
    """What capability URL `value` holds (a webhook whose path is its token), or None."""
    for match in _URL.finditer(value):
        url = match[0]
        if REFERENCE_RE.search(url):  # the token comes from a reference: nothing written in clear
            continue
        for kind, pattern in CAPABILITY_URLS.items():
            if pattern.search(url):
                return f"the URL is {kind}, whose path is its credential"
        path = url.split("://", 1)[1].partition("/")[2].split("?")[0]
        if any(_TOKEN_SEGMENT.fullmatch(part) for part in literal(path).split("/")):
            return "the URL's path carries what looks like a token (a capability URL)"
    return None
