"""Receivers and their integrations (PagerDuty, Slack, webhook, email). Credentials are never
inline: each is a `SecretRef` to a key of a Kubernetes Secret, rendered as a `*_file` path where
the Prometheus Operator mounts the Secret (alertmanager.yaml) and as a secret key selector
(AlertmanagerConfig)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence
from urllib.parse import urlsplit

from obs.errors import DefinitionError
from obs.model.checks import check_alertmanager_template, check_slug
from obs.secrets import capability_problem

# The Prometheus Operator mounts each Secret listed in the Alertmanager's spec.secrets here.
OPERATOR_SECRETS_DIR = "/etc/alertmanager/secrets"
_SECRET_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+\Z")
_SMARTHOST_RE = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:[0-9]+\Z")


@dataclass(frozen=True)
class SecretRef:
    """A key of a Kubernetes Secret in the Alertmanager's namespace holding one credential."""

    secret: str
    key: str

    def __post_init__(self) -> None:
        what = f"secret reference {self.secret!r}"
        check_slug(what, "secret", self.secret)
        if not isinstance(self.key, str) or not _SECRET_KEY_RE.match(self.key) or self.key in (".", "..") \
                or len(self.key) > 253:
            raise DefinitionError(what, "key", f"{self.key!r} is not a Secret key",
                                  "use at most 253 letters, digits, '-', '_' and '.' (not '.' or '..')")

    def path(self, secrets_dir: str) -> str:
        """Where the file holding the credential is mounted."""
        return f"{secrets_dir}/{self.secret}/{self.key}"

    def selector(self) -> dict[str, str]:
        return {"name": self.secret, "key": self.key}


def check_secret(definition: str, field: str, value: Any, required: bool = True) -> None:
    """A credential field holds a SecretRef; the error never repeats the value (it may be a secret)."""
    if value is None and not required:
        return
    if not isinstance(value, SecretRef):
        raise DefinitionError(definition, field, f"is a {type(value).__name__}, not a SecretRef "
                              "(credentials are never written inline)",
                              "store it in a Kubernetes Secret and write SecretRef(secret='name', key='key')")


class _Checked:
    """Integrations check themselves on construction (the receiver names itself when it adds them)."""

    def __post_init__(self) -> None:
        self.check(f"{type(self).__name__} integration")  # type: ignore[attr-defined]


def check_templates(what: str, kind: str, item: Any, names: Sequence[str]) -> None:
    """The fields Alertmanager renders as Go templates parse (left empty: Alertmanager's default)."""
    for name in names:
        value = getattr(item, name)
        if value != "" or name in ("channel", "to", "sender"):
            check_alertmanager_template(what, f"{kind}.{name}", value)


@dataclass(frozen=True)
class PagerDuty(_Checked):
    """Events API v2: `routing_key` is the integration key; `description` (a template) the
    incident's title ('' for Alertmanager's default)."""

    routing_key: SecretRef
    send_resolved: bool = True
    description: str = ""

    def check(self, what: str) -> None:
        check_secret(what, "pagerduty.routing_key", self.routing_key)
        check_templates(what, "pagerduty", self, ("description",))


@dataclass(frozen=True)
class Slack(_Checked):
    """An incoming webhook (`api_url`, which embeds its token) posting to `channel`; `channel`,
    `title` and `text` are templates ('' title/text: Alertmanager's defaults)."""

    api_url: SecretRef
    channel: str
    send_resolved: bool = True
    title: str = ""
    text: str = ""

    def check(self, what: str) -> None:
        check_secret(what, "slack.api_url", self.api_url)
        check_templates(what, "slack", self, ("channel", "title", "text"))


