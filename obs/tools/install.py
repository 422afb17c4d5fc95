"""Ways to install a tool: Debian packages (with apt-get, as root) and `go install` into the cache.

Every command's output goes to a log file; a failure raises ValidationError with the log's tail.
A binary appears at its final path only once it is complete (built aside, then renamed)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from obs.errors import ToolMissingError, ValidationError

Step = Callable[[str], None]  # reports one step of an install (printed once)


def run_logged(args: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> None:
    """Run `args`, appending its output to `log`; on failure raise with the log's last lines."""
    with log.open("a") as out:
        out.write(f"$ {' '.join(args)}\n")
        out.flush()
        proc = subprocess.run(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-25:])
        raise ValidationError(f"`{' '.join(args[:3])} ...` failed (exit {proc.returncode}); log {log}:\n{tail}")


def go() -> str:
    """The `go` binary (also looked for in /usr/local/go/bin, where Go's tarball puts it)."""
    found = shutil.which("go") or shutil.which("go", path="/usr/local/go/bin")
    if not found:
        raise ToolMissingError("go not found on PATH (fix: install Go >= 1.24, e.g. `apt-get install golang-go` "
                               "where it is recent enough, or from https://go.dev/dl)")
    return found


def go_install(module: str, target: Path, step: Step) -> Path:
    """`go install module@version` with the binary renamed to `target` once built."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    gobin = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        step(f"go install {module} (the first build takes minutes; log {target.parent / 'install.log'})")
        run_logged([go(), "install", module], target.parent, target.parent / "install.log", {"GOBIN": str(gobin)})
        parts = module.rsplit("@", 1)[0].split("/")
        # go names the binary after the last path element, skipping a major-version suffix (.../v5)
        built = gobin / (parts[-2] if re.fullmatch(r"v[0-9]+", parts[-1]) else parts[-1])
        os.replace(built, target)
    finally:
        shutil.rmtree(gobin, ignore_errors=True)
    return target


def can_use_apt() -> bool:
    """apt-get is there and we are root: Debian packages can be installed."""
    return shutil.which("apt-get") is not None and hasattr(os, "geteuid") and os.geteuid() == 0


_apt_updated = False


def apt_install(package: str, log: Path, step: Step) -> None:
    """`apt-get install` one Debian package (after one `apt-get update` per process)."""
    global _apt_updated
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        step("apt-get update")
        run_logged(["apt-get", "update", "-qq"], log.parent, log, env)
        _apt_updated = True
    step(f"apt-get install {package}")
    run_logged(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package], log.parent, log, env)
