"""Validate generated collector configs with the real otelcol (`otelcol validate`)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from obs.collector.builder import merge_manifests
from obs.collector.checks import ENV_REF_RE
from obs.errors import ValidationError
from obs.tools import otelcol

MANIFEST_NAME = "builder-manifest.yaml"
# Values on the validating machine for variables the pod provides: `validate` binds nothing but
# stats paths (host_metrics' root_path), so the pod IP becomes 127.0.0.1 and the host root "/".
LOCAL_VALUES = {"MY_POD_IP": "127.0.0.1", "HOST_ROOT": "/", "K8S_NODE_NAME": "validate-node"}
# Settings that only work inside a pod, replaced for `validate` (which creates every component):
# kubelet_stats' serviceAccount auth reads the pod's service account CA and token at creation.
# (type, key, in-pod value) -> local value; any other value (e.g. a misspelt one) is validated as written.
IN_POD_ONLY = {("kubelet_stats", "auth_type", "serviceAccount"): "none"}


def config_files(folders: Sequence[Path]) -> list[Path]:
    """Every collector config written under <env>/collector/ (not the builder manifest)."""
    return sorted(f for folder in folders for f in (folder / "collector").glob("*.yaml") if f.name != MANIFEST_NAME)


def needed_manifest(folders: Sequence[Path]) -> dict[str, Any] | None:
    """One builder manifest with every component the folders' builder manifests list (None: none)."""
    paths = [folder / "collector" / MANIFEST_NAME for folder in folders]
    return merge_manifests(yaml.safe_load(p.read_text()) for p in paths if p.is_file())


def placeholder_env(text: str) -> dict[str, str]:
    """A value for every ${env:NAME} in a config: LOCAL_VALUES, anything else a dummy."""
    names = {m.group(1) for m in ENV_REF_RE.finditer(text)}
    return {**LOCAL_VALUES, **{name: LOCAL_VALUES.get(name, f"placeholder-{name.lower()}") for name in names}}


def in_pod_overrides(text: str) -> list[str]:
    """`--set` flags replacing IN_POD_ONLY settings present in the config with exactly the in-pod value."""
    receivers = (yaml.safe_load(text) or {}).get("receivers") or {}
    return [f"--set=receivers::{rid}::{key}={value}" for rid, body in receivers.items()
            for (type_, key, in_pod), value in IN_POD_ONLY.items()
            if rid.split("/")[0] == type_ and (body or {}).get(key) == in_pod]


def validate_file(path: Path, binary: Path | None = None) -> str:
    """'' if `otelcol validate` accepts the config, else its output."""
    text = path.read_text()
    args = [str(binary or otelcol()), "validate", f"--config=file:{path}", *in_pod_overrides(text)]
    proc = subprocess.run(args, env={**os.environ, **placeholder_env(text)}, capture_output=True, text=True,
                          timeout=120)
    return "" if proc.returncode == 0 else (proc.stdout + proc.stderr).strip()


def validate_files(files: Iterable[Path], root: Path, manifest: dict[str, Any] | None = None) -> int:
    """`otelcol validate` on every file, with a binary that has the components of `manifest` (default:
    every registered component); one ValidationError listing every failure."""
    files = sorted(files)
    if not files:
        return 0
    binary = otelcol(manifest)
    failures = [f"{f.relative_to(root) if f.is_relative_to(root) else f}: {out}"
                for f in files if (out := validate_file(f, binary))]
    if failures:
        raise ValidationError("otelcol validate failed:\n" + "\n".join(failures))
    return len(files)


def components(binary: Path | None = None) -> dict[str, list[dict[str, object]]]:
    """`otelcol components` parsed: kind section ('receivers', ...) -> entries (name, module, stability)."""
    proc = subprocess.run([str(binary or otelcol()), "components"], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise ValidationError(f"otelcol components failed: {proc.stderr.strip()}")
    return yaml.safe_load(proc.stdout)