@dataclass(frozen=True)
class Webhook(_Checked):
    """POSTs alerts to `url`; a token goes in `bearer_token` (sent as Authorization: Bearer),
    never in the URL."""

    url: str
    bearer_token: SecretRef | None = None
    max_alerts: int = 0
    send_resolved: bool = True

    def check(self, what: str) -> None:
        # urlsplit drops tabs and newlines silently; Alertmanager's URL parser refuses them.
        clean = isinstance(self.url, str) and not re.search(r"[\s\x00-\x1f\x7f]", self.url)
        parts = urlsplit(self.url) if clean else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise DefinitionError(what, "webhook.url", "is not an http(s) URL",
                                  "write e.g. 'http://incident-bot.ops.svc:8080/alerts'")
        if parts.username or parts.password or parts.query:
            raise DefinitionError(what, "webhook.url", "carries credentials (user info or a query string)",
                                  "drop them from the URL and pass bearer_token=SecretRef(...)")
        capability = capability_problem(self.url)
        if capability:
            raise DefinitionError(what, "webhook.url", capability,
                                  "reference it: Slack(api_url=SecretRef(...)) for a Slack webhook, "
                                  "PagerDuty(routing_key=SecretRef(...)) for PagerDuty, else a Webhook whose "
                                  "URL carries no token and bearer_token=SecretRef(...)")
        check_secret(what, "webhook.bearer_token", self.bearer_token, required=False)
        if isinstance(self.max_alerts, bool) or not isinstance(self.max_alerts, int) or self.max_alerts < 0:
            raise DefinitionError(what, "webhook.max_alerts", f"{self.max_alerts!r} is not a count >= 0",
                                  "0 sends every alert of a group")


@dataclass(frozen=True)
class Email(_Checked):
    """Mail through `smarthost` (host:port); `auth_password` only with `auth_username`. `to`,
    `sender`, `subject` and `html` are templates ('' subject/html: Alertmanager's defaults)."""

    to: str
    sender: str
    smarthost: str
    auth_username: str = ""
    auth_password: SecretRef | None = None
    require_tls: bool = True
    send_resolved: bool = False
    subject: str = ""
    html: str = ""

    def check(self, what: str) -> None:
        for name in ("to", "sender"):
            value = getattr(self, name)
            if not isinstance(value, str) or "@" not in value:
                raise DefinitionError(what, f"email.{name}", f"{value!r} is not an email address")
        check_templates(what, "email", self, ("to", "sender", "subject", "html"))
        if not isinstance(self.smarthost, str) or not _SMARTHOST_RE.match(self.smarthost):
            raise DefinitionError(what, "email.smarthost", f"{self.smarthost!r} is not host:port",
                                  "write e.g. 'smtp.example.com:587'")
        check_secret(what, "email.auth_password", self.auth_password, required=False)
        if bool(self.auth_username) != (self.auth_password is not None):
            raise DefinitionError(what, "email.auth_password", "needs auth_username and auth_password together",
                                  "set both, or neither for an open relay")


Integration = PagerDuty | Slack | Webhook | Email
INTEGRATIONS = (PagerDuty, Slack, Webhook, Email)


@dataclass(frozen=True)
class Receiver:
    """A named destination. A receiver with no integrations delivers nothing: route to one
    (e.g. `Receiver("null")`) to drop alerts on purpose."""

    name: str
    integrations: Sequence[Integration] = ()

    @property
    def definition(self) -> str:
        return f"receiver {self.name!r}"

    def __post_init__(self) -> None:
        check_slug(self.definition, "name", self.name)
        object.__setattr__(self, "integrations", tuple(self.integrations))
        for integration in self.integrations:
            if not isinstance(integration, INTEGRATIONS):
                raise DefinitionError(self.definition, "integrations",
                                      f"a {type(integration).__name__} is not an integration",
                                      "use PagerDuty, Slack, Webhook or Email")

    def secrets(self) -> set[str]:
        """Names of the Kubernetes Secrets this receiver reads."""
        refs = [getattr(i, f) for i in self.integrations
                for f in ("routing_key", "api_url", "bearer_token", "auth_password") if hasattr(i, f)]
        return {r.secret for r in refs if isinstance(r, SecretRef)}
