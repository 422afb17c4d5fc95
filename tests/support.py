"""Helpers the test modules share (test modules never import from each other): the repo root, the
CI switch, capability checks that fail in CI instead of skipping, the `obs` CLI as a user runs it,
free loopback ports and bounded waits."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pytest

from obs.errors import ToolMissingError
from obs.tools.env import in_ci

REPO = Path(__file__).resolve().parent.parent

__all__ = ["REPO", "in_ci", "missing_capability", "require_tool", "obs", "assert_one_clear_error", "snapshot",
           "free_port", "wait_for"]


def missing_capability(reason: str) -> None:
    """A capability this run lacks (a tool, root, a mount, a package): a failure in CI, where every
    test must run, else a loud skip."""
    if in_ci():
        pytest.fail(f"missing in CI (CI={os.environ.get('CI')!r}): {reason}")
    pytest.skip(f"MISSING CAPABILITY: {reason}")


def require_tool(find: Callable[[], Path]) -> Path:
    """The tool's path; in CI a missing tool fails the test, elsewhere it is a loud skip."""
    try:
        return find()
    except ToolMissingError as exc:
        missing_capability(f"tool missing (run `make tools`): {exc}")
        raise  # unreachable: missing_capability fails or skips


def obs(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python -m obs` as a user would (the repo importable, no $OBS_BUNDLE)."""
    base = {k: v for k, v in (os.environ if env is None else env).items() if k != "OBS_BUNDLE"}
    base["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "obs", *args], cwd=cwd, env=base, capture_output=True, text=True,
                          timeout=300)


def assert_one_clear_error(result: subprocess.CompletedProcess, *words: str) -> None:
    """Exit code 2 and one `obs: error:` message (no traceback) holding every word."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("obs: error: ")
    for word in words:
        assert word in result.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free on `host` now (never a fixed one: parallel runs would collide)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for(what: str, probe: Callable[[], Any], attempts: int = 120, pause: float = 0.5) -> Any:
    """Call `probe` until it returns something truthy, at most `attempts` times."""
    last: Any = None
    for _ in range(attempts):
        try:
            last = probe()
        except OSError as exc:  # not listening yet
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(pause)
    pytest.fail(f"gave up waiting for {what}; last answer: {last!r}")


def alertmanager_binary() -> Path:
    """Debian's Alertmanager server (the tests run it on loopback)."""
    from obs.tools import find_tool
    return find_tool("prometheus-alertmanager", "OBS_ALERTMANAGER",
                     "run `make tools`, or apt-get install prometheus-alertmanager")


def mount(*args: str) -> None:
    """mount(8) with `args`; a missing capability (no root, no CAP_SYS_ADMIN) skips, or fails in CI."""
    import os
    import shutil
    if os.geteuid() != 0 or not shutil.which("mount"):
        missing_capability("mounting a tmpfs needs root and mount(8); this run has neither")
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        missing_capability(f"cannot mount here (a container without CAP_SYS_ADMIN?): {result.stderr.strip()}")


def alertmanager_api(url: str, body: object | None = None) -> Any:
    """GET (or POST `body` as JSON to) an Alertmanager API URL; the decoded answer."""
    import json
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read()
    return json.loads(text) if text else None


def post_alerts(url: str, *label_sets: dict[str, str]) -> None:
    """Send firing alerts with these label sets to the Alertmanager at `url` (its /api/v2 base)."""
    alertmanager_api(f"{url}/alerts", [{"labels": labels, "annotations": {"summary": "test"}} for labels in label_sets])


@contextlib.contextmanager
def running_alertmanager(binary: Path, config: Path, storage: Path) -> Iterator[str]:
    """A real Alertmanager on a free loopback port with `config`; yields its /api/v2 base URL once
    it answers, and stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen([str(binary), f"--config.file={config}", f"--storage.path={storage}",
                             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                             "--log.level=warn"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/api/v2"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                alertmanager_api(f"{url}/status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    assert proc.stderr is not None
                    raise AssertionError("alertmanager did not start: " + proc.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def write_rendered(results: Sequence[Any], root: Path) -> list[Path]:
    """Rendered environments (obs.render) written as plain files under `root/<env>/`."""
    from obs.pipeline import write_plain
    return write_plain(results, root)


@contextlib.contextmanager
def loopback_http(handler: type) -> Iterator[str]:
    """An HTTP server with `handler` (a BaseHTTPRequestHandler class) on a free loopback port, in a
    thread, for the duration of the block: its host:port."""
    from http.server import ThreadingHTTPServer
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
