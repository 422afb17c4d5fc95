"""Build a Go command whose module has `replace` directives, which `go install module@version` refuses.

A throwaway wrapper module requires the module at its version and carries the module's own replace
block, read at install time from the module's go.mod in Go's module cache (`go mod edit -json`), so
the binary is built from exactly the dependencies the module's maintainers pinned. `go build` of the
command's package inside the wrapper then works like a build in the module's own checkout."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from obs.errors import ValidationError
from obs.tools.install import Step, go, run_logged

# Never download a newer Go toolchain behind the user's back: a too-old Go is an error naming the need.
_GO_ENV = {"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod -buildvcs=false"}


@dataclass(frozen=True)
class GoCommand:
    """A `package main` inside `module` at `version` (e.g. cmd/thanos of github.com/thanos-io/thanos)."""

    module: str
    version: str
    package: str
    ldflags: str = ""
    tags: str = ""  # the build tags the module's own release builds use

    @property
    def import_path(self) -> str:
        return f"{self.module}/{self.package}"


def _go_output(args: list[str], cwd: Path, log: Path) -> str:
    """stdout of a `go` command (its stderr appended to `log`); failure raises with the log's tail."""
    with log.open("a") as err:
        err.write(f"$ {' '.join(args)}\n")
        err.flush()
        proc = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, check=False,
                              text=True, env={**os.environ, **_GO_ENV})
    if proc.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-25:])
        raise ValidationError(f"`{' '.join(args[:3])} ...` failed (exit {proc.returncode}); log {log}:\n{tail}")
    return proc.stdout


def replace_values(module: str, go_mod: dict[str, Any]) -> list[str]:
    """`go mod edit -replace` values (old[@v]=new@v) of a go.mod parsed by `go mod edit -json`. A
    replacement by a local directory cannot be carried into another module: an error naming it."""
    values = []
    for entry in go_mod.get("Replace") or []:
        old, new = entry["Old"], entry["New"]
        if not new.get("Version"):
            raise ValidationError(f"{module} replaces {old['Path']} with the local directory {new['Path']}, "
                                  "which a wrapper module cannot use (fix: build it from a checkout of the "
                                  "module instead)")
        source = f"{old['Path']}@{old['Version']}" if old.get("Version") else old["Path"]
        values.append(f"{source}={new['Path']}@{new['Version']}")
    return values


def replace_directives(command: GoCommand, work: Path, log: Path) -> list[str]:
    """The module's replace directives, read from its go.mod after downloading it into Go's module cache."""
    download = json.loads(_go_output([go(), "mod", "download", "-json", f"{command.module}@{command.version}"],
                                     work, log))
    parsed = json.loads(_go_output([go(), "mod", "edit", "-json", download["GoMod"]], work, log))
    return replace_values(f"{command.module}@{command.version}", parsed)


def build_go_command(command: GoCommand, target: Path, step: Step) -> Path:
    """Build `command` into `target` through a wrapper module (log: install.log beside `target`); the
    binary appears at `target` only once complete."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log = target.parent / "install.log"
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        step(f"reading the replace block of {command.module}@{command.version} (log {log})")
        replaces = replace_directives(command, work, log)
        run_logged([go(), "mod", "init", f"obs.local/build/{target.name}"], work, log, _GO_ENV)
        if replaces:
            run_logged([go(), "mod", "edit", *(f"-replace={value}" for value in replaces)], work, log, _GO_ENV)
        step(f"resolving {command.import_path}@{command.version} with {len(replaces)} replace directives")
        run_logged([go(), "get", f"{command.import_path}@{command.version}"], work, log, _GO_ENV)
        step(f"compiling {target.name} (the longest step: minutes on 2 cores)")
        built = work / target.name
        run_logged([go(), "build", "-trimpath", "-tags", command.tags, "-ldflags", command.ldflags,
                    "-o", str(built), command.import_path], work, log, _GO_ENV)
        os.replace(built, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
