"""Definitions shared by Tempo and Loki: object storage (local disk, or S3 with credentials from
env) and tenant IDs."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from obs import secrets

from obs.errors import DefinitionError
from obs.model.checks import check_nonempty

_ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]*\Z")
# Tenant IDs (X-Scope-OrgID) as Tempo and Loki accept them.
TENANT_RE = re.compile(r"^[A-Za-z0-9!._*'()-]{1,150}\Z")


def check_tenant(definition: str, field: str, value: object) -> None:
    """A tenant ID: up to 150 letters, digits and !-_.*'(), not '.' or '..'."""
    if not isinstance(value, str) or not TENANT_RE.match(value) or value in (".", ".."):
        raise DefinitionError(definition, field, f"{value!r} is not a valid tenant ID",
                              "use up to 150 letters, digits and !-_.*'()")


def check_env_name(definition: str, field: str, value: object) -> None:
    """An environment variable name (credentials are referenced, never written)."""
    if not isinstance(value, str) or not _ENV_NAME_RE.match(value):
        raise DefinitionError(definition, field, "is not an environment variable name (the value is not shown: "
                              "it may be the secret itself)",
                              "name the variable holding the secret, e.g. 'S3_ACCESS_KEY_ID'")


class EnvRef(str):
    """A `${NAME}` reference obs wrote itself: the one kind of '$' left unescaped."""


def env_ref(name: str) -> str:
    """A reference Tempo and Loki expand at start-up when run with -config.expand-env=true."""
    return EnvRef("${" + name + "}")


def for_expand_env(definition: str, data: Any) -> Any:
    """A rendered Tempo/Loki config made safe for -config.expand-env: no inline secret, and every
    '$' obs did not write as a reference doubled ('$$' is a literal '$'), so a value cannot pull
    in an environment variable. Plain str and dict/list copies come back."""
    secrets.check_tree(definition, "config", data)

    def escape(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: escape(item) for key, item in value.items()}
        if isinstance(value, list):
            return [escape(item) for item in value]
        if isinstance(value, EnvRef):
            return str(value)
        return value.replace("$", "$$") if isinstance(value, str) else value
    return escape(data)


@dataclass(frozen=True)
class LocalStorage:
    """Blocks/chunks on a local volume (single-binary deployments)."""

    path: str

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path.startswith("/"):
            raise DefinitionError("local storage", "path", f"{self.path!r} is not an absolute path",
                                  "write e.g. '/var/tempo/blocks'")


@dataclass(frozen=True)
class S3Storage:
    """An S3-compatible bucket. Credentials come only from environment variables."""

    bucket: str
    endpoint: str
    region: str = ""
    access_key_env: str = "S3_ACCESS_KEY_ID"
    secret_key_env: str = "S3_SECRET_ACCESS_KEY"
    insecure: bool = False
    force_path_style: bool = True

    def __post_init__(self) -> None:
        what = f"s3 storage {self.bucket!r}"
        check_nonempty(what, "bucket", self.bucket)
        check_nonempty(what, "endpoint", self.endpoint)
        secrets.check_value(what, "endpoint", f"https://{self.endpoint}")
        if "@" in self.endpoint or "?" in self.endpoint:
            raise DefinitionError(what, "endpoint", "carries credentials or a query string",
                                  "write host[:port] only; credentials come from access_key_env and secret_key_env")
        if "://" in self.endpoint:
            raise DefinitionError(what, "endpoint", f"{self.endpoint!r} has a scheme",
                                  "write host[:port] only, e.g. 's3.eu-west-1.amazonaws.com'; set insecure for http")
        check_env_name(what, "access_key_env", self.access_key_env)
        check_env_name(what, "secret_key_env", self.secret_key_env)


Storage = LocalStorage | S3Storage


def s3_fields(storage: S3Storage, bucket: str, access_key: str, secret_key: str, path_style: str) -> dict[str, object]:
    """An S3 block under the key names of the tool at hand (Tempo and Loki name them differently)."""
    out: dict[str, object] = {
        bucket: storage.bucket,
        "endpoint": storage.endpoint,
        access_key: env_ref(storage.access_key_env),
        secret_key: env_ref(storage.secret_key_env),
        "insecure": storage.insecure,
        path_style: storage.force_path_style,
    }
    if storage.region:
        out["region"] = storage.region
    return out


def check_storage(definition: str, value: object) -> None:
    if not isinstance(value, (LocalStorage, S3Storage)):
        raise DefinitionError(definition, "storage", f"{value!r} is not a storage definition",
                              "pass LocalStorage(path) or S3Storage(bucket, endpoint)")
