"""`make bench`: obs at scale, side by side with Sloth, on synthetic bundles (bench/synthetic.py).

For each size (default 10, 100 and 1,000 services; `BENCH_SIZES=10,100` to choose):
- `obs build --no-validate` of the whole bundle (2 environments: rules, SLOs, dashboards, CRDs,
  ConfigMaps): wall time and peak memory;
- the SLO rule set alone: obs building the imported Sloth specs (one environment) against
  `sloth generate` on the same specs, and the obs/Sloth ratio: the median of BENCH_REPEATS (5)
  runs of each, alternated, each into a new folder (Sloth v0.16 is built with `go install` into
  the obs cache on first use; skipped with a message where Go is missing);
- the fleet layout: 1,000 services (BENCH_FLEET_SERVICES) in staging and prod of 20 clusters each
  (BENCH_FLEET_CLUSTERS, empty skips it): build time, peak memory and files written, beside one
  `sloth generate` of the same services' SLOs (Sloth has no cluster model);
- `obs validate` (sizes in BENCH_VALIDATE_SIZES, default 100,1000): cold (empty check cache),
  warm (nothing changed) and after changing one service; then one SLO rule broken by hand in the
  written folder, which `obs validate --out` must fail on, naming that service;
- the Prometheus rule-evaluation cost of obs's SLO rules against Sloth's for the same SLOs over the
  same series, fresh and over a backfilled day (bench/evaluation.py; BENCH_EVAL_SERVICES, default
  100,1000, empty skips it; needs Debian's prometheus: `make prometheus`).
Each command runs as its own process; peak memory is the larger of its own peak resident set and
the peak of its process tree's summed PSS (obs renders environments in worker processes).
Prints a Markdown table. Targets are printed beside the figures; the run always exits 0 unless
a command fails.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import evaluation  # noqa: E402
from bench.synthetic import service_name, write_sloth_specs  # noqa: E402
from obs.tools import cache_dir  # noqa: E402

SLOTH_VERSION = "v0.16.0"
SLOTH_MODULE = f"github.com/slok/sloth/cmd/sloth@{SLOTH_VERSION}"
# Runs of each side in the SLO-rules comparison (BENCH_REPEATS): the median is reported.
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
OBS = [sys.executable, "-m", "obs", "--quiet"]


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float

    def __str__(self) -> str:
        return f"{self.seconds:.{2 if self.seconds < 10 else 1}f} s, {self.peak_mib:.0f} MiB"


def _descendants(root: int) -> set[int]:
    """`root` and every process below it (from /proc/<pid>/task/<tid>/children)."""
    tree, frontier = {root}, [root]
    while frontier:
        found = []
        for pid in frontier:
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    found += [int(child) for child in task.read_text().split()]
                except (OSError, ValueError):
                    continue
        frontier = [pid for pid in found if pid not in tree]
        tree.update(frontier)
    return tree


def _tree_pss_mib(root: int) -> float:
    """Memory of `root` and all its descendants (obs renders environments in forked workers):
    the sum of their proportional set sizes (PSS: pages shared after a fork counted once)."""
    total_kib = 0
    for pid in _descendants(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total_kib += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return total_kib / 1024


def measure(command: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> Run:
    """Run a command to completion; its wall time and peak memory: the larger of its own peak RSS
    (wait4) and the peak of its process tree's summed PSS (sampled every 50 ms), so the memory of
    worker processes is counted. A thread waits for the exit, so the wall time ends when the
    command does, not at the next sample."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=log,
                                stderr=subprocess.STDOUT)
        ended: list[tuple[float, int, Any]] = []

        def wait() -> None:
            _, status, usage = os.wait4(proc.pid, 0)
            ended.append((time.perf_counter(), status, usage))
        waiter = threading.Thread(target=wait)
        waiter.start()
        tree_peak = 0.0
        while not ended:
            tree_peak = max(tree_peak, _tree_pss_mib(proc.pid))
            waiter.join(0.05)
        waiter.join()
        end, status, usage = ended[0]
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by the thread: Popen must not wait again
        if proc.returncode != 0:
            log.seek(0)
            raise SystemExit(f"bench: {' '.join(command)} failed:\n{log.read().decode(errors='replace')[-3000:]}")
    return Run(end - start, max(tree_peak, usage.ru_maxrss / 1024))


def median_run(runs: list[Run]) -> Run:
    """The run of median wall time (peak memory: the largest of the runs)."""
    middle = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    return Run(middle.seconds, max(run.peak_mib for run in runs))


