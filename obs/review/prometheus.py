"""A small client of the Prometheus HTTP API for backtests: bounded (points per query, series per
result, a timeout per request), authenticated (bearer token or basic auth from the environment or a
file, never echoed) and clear about failures (unreachable, refused credentials, a rejected query).
"""
from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from obs.errors import ObsError

TOKEN_ENV = "OBS_PROMETHEUS_TOKEN"
USER_ENV, PASSWORD_ENV = "OBS_PROMETHEUS_USER", "OBS_PROMETHEUS_PASSWORD"
MAX_POINTS = 11_000  # Prometheus refuses a range query of more points per series
Labels = tuple[tuple[str, str], ...]
Series = dict[Labels, list[tuple[float, float]]]


@dataclass(frozen=True)
class Auth:
    """The Authorization header value, or None. Its repr never shows the secret."""
    header: str | None = None
    kind: str = "none"

    def __repr__(self) -> str:
        return f"Auth({self.kind})"


def _read_secret(path: Path, what: str) -> str:
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise ObsError(f"cannot read the {what} file {path}: {exc.strerror} (fix: pass a readable file)") from None


def auth(bearer_token_file: Path | None = None, basic_auth_file: Path | None = None) -> Auth:
    """Credentials by reference only: --bearer-token-file, else $OBS_PROMETHEUS_TOKEN, else
    --basic-auth-file ('user:password'), else $OBS_PROMETHEUS_USER and $OBS_PROMETHEUS_PASSWORD."""
    token = _read_secret(bearer_token_file, "bearer token") if bearer_token_file else os.environ.get(TOKEN_ENV)
    if token:
        return Auth(f"Bearer {token}", "bearer token")
    if basic_auth_file:
        user, sep, password = _read_secret(basic_auth_file, "basic auth").partition(":")
        if not sep:
            raise ObsError(f"{basic_auth_file}: expected one line 'user:password' (fix: write the file in that form)")
    else:
        user, password = os.environ.get(USER_ENV, ""), os.environ.get(PASSWORD_ENV, "")
    if user:
        return Auth("Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(), "basic auth")
    return Auth()


def public_url(url: str) -> str:
    """The URL without any user:password part, for messages."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")
                                                  if parts.hostname else parts.netloc))


class Prometheus:
    """Range and instant queries against one Prometheus (or a compatible API: Thanos, Mimir)."""

    def __init__(self, url: str, credentials: Auth = Auth(), timeout: float = 120.0, max_series: int = 2_000,
                 max_points: int = MAX_POINTS) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ObsError(f"--prometheus {public_url(url)!r} is not an http(s) URL (fix: e.g. http://prometheus:9090)")
        if parts.username or parts.password:
            raise ObsError("--prometheus holds credentials in the URL (fix: use $OBS_PROMETHEUS_TOKEN, "
                           "--bearer-token-file or --basic-auth-file instead)")
        self.url = url.rstrip("/")
        self.auth = credentials
        self.timeout = timeout
        self.max_series = max_series
        self.max_points = max_points
        self.requests = 0

    def _get(self, path: str, params: dict[str, str], what: str) -> Any:
        request = urllib.request.Request(f"{self.url}{path}?{urllib.parse.urlencode(params)}")
        if self.auth.header:
            request.add_header("Authorization", self.auth.header)
        self.requests += 1
        where = public_url(self.url)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise ObsError(f"Prometheus at {where} refused the request (HTTP {exc.code}, {self.auth.kind} used) "
                               f"(fix: set ${TOKEN_ENV} or --bearer-token-file, or ${USER_ENV}/${PASSWORD_ENV} "
                               "or --basic-auth-file)") from None
            message = _error_message(exc)
            raise ObsError(f"Prometheus at {where} rejected {what} (HTTP {exc.code}: {message})") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ObsError(f"cannot reach Prometheus at {where} ({reason}) (fix: check --prometheus, the network, "
                           "or raise --timeout)") from None
        except ValueError:
            raise ObsError(f"{where} did not answer with JSON for {what} (fix: point --prometheus at the "
                           "Prometheus API root, e.g. http://prometheus:9090)") from None
        if body.get("status") != "success":
            raise ObsError(f"Prometheus at {where} failed {what}: {body.get('error', 'no error given')}")
        return body["data"]

    def query_range(self, expr: str, start: float, end: float, step: float, what: str) -> Series:
        """Every series of `expr` evaluated at start, start+step, ... end; split into requests of at
        most `max_points` points per series."""
        out: Series = {}
        chunk = step * (self.max_points - 1)
        at = start
        while at <= end:
            stop = min(end, at + chunk)
            data = self._get("/api/v1/query_range", {"query": expr, "start": _ts(at), "end": _ts(stop),
                                                      "step": _ts(step), "timeout": f"{int(self.timeout)}s"}, what)
            for item in data.get("result") or []:
                key = tuple(sorted(item["metric"].items()))
                out.setdefault(key, []).extend((float(t), float(v)) for t, v in item["values"])
            if len(out) > self.max_series:
                raise ObsError(f"{what} returns more than {self.max_series} series (fix: raise --max-series, or "
                               "narrow the rule)")
            at = stop + step
        return out

    def query(self, expr: str, at: float, what: str) -> list[tuple[Labels, float]]:
        data = self._get("/api/v1/query", {"query": expr, "time": _ts(at), "timeout": f"{int(self.timeout)}s"}, what)
        return [(tuple(sorted(i["metric"].items())), float(i["value"][1])) for i in data.get("result") or []]


def _ts(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read()).get("error"))[:300]
    except (ValueError, OSError):
        return exc.reason if isinstance(exc.reason, str) else "no details"
