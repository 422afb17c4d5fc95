"""The collector builder manifest, and building otelcol from it with a cache outside the repo.

`obs tools install` builds (or reuses) the binary for a bundle's own components (`merge_manifests` of
its environments' manifests); `--all-components` and `python -m obs.collector` build the reference
manifest (every registered component). The binary lives in the obs cache (`obs.tools.env.cache_dir()`) in otelcol-<manifest hash>/, so
any clone on the machine reuses it, and a cached binary with more components serves a bundle that
needs fewer (`cached_binary`); a build happens in a temp folder renamed into place.

Recipe: the builder's own `go mod tidy` also resolves test-only modules the Go proxy here doesn't
serve, so obs generates sources with `--skip-get-modules --skip-compilation`, then resolves exactly
the listed modules with `go get` and compiles with `go build`.
"""
from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

import yaml

from obs.collector.registry import COLLECTOR_VERSION, KINDS, STABLE_MODULES_VERSION, ComponentSpec, specs
from obs.errors import ToolMissingError, ValidationError
from obs.serialize import to_yaml
from obs.tools.env import cache_dir as default_cache_dir
from obs.tools.install import Step, go, go_install, run_logged

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


def merge_manifests(manifests: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """One manifest with every component of `manifests` (e.g. each environment's builder manifest), so
    one binary validates them all; None when there are none. The description is fixed, so bundles
    using the same components share a cached binary."""
    manifests = list(manifests)
    if not manifests:
        return None
    out: dict[str, Any] = {"dist": {"name": DIST_NAME, "description": "obs collector",
                                    "version": COLLECTOR_VERSION.lstrip("v")}}
    for kind in KINDS:
        mods = sorted({entry["gomod"] for data in manifests for entry in data.get(f"{kind}s", ())})
        if mods:
            out[f"{kind}s"] = [{"gomod": m} for m in mods]
    out["providers"] = [{"gomod": m} for m in provider_modules()]
    return out


def _gomods(data: dict[str, Any]) -> set[str]:
    return {entry["gomod"] for key, entries in data.items() if key != "dist" for entry in entries}


def covers(built: dict[str, Any], needed: dict[str, Any]) -> bool:
    """A binary built from `built` has every component of `needed`, at the same versions."""
    return (built.get("dist", {}).get("version") == needed["dist"]["version"]
            and _gomods(needed) <= _gomods(built))


def cached_binary(data: dict[str, Any], cache_dir: Path | None = None) -> Path | None:
    """The cached binary for `data`, else a cached one built from a manifest that covers it (e.g. the
    reference binary of every registered component), else None. `cache_dir`: the obs cache by default."""
    cache_dir = cache_dir or default_cache_dir()
    exact = binary_path(data, cache_dir)
    try:
        if exact.is_file():
            return exact
        manifests = sorted(cache_dir.glob("otelcol-*/manifest.yaml"))
    except OSError:  # an unreadable cache folder: the cache is best effort
        return None
    for path in manifests:
        try:
            built = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(built, dict) and (path.parent / "otelcol").is_file() and covers(built, data):
            return path.parent / "otelcol"
    return None


def manifest_hash(data: dict[str, Any]) -> str:
    """A short content hash of the manifest (without output_path), keying the cached binary."""
    clean = {k: v for k, v in data.items() if k != "dist"} | {
        "dist": {k: v for k, v in data["dist"].items() if k != "output_path"}}
    return hashlib.sha256(to_yaml(clean)).hexdigest()[:16]


def binary_path(data: dict[str, Any], cache_dir: Path | None = None) -> Path:
    """Where the binary for this manifest is (or will be) cached."""
    return (cache_dir or default_cache_dir()) / f"otelcol-{manifest_hash(data)}" / "otelcol"


def builder(cache_dir: Path | None = None, step: Step = lambda _: None) -> Path:
    """The pinned builder binary, installed with `go install` into the cache on first use."""
    return go_install(f"{BUILDER_MODULE}@{COLLECTOR_VERSION}", (cache_dir or default_cache_dir()) / f"builder-{COLLECTOR_VERSION}" / "builder",
                      step)


def build(data: dict[str, Any], cache_dir: Path | None = None, step: Step = lambda _: None) -> Path:
    """The binary for the manifest `data`: the cached one, or built now and moved into place.
    `step` hears each stage once (the builder, sources, modules, compilation)."""
    cache_dir = cache_dir or default_cache_dir()
    target = binary_path(data, cache_dir)
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tool = builder(cache_dir, step)
    work = Path(tempfile.mkdtemp(prefix=f"{target.parent.name}.tmp-", dir=cache_dir))
    log, src = work / "build.log", work / "src"
    (work / "manifest.yaml").write_bytes(to_yaml({**data, "dist": {**data["dist"], "output_path": str(src)}}))
    started = time.monotonic()
    step(f"generating sources for {target.parent.name} (log {log})")
    run_logged([str(tool), "--config", "manifest.yaml", "--skip-get-modules", "--skip-compilation"], work, log)
    (src / "go.mod").unlink(missing_ok=True)
    run_logged([go(), "mod", "init", f"example.com/{DIST_NAME}"], src, log)
    mods = [m.replace(" ", "@") for kind in KINDS for m in (e["gomod"] for e in data.get(f"{kind}s", ()))]
    mods += [m.replace(" ", "@") for m in provider_modules()]
    step(f"resolving {len(mods)} Go modules")
    run_logged([go(), "get", *mods, f"go.opentelemetry.io/collector/otelcol@{COLLECTOR_VERSION}"], src, log)
    step("compiling otelcol (the longest step: about 10 minutes on 2 cores)")
    run_logged([go(), "build", "-trimpath", "-ldflags=-s -w", "-o", str(work / "otelcol"), "."], src, log,
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

