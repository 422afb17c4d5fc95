"""The collector builder manifest, and building otelcol from it with a cache outside the repo.

`python -m obs.collector` (`make otelcol`) builds (or reuses) the binary for the reference manifest (every
registered component) and prints its path. The binary lives in CACHE_DIR/otelcol-<manifest hash>/,
so any clone on the machine reuses it; a build happens in a temp folder renamed into place.

Recipe: the builder's own `go mod tidy` also resolves test-only modules the Go proxy here doesn't
serve, so obs generates sources with `--skip-get-modules --skip-compilation`, then resolves exactly
the listed modules with `go get` and compiles with `go build`.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

from obs.collector.registry import COLLECTOR_VERSION, KINDS, STABLE_MODULES_VERSION, ComponentSpec, specs
from obs.errors import ToolMissingError, ValidationError
from obs.serialize import to_yaml
from obs.tools import CACHE_DIR

DIST_NAME = "otelcol-obs"
BUILDER_MODULE = "go.opentelemetry.io/collector/cmd/builder"
PROVIDERS = ("env", "file", "yaml", "http", "https")


def provider_modules() -> list[str]:
    return [f"go.opentelemetry.io/collector/confmap/provider/{p}provider {STABLE_MODULES_VERSION}"
            for p in PROVIDERS]


def manifest(components: Iterable[ComponentSpec], description: str = "obs collector") -> dict[str, Any]:
    """The builder manifest listing exactly `components` (sorted by module within each kind)."""
    chosen = sorted(set(components), key=lambda s: (KINDS.index(s.kind), s.module))
    out: dict[str, Any] = {"dist": {"name": DIST_NAME, "description": description,
                                    "version": COLLECTOR_VERSION.lstrip("v")}}
    for kind in KINDS:
        mods = [{"gomod": s.gomod} for s in chosen if s.kind == kind]
        if mods:
            out[f"{kind}s"] = mods
    out["providers"] = [{"gomod": m} for m in provider_modules()]
    return out


def reference_manifest() -> dict[str, Any]:
    """The manifest of every registered component: the binary obs validates with."""
    return manifest(specs(), "obs reference collector (every registered component)")


def manifest_hash(data: dict[str, Any]) -> str:
    """A short content hash of the manifest (without output_path), keying the cached binary."""
    clean = {k: v for k, v in data.items() if k != "dist"} | {
        "dist": {k: v for k, v in data["dist"].items() if k != "output_path"}}
    return hashlib.sha256(to_yaml(clean)).hexdigest()[:16]


def binary_path(data: dict[str, Any], cache_dir: Path = CACHE_DIR) -> Path:
    """Where the binary for this manifest is (or will be) cached."""
    return cache_dir / f"otelcol-{manifest_hash(data)}" / "otelcol"


def _run(args: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(args)}\n")
        out.flush()
        proc = subprocess.run(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-25:])
        raise ValidationError(f"`{' '.join(args[:3])} ...` failed (exit {proc.returncode}); log {log}:\n{tail}")


def go() -> str:
    found = shutil.which("go")
    if not found:
        raise ToolMissingError("go not found on PATH (fix: install Go >= 1.24, e.g. from https://go.dev/dl)")
    return found


def builder(cache_dir: Path = CACHE_DIR) -> Path:
    """The pinned builder binary, installed with `go install` into the cache on first use."""
    gobin = cache_dir / f"builder-{COLLECTOR_VERSION}"
    path = gobin / "builder"
    if not path.is_file():
        gobin.mkdir(parents=True, exist_ok=True)
        _run([go(), "install", f"{BUILDER_MODULE}@{COLLECTOR_VERSION}"], cache_dir, gobin / "install.log",
             {"GOBIN": str(gobin)})
    return path


def build(data: dict[str, Any], cache_dir: Path = CACHE_DIR) -> Path:
    """The binary for the manifest `data`: the cached one, or built now and moved into place."""
    target = binary_path(data, cache_dir)
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tool = builder(cache_dir)
    work = Path(tempfile.mkdtemp(prefix=f"{target.parent.name}.tmp-", dir=cache_dir))
    log, src = work / "build.log", work / "src"
    (work / "manifest.yaml").write_bytes(to_yaml({**data, "dist": {**data["dist"], "output_path": str(src)}}))
    started = time.monotonic()
    _run([str(tool), "--config", "manifest.yaml", "--skip-get-modules", "--skip-compilation"], work, log)
    (src / "go.mod").unlink(missing_ok=True)
    _run([go(), "mod", "init", f"example.com/{DIST_NAME}"], src, log)
    mods = [m.replace(" ", "@") for kind in KINDS for m in (e["gomod"] for e in data.get(f"{kind}s", ()))]
    mods += [m.replace(" ", "@") for m in provider_modules()]
    _run([go(), "get", *mods, f"go.opentelemetry.io/collector/otelcol@{COLLECTOR_VERSION}"], src, log)
    _run([go(), "build", "-trimpath", "-ldflags=-s -w", "-o", str(work / "otelcol"), "."], src, log,
         {"GOFLAGS": "-mod=mod"})
    with log.open("a") as out:
        out.write(f"built in {time.monotonic() - started:.0f}s\n")
    shutil.rmtree(src)
    try:
        work.rename(target.parent)
    except OSError:  # a concurrent build finished first: keep its binary
        shutil.rmtree(work, ignore_errors=True)
    return target


def main() -> int:
    """Build or reuse the reference binary; print its path."""
    data = reference_manifest()
    cached = binary_path(data).is_file()
    try:
        path = build(data)
    except (ValidationError, ToolMissingError) as exc:
        print(f"obs: error: {exc}", file=sys.stderr)
        return 1
    print(f"otelcol {COLLECTOR_VERSION}: {path}{' (cached)' if cached else ''}")
    return 0

