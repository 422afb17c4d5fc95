"""Safety lint for collectors: settings that work but expose more than needed.

Warnings, not errors (the config is valid and sometimes the exposure is intended), except plaintext
or unverified TLS that sends credentials to a remote endpoint, which is an error.
"""
from __future__ import annotations

import posixpath
import re
from typing import Any, Iterator, Literal, Mapping

from obs import secrets
from obs.collector.model import Collector, Component
from obs.secrets import last_key, walk

Level = Literal["error", "warning"]
Finding = tuple[Level, str, str, str]  # level, definition, check, message

_ALL_INTERFACES = {"", "0.0.0.0", "::", "[::]", "*"}
_LOOPBACK = re.compile(r"^(localhost|127(\.[0-9]+){3}|\[?::1\]?)\Z")
_IN_CLUSTER = re.compile(r"(^[A-Za-z0-9-]+\Z)|\.svc\Z|\.svc\.cluster\.local\Z|\.cluster\.local\Z|^\$\{env:")
# A CORS origin with a wildcard is narrow enough only as a subdomain of a registered domain.
_NARROW_WILDCARD = re.compile(r"^https?://\*\.[a-z0-9-]+(\.[a-z0-9-]+)+(:[0-9]+)?\Z")
# Host folders a root container must not write to (the node's system, the kubelet, the runtimes).
SYSTEM_FOLDERS = ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin",
                  "/sys", "/usr", "/var", "/var/lib", "/var/lib/kubelet", "/var/lib/docker",
                  "/var/lib/containerd", "/var/log", "/var/run")
_SYSTEM_TREES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys",
                 "/usr", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/var/run")


def host_of(endpoint: str) -> str:
    """The host part of 'host:port', 'scheme://host:port/path' or '[v6]:port'."""
    rest = endpoint.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    if rest.startswith("["):
        return rest[:rest.find("]") + 1]
    if rest.startswith("${"):
        return rest[:rest.find("}") + 1]
    return rest.rsplit(":", 1)[0] if ":" in rest else rest


def _listeners(component: Component) -> Iterator[tuple[str, str]]:
    for path, value in walk(component.config):
        if isinstance(value, str) and last_key(path) == "endpoint":
            yield path, value


def _bind_findings(collector: Collector) -> Iterator[Finding]:
    parts = collector.components()
    for component in [*parts["receiver"].values(), *parts["extension"].values()]:
        for path, endpoint in _listeners(component):
            if host_of(endpoint) in _ALL_INTERFACES:
                yield ("warning", component.definition, "bind-all-interfaces",
                       f"config.{path} listens on all interfaces ({endpoint!r}); bind the pod IP, e.g. "
                       f"'${{env:MY_POD_IP}}:<port>', or localhost when only the pod itself calls it")
    if collector.telemetry.metrics_host in _ALL_INTERFACES:
        yield ("warning", collector.definition, "bind-all-interfaces",
               "telemetry metrics_host serves on all interfaces; use '${env:MY_POD_IP}'")


def _has_credentials(config: Mapping[str, Any]) -> bool:
    return "auth" in config or any(secrets.is_secret_name(last_key(p)) or "@" in str(v) for p, v in walk(config))


def _tls_findings(collector: Collector) -> Iterator[Finding]:
    for exporter in collector.components()["exporter"].values():
        tls = exporter.config.get("tls", {})
        unsafe = [k for k in ("insecure", "insecure_skip_verify") if isinstance(tls, Mapping) and tls.get(k) is True]
        endpoint = str(exporter.config.get("endpoint", ""))
        host = host_of(endpoint)
        if not unsafe or not endpoint or _LOOPBACK.match(host) or _IN_CLUSTER.search(host):
            continue
        what = "sends data in plaintext" if "insecure" in unsafe else "does not verify the server certificate"
        if _has_credentials(exporter.config):
            yield ("error", exporter.definition, "insecure-tls",
                   f"{what} to the remote {host!r} together with credentials; anyone on the path can take them "
                   f"(fix: drop tls.{unsafe[0]} and trust the server's CA with tls.ca_file)")
        else:
            yield ("warning", exporter.definition, "insecure-tls",
                   f"{what} to the remote {host!r} (tls.{unsafe[0]}); use TLS with tls.ca_file")


def _cors_findings(collector: Collector) -> Iterator[Finding]:
    for receiver in collector.components()["receiver"].values():
        for path, value in walk(receiver.config):
            if ".cors." in f".{path}" and isinstance(value, str) and "*" in value and value != "*" \
                    and not _NARROW_WILDCARD.match(value):
                yield ("warning", receiver.definition, "cors-wildcard",
                       f"config.{path} origin {value!r} matches far more sites than yours; "
                       f"list origins or use a subdomain wildcard such as 'https://*.example.com'")


def _host_path_findings(collector: Collector) -> Iterator[Finding]:
    if not collector.host_paths:  # without read-only host paths the pod runs as a non-root user
        return
    for mount, host in sorted(collector.state_paths.items()):
        path = posixpath.normpath(host)
        if path in SYSTEM_FOLDERS or any(path.startswith(tree + "/") for tree in _SYSTEM_TREES):
            yield ("warning", collector.definition, "writable-system-hostpath",
                   f"state_paths[{mount!r}] mounts the node's {host!r} writable in a pod running as root; "
                   f"use a folder of its own, e.g. '/var/lib/otelcol/{collector.name}'")


def safety_findings(collector: Collector) -> list[Finding]:
    """Every safety finding for one collector."""
    return [*_bind_findings(collector), *_tls_findings(collector), *_cors_findings(collector),
            *_host_path_findings(collector)]