def sloth_binary() -> Path | None:
    """Sloth v0.16 from the obs cache, built with `go install` on first use (None without Go)."""
    folder = cache_dir() / f"sloth-{SLOTH_VERSION}"
    binary = folder / "sloth"
    if binary.is_file():
        return binary
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").is_file() else None)
    if go is None:
        print("bench: Go not found, skipping the Sloth comparison (install Go to build Sloth)", file=sys.stderr)
        return None
    print(f"bench: building Sloth: go install {SLOTH_MODULE} (once, cached in {folder})", file=sys.stderr)
    staging = folder.with_name(folder.name + ".tmp")
    staging.mkdir(parents=True, exist_ok=True)
    subprocess.run([go, "install", SLOTH_MODULE], env={**os.environ, "GOBIN": str(staging)}, check=True)
    folder.mkdir(parents=True, exist_ok=True)
    (staging / "sloth").replace(binary)
    shutil.rmtree(staging, ignore_errors=True)
    return binary


def bundle_env(services: int, changed: int | None = None, **extra: str) -> dict[str, str]:
    env = {"OBS_BENCH_SERVICES": str(services), **extra}
    if changed is not None:
        env["OBS_BENCH_CHANGED"] = str(changed)
    return env


def build_rows(services: int, work: Path, sloth: Path | None) -> list[tuple[str, str, str, str]]:
    rows = []
    full = measure([*OBS, "build", "--bundle", "bench.synthetic:bundle", "--no-validate",
                    "--out", str(work / f"build-{services}")], bundle_env(services))
    rows.append((f"obs build --no-validate, {services} services x 2 envs", str(full), "-",
                 "target at 1,000: < 15 s, < 500 MiB" if services == 1000 else ""))
    specs = work / f"sloth-specs-{services}"
    write_sloth_specs(services, specs)
    label = f"SLO rules, {services} services x 2 SLOs (Sloth specs)"
    ours, theirs = [], []
    for attempt in range(REPEATS):  # alternated, so a busy moment of the machine hits both alike
        ours.append(measure([*OBS, "build", "--bundle", "bench.sloth_specs:bundle", "--no-validate",
                             "--out", str(work / f"slo-{services}-{attempt}")], {"OBS_BENCH_SLOTH_DIR": str(specs)}))
        if sloth is not None:
            out = work / f"sloth-out-{services}-{attempt}"
            out.mkdir()
            theirs.append(measure([str(sloth), "generate", "-i", str(specs), "-o", str(out)]))
    obs_slo = median_run(ours)
    if not theirs:
        rows.append((label, str(obs_slo), "Sloth skipped", ""))
        return rows
    peer = median_run(theirs)
    rows.append((label, str(obs_slo), str(peer),
                 f"obs/Sloth {obs_slo.seconds / peer.seconds:.2f}x time, {obs_slo.peak_mib / peer.peak_mib:.2f}x memory "
                 f"(median of {REPEATS}, alternated)"))
    return rows


def fleet_row(clusters: int, services: int, work: Path, sloth: Path | None) -> tuple[str, str, str, str]:
    """The fleet layout at scale: `services` services in staging and prod of `clusters` clusters each.
    Sloth has no notion of a cluster (its users run it once and deploy the same rules to every
    Prometheus), so its column is one `sloth generate` of the same services' SLO specs."""
    out = work / f"fleet-{clusters}x{services}"
    run = measure([*OBS, "build", "--bundle", "bench.synthetic:bundle", "--no-validate", "--out", str(out)],
                  bundle_env(services, OBS_BENCH_CLUSTERS=str(clusters)))
    files = sum(1 for path in out.rglob("*") if path.is_file())
    peer = "Sloth skipped"
    if sloth is not None:
        specs, generated = work / f"fleet-sloth-specs-{services}", work / f"fleet-sloth-out-{services}"
        write_sloth_specs(services, specs)
        generated.mkdir(exist_ok=True)
        peer = f"{measure([str(sloth), 'generate', '-i', str(specs), '-o', str(generated)])} (SLO rules only)"
    return (f"obs build --no-validate, {services:,} services x 2 envs x {clusters} clusters (fleet layout)",
            f"{run}, {files:,} files", peer, "")


def validate_rows(services: int, work: Path) -> list[tuple[str, str, str, str]]:
    cache = work / f"cache-{services}"  # an empty obs cache: cold checks (promtool comes from PATH)
    env = bundle_env(services, OBS_CACHE_DIR=str(cache))
    command = [*OBS, "validate", "--bundle", "bench.synthetic:bundle"]
    cold = measure(command, env)
    warm = measure(command, env)
    changed = measure(command, bundle_env(services, changed=services // 2, OBS_CACHE_DIR=str(cache)))
    targets = {100: "cold < 60 s", 1000: "cold < 10 min, one changed < 30 s"}
    return [(f"obs validate, {services} services x 2 envs: cold", str(cold), "-", targets.get(services, "")),
            (f"obs validate, {services} services: warm (unchanged)", str(warm), "-", ""),
            (f"obs validate, {services} services: one service changed", str(changed), "-", ""),
            broken_row(services, work, env)]


# The page threshold of one service's SLOs, raised from 14.4x to 20x of their budgets by hand.
_PAGE_THRESHOLDS = {"0.0144000144": "0.02", "0.144000144": "0.2"}


def broken_row(services: int, work: Path, env: dict[str, str]) -> tuple[str, str, str, str]:
    """Build, raise one service's page thresholds in its written rule file, and validate the folder:
    the proofs must fail on that service alone (its selection case), the rest coming from the cache."""
    out = work / f"broken-{services}"
    measure([*OBS, "build", "--bundle", "bench.synthetic:bundle", "--no-validate", "--out", str(out)], env)
    victim = service_name(services // 3)
    rules = out / "prod" / "prometheus" / "rules" / f"slo-{victim}.yaml"
    text, count = re.subn(r"> (0\.0144000144|0\.144000144)\)", lambda m: f"> {_PAGE_THRESHOLDS[m[1]]})",
                          rules.read_text())
    if count == 0:
        return (f"one SLO rule broken among {services} services", "threshold not found", "-", "")
    rules.write_text(text)
    start = time.perf_counter()
    result = subprocess.run([*OBS, "validate", "--bundle", "bench.synthetic:bundle", "--out", str(out)],
                            cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    named = f"slo-{victim}.test.yaml" in result.stderr + result.stdout
    verdict = f"fails naming slo-{victim} in {seconds:.1f} s" if result.returncode != 0 and named else \
        f"NOT caught (exit {result.returncode})"
    return (f"one SLO rule broken by hand among {services} services x 2 envs (obs validate --out)", verdict, "-",
            "must fail, naming it")


def sizes(variable: str, default: str) -> list[int]:
    return [int(n) for n in os.environ.get(variable, default).split(",") if n.strip()]


def compile_bytecode() -> None:
    """Compile obs's bytecode once, as `pip install` does: with PYTHONDONTWRITEBYTECODE set, every
    measured command would otherwise compile obs's modules again (~0.13 s a command)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "obs"), str(REPO / "bench")], check=True,
                   stdout=subprocess.DEVNULL)


def main() -> int:
    compile_bytecode()
    sloth = sloth_binary()
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="obs-bench-") as tmp:
        for services in sizes("BENCH_SIZES", "10,100,1000"):
            rows += build_rows(services, Path(tmp), sloth)
            print(f"bench: {services} services built", file=sys.stderr)
        for clusters in sizes("BENCH_FLEET_CLUSTERS", "20"):
            fleet_services = int(os.environ.get("BENCH_FLEET_SERVICES", "1000"))
            rows.append(fleet_row(clusters, fleet_services, Path(tmp), sloth))
            print(f"bench: {fleet_services} services in {clusters} clusters built", file=sys.stderr)
        for services in sizes("BENCH_VALIDATE_SIZES", "100,1000"):
            rows += validate_rows(services, Path(tmp))
            print(f"bench: {services} services validated", file=sys.stderr)
    print(f"| work | obs (wall, peak memory) | Sloth {SLOTH_VERSION} | ratio / target |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n(machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end; obs on Python "
          f"{platform.python_version()}, {sys.base_prefix}: CPython's speed depends on how it was built, "
          "docs/scale.md)")
    # Prometheus rule-evaluation cost of the same SLOs (bench/evaluation.py; BENCH_EVAL_SERVICES=
    # empty skips it).
    evaluation_rows = evaluation.compare(sloth)
    if evaluation_rows:
        print(f"\n| Prometheus rule evaluation | obs | Sloth {SLOTH_VERSION} | obs/Sloth |")
        print("|---|---|---|---|")
        for row in evaluation_rows:
            print("| " + " | ".join(row) + " |")
        print(f"\n(load {os.getloadavg()[0]:.1f} at the end of the rule-evaluation comparison)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
