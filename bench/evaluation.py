"""Prometheus rule-evaluation cost of obs's SLO rules against Sloth v0.16's, for the same SLOs over
the same series (issue 10, "make bench side by side"). Part of `make bench`; also runs alone:

    BENCH_EVAL_SERVICES=100 .venv/bin/python bench/evaluation.py

For each size N (`BENCH_EVAL_SERVICES`, default 100,1000; empty skips the comparison unless
`BENCH_EVAL_BACKFILL_SERVICES` is set) the Sloth specs of bench/synthetic.py (2 SLOs per service)
are turned into rules twice: `obs build` of the imported specs (environment prod, only its rule
files are used) and `sloth generate`. Three Prometheus servers (Debian's /usr/bin/prometheus) then
run side by side, started together, scraping the same synthetic exporter (bench/series.py) every
15 s: one with obs's rules, one with Sloth's, one with no rules (the baseline: what scraping and
storing the series costs). Each also scrapes itself. Two regimes, one after the other, all sizes
of a regime at the same time:

- fresh: empty storage; the servers run `BENCH_EVAL_MINUTES` (6) minutes;
- backfilled (`BENCH_EVAL_BACKFILL_SERVICES`, default 100 when the fresh sizes have it; e.g.
  `BENCH_EVAL_SERVICES= BENCH_EVAL_BACKFILL_SERVICES=1000` for that alone): every server holds one
  day of the raw series at 15 s (`promtool tsdb create-blocks-from openmetrics`), and each rule
  set gets a day of the recording rules whose history its own rules read through a range selector
  and that read only raw series: obs's 1m SLI tiles (`slo:sli_*_events:rate1m`, read by every
  window), Sloth's 5m error ratio (read by its 30d window). Those are evaluated with the range
  queries `promtool tsdb create-blocks-from rules` makes, against a server holding the raw day,
  and written as blocks the same way as the raw series (promtool's rule importer writes a block
  per rule and 2 h, thousands the server then compacts during the measurement). Then the servers
  run like the fresh ones.

Measured over the last `BENCH_EVAL_WINDOW` (4) minutes of each run: the sum over rule groups of
`prometheus_rule_group_last_duration_seconds` averaged over the window (the issue's figure; also
weighted by each group's interval, in seconds of evaluation per minute), process CPU seconds in
the window (`process_cpu_seconds_total`, and net of the rule-less server), rules loaded, and
output samples per evaluation (`prometheus_rule_group_last_evaluation_samples`). Per-rule
evaluation times (/api/v1/rules, sampled three times) say which rules cost most.

Nothing here reads obs's rule text: the rule files are taken as generated at run time.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.series import SERIES_PER_SERVICE, Exporter, Model, write_openmetrics  # noqa: E402
from bench.synthetic import METRIC, service_name, sloth_spec, write_sloth_specs  # noqa: E402

SIDES = ("obs", "sloth", "none")
DAY = 86400
BLOCK = 7200  # promtool writes 2 h blocks; one input file per aligned 2 h is read once
SCRAPE = 15
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def log(message: str) -> None:
    print(f"bench-eval {time.strftime('%H:%M:%S')}: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the bench process dies, even by SIGKILL."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def get(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


class Prometheus:
    """One Prometheus server on a free loopback port, with its own config, rules and storage."""

    running: list["Prometheus"] = []

    def __init__(self, binary: str, root: Path, rule_files: list[Path], exporter: str | None,
                 services: int | None) -> None:
        self.binary, self.root = binary, root
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        rules = root / "rules"
        rules.mkdir(exist_ok=True)
        for path in rule_files:
            shutil.copy(path, rules / path.name)
        self.rules = len(rule_files)
        self.port = free_port()
        scrape = [{"job_name": "self", "static_configs": [{"targets": [f"127.0.0.1:{self.port}"]}]}]
        if exporter:
            scrape.append({"job_name": "synthetic", "honor_labels": True, "params": {"services": [str(services)]},
                           "static_configs": [{"targets": [exporter]}]})
        config = {"global": {"scrape_interval": f"{SCRAPE}s", "evaluation_interval": "1m"},
                  "rule_files": [str(rules / "*.yaml")], "scrape_configs": scrape}
        (root / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log_file = (self.root / "prometheus.log").open("ab")
        self.proc = subprocess.Popen(
            [self.binary, f"--config.file={self.root / 'prometheus.yml'}", f"--storage.tsdb.path={self.data}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=30d", "--log.level=warn"],
            stdout=log_file, stderr=log_file, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        log_file.close()
        Prometheus.running.append(self)

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"prometheus in {self.root} exited: {self.log_tail()}")
            try:
                get(f"{self.url}/-/ready", timeout=5)
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"prometheus in {self.root} not ready after {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.root / "prometheus.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in Prometheus.running:
            Prometheus.running.remove(self)

    @classmethod
    def stop_all(cls) -> None:
        for server in list(cls.running):
            server.stop()

    def query(self, expr: str) -> list[dict]:
        body = json.loads(get(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})))
        return body["data"]["result"]

    def scalar(self, expr: str) -> float:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else 0.0

    def own_metric(self, name: str) -> float:
        """A metric of the process itself, read from /metrics now (summed over label sets)."""
        total = 0.0
        for line in get(f"{self.url}/metrics").decode().splitlines():
            if line.startswith(name) and line[len(name)] in " {":
                total += float(line.rsplit(" ", 1)[1])
        return total

    def rule_times(self) -> dict[tuple[str, str], float]:
        """Last evaluation time of every rule: (group, rule name) -> seconds."""
        groups = json.loads(get(f"{self.url}/api/v1/rules", timeout=120))["data"]["groups"]
        return {(group["name"], f"{index}:{rule['name']}"): float(rule.get("evaluationTime", 0.0))
                for group in groups for index, rule in enumerate(group["rules"])}


# --- rule sets -------------------------------------------------------------------------------------

def generate_rules(services: int, work: Path, sloth: Path) -> dict[str, list[Path]]:
    """obs's and Sloth's rule files for the same `services` x 2 SLOs, as generated now."""
    specs = work / f"specs-{services}"
    write_sloth_specs(services, specs)
    out = work / f"obs-{services}"
    subprocess.run([sys.executable, "-m", "obs", "--quiet", "build", "--bundle", "bench.sloth_specs:bundle",
                    "--no-validate", "--out", str(out)], cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "OBS_BENCH_SLOTH_DIR": str(specs)})
    sloth_out = work / f"sloth-{services}"
    sloth_out.mkdir()
    subprocess.run([str(sloth), "generate", "-i", str(specs), "-o", str(sloth_out)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"obs": sorted((out / "prod" / "prometheus" / "rules").glob("*.yaml")),
            "sloth": sorted(sloth_out.glob("*.yaml")), "none": []}


NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def history_rules(files: list[Path]) -> list[tuple[str, str, dict[str, str], int]]:
    """The recording rules of `files` whose history the rule set reads (another rule reads them
    through a range selector) and that read only raw series, so they can be evaluated over raw
    history alone: (record, expr, labels, interval in seconds) each."""
    docs = [yaml.load(path.read_text(), Loader=Loader) or {} for path in files]
    groups = [group for doc in docs for group in doc.get("groups") or []]
    rules = [rule for group in groups for rule in group["rules"]]
    records = {rule["record"] for rule in rules if "record" in rule}
    ranged = {name for name in records if any(re.search(r"(?<![\w:])" + re.escape(name) + r"(\{[^}]*\})?\[",
                                                        rule["expr"]) for rule in rules)}
    return [(rule["record"], rule["expr"], {k: str(v) for k, v in (rule.get("labels") or {}).items()},
             seconds(group.get("interval", "1m")))
            for group in groups for rule in group["rules"]
            if rule.get("record") in ranged and not records.intersection(NAME.findall(rule["expr"]))]


def seconds(duration: str) -> int:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return int(sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", str(duration))))


# --- backfill --------------------------------------------------------------------------------------

def run_quiet(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent)


def finish(proc: subprocess.Popen) -> None:
    _, err = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(map(str, proc.args))} failed: {err.decode(errors='replace')[-2000:]}")


class Converter:
    """OpenMetrics files to TSDB blocks in `out` with promtool, at most two at a time, each file
    deleted once converted. promtool reads its input once per 2 h block it writes, so each file
    should cover one aligned 2 h."""

    def __init__(self, promtool: str, out: Path) -> None:
        self.promtool, self.out = promtool, out
        self.pending: list[tuple[subprocess.Popen, Path]] = []
        out.mkdir(parents=True, exist_ok=True)

    def add(self, path: Path) -> None:
        while len(self.pending) >= 2:
            self.wait_one()
        command = [self.promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(path), str(self.out)]
        self.pending.append((run_quiet(command), path))

    def wait_one(self) -> None:
        proc, path = self.pending.pop(0)
        finish(proc)
        path.unlink()

    def close(self) -> None:
        while self.pending:
            self.wait_one()


def backfill_raw(model: Model, promtool: str, start: float, end: float, out: Path, work: Path) -> None:
    """The model's series every 15 s in [start, end) as TSDB blocks in `out`, one OpenMetrics file
    per aligned 2 h, converted while the next one is written."""
    converter = Converter(promtool, out)
    chunk = start
    while chunk < end:
        upto = min(end, (chunk // BLOCK + 1) * BLOCK)
        path = work / f"raw-{int(chunk)}.om"
        write_openmetrics(model, path, chunk, upto, SCRAPE)
        converter.add(path)
        chunk = upto
    converter.close()


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def backfill_rules(source: Prometheus, rules: list[tuple[str, str, dict[str, str], int]], promtool: str,
                   start: float, end: float, out: Path, work: Path) -> int:
    """Evaluate `rules` over [start, end) against `source` as Prometheus would have, every group
    interval (the range queries `promtool tsdb create-blocks-from rules` makes), and write the
    results as TSDB blocks in `out`; returns the number of samples. (promtool's own rule importer
    writes one block per rule and 2 h, thousands of small blocks the server then compacts.)"""
    files: dict[int, object] = {}
    samples = 0

    def evaluate(rule: tuple[str, str, dict[str, str], int]) -> list[str]:
        record, expr, labels, interval = rule
        first = (start // interval + 1) * interval
        query = urllib.parse.urlencode({"query": expr, "start": first, "end": end - 1, "step": interval})
        body = json.loads(get(f"{source.url}/api/v1/query_range?{query}", timeout=600))
        lines = []
        for series in body["data"]["result"]:
            names = {k: v for k, v in series["metric"].items() if k != "__name__"} | labels
            text = ",".join(f'{k}="{escape(v)}"' for k, v in sorted(names.items()))
            lines += [(int(float(t)), f"{record}{{{text}}} {v} {t}") for t, v in series["values"]]
        return lines

    from concurrent.futures import ThreadPoolExecutor
    try:
        with ThreadPoolExecutor(2) as pool:
            for lines in pool.map(evaluate, rules):
                for t, line in lines:
                    chunk = int(t // BLOCK)
                    if chunk not in files:
                        files[chunk] = (work / f"rules-{chunk}.om").open("w", buffering=1 << 20)
                    files[chunk].write(line + "\n")
                samples += len(lines)
    finally:
        for handle in files.values():
            handle.write("# EOF\n")
            handle.close()
    converter = Converter(promtool, out)
    for chunk in sorted(files):
        converter.add(work / f"rules-{chunk}.om")
    converter.close()
    return samples


def link_blocks(source: Path, data: Path) -> None:
    """Hard-link every block of `source` into the storage folder `data` (blocks are immutable)."""
    data.mkdir(parents=True, exist_ok=True)
    for block in source.iterdir():
        if block.is_dir():
            shutil.copytree(block, data / block.name, copy_function=os.link)


# --- measuring -------------------------------------------------------------------------------------

@dataclass
class Figures:
    rules: float = 0
    eval_seconds: float = 0  # sum over groups of the windowed average of last duration
    eval_per_minute: float = 0  # the same, each group weighted by evaluations per minute
    cpu: float = 0
    samples: float = 0
    failures: float = 0
    missed: float = 0
    compactions: float = 0
    by_group: dict[str, float] = field(default_factory=dict)  # group shape -> eval s per minute
    by_rule: dict[str, float] = field(default_factory=dict)  # (group shape, rule shape) -> eval s per minute


@dataclass
class Setup:
    services: int
    regime: str  # "fresh" or "backfilled"
    servers: dict[str, Prometheus]
    backfilled: dict[str, list[str]] = field(default_factory=dict)  # side -> recording rules backfilled
    figures: dict[str, Figures] = field(default_factory=dict)


def slo_names() -> list[str]:
    return [slo["name"] for slo in sloth_spec(service_name(0))["slos"]]


def shape(name: str) -> str:
    """A group or rule name with the service and SLO names taken out: one shape per kind."""
    name = re.sub(r"svc\d{4}", "{svc}", name, flags=re.IGNORECASE)
    for slo in slo_names():
        name = re.sub(slo, "{slo}", name, flags=re.IGNORECASE)
    return name


def measure(setups: list[Setup], minutes: float, window: float) -> None:
    """Start every server of `setups` together, run `minutes`, measure the last `window` minutes."""
    servers = [server for setup in setups for server in setup.servers.values()]
    for server in servers:
        server.start()
    for server in servers:
        server.wait_ready()
    started = time.monotonic()
    log(f"{len(servers)} servers up; measuring from +{minutes - window:g} to +{minutes:g} min")
    time.sleep(max(0.0, (minutes - window) * 60 - (time.monotonic() - started)))
    before = {id(s): (s.own_metric("process_cpu_seconds_total"), s.own_metric("prometheus_tsdb_compactions_total"))
              for s in servers}
    rule_samples: dict[int, list[dict]] = defaultdict(list)
    for step in (1, 2, 3):  # per-rule times at a third, two thirds and the end of the window
        time.sleep(max(0.0, (minutes - window + window * step / 3) * 60 - (time.monotonic() - started) - 2))
        for setup in setups:
            for side in ("obs", "sloth"):
                rule_samples[id(setup.servers[side])].append(setup.servers[side].rule_times())
    after = {id(s): (s.own_metric("process_cpu_seconds_total"), s.own_metric("prometheus_tsdb_compactions_total"))
             for s in servers}
    span = f"{int(window * 60)}s"
    for setup in setups:
        for side, server in setup.servers.items():
            fig = Figures(cpu=after[id(server)][0] - before[id(server)][0],
                          compactions=after[id(server)][1] - before[id(server)][1])
            fig.rules = server.scalar('sum(prometheus_rule_group_rules{job="self"})')
            fig.samples = server.scalar(f'sum(avg_over_time(prometheus_rule_group_last_evaluation_samples{{job="self"}}[{span}]))')
            fig.failures = server.scalar(f'sum(increase(prometheus_rule_evaluation_failures_total{{job="self"}}[{span}]))')
            fig.missed = server.scalar(f'sum(increase(prometheus_rule_group_iterations_missed_total{{job="self"}}[{span}]))')
            intervals = {r["metric"]["rule_group"]: float(r["value"][1])
                         for r in server.query('prometheus_rule_group_interval_seconds{job="self"}')}
            per_group: dict[str, float] = {}
            for r in server.query(f'avg_over_time(prometheus_rule_group_last_duration_seconds{{job="self"}}[{span}])'):
                key, seconds = r["metric"]["rule_group"], float(r["value"][1])
                fig.eval_seconds += seconds
                per_group[key] = seconds * 60 / intervals.get(key, 60)
                group = shape(key.split(";", 1)[1])
                fig.by_group[group] = fig.by_group.get(group, 0) + per_group[key]
            fig.eval_per_minute = sum(per_group.values())
            samples = rule_samples.get(id(server), [])
            if samples:
                group_interval = {key.split(";", 1)[1]: intervals[key] for key in intervals}
                for (group, rule), _ in samples[-1].items():
                    seconds = sum(sample.get((group, rule), 0.0) for sample in samples) / len(samples)
                    key = f"{shape(group)} / {shape(rule.split(':', 1)[1])}"
                    fig.by_rule[key] = fig.by_rule.get(key, 0) + seconds * 60 / group_interval.get(group, 60)
            setup.figures[side] = fig
    for setup in setups:
        if setup.regime == "backfilled":
            for side, server in setup.servers.items():
                depth = [f"{name} {server.scalar(f'max(count_over_time({name}[1d]))'):.0f}"
                         for name in [f"{METRIC}_count", *setup.backfilled.get(side, [])]]
                log(f"{setup.services} services, {side}: samples per series over the last day: {', '.join(depth)}")
    for server in servers:
        server.stop()


# --- the comparison --------------------------------------------------------------------------------

def tools() -> tuple[str, str] | None:
    prometheus = shutil.which("prometheus") or ("/usr/bin/prometheus" if Path("/usr/bin/prometheus").is_file() else None)
    if prometheus is None:
        return None
    beside = Path(prometheus).with_name("promtool")
    promtool = str(beside) if beside.is_file() else shutil.which("promtool")
    return (prometheus, promtool) if promtool else None


def env_sizes(variable: str, default: str) -> list[int]:
    return [int(n) for n in os.environ.get(variable, default).split(",") if n.strip()]


def compare(sloth: Path | None) -> list[tuple[str, str, str, str]]:
    """Run the comparison; Markdown rows (work, obs, Sloth, obs/Sloth). Cleans up on any exit."""
    fresh_sizes = env_sizes("BENCH_EVAL_SERVICES", "100,1000")
    # Backfilled: the sizes asked for, else 100 if the fresh run has it.
    backfill_sizes = (env_sizes("BENCH_EVAL_BACKFILL_SERVICES", "") if "BENCH_EVAL_BACKFILL_SERVICES" in os.environ
                      else [n for n in (100,) if n in fresh_sizes])
    sizes = sorted(set(fresh_sizes) | set(backfill_sizes))
    if not sizes:
        return []
    if sloth is None:
        log("Sloth not available, skipping the rule-evaluation comparison")
        return []
    found = tools()
    if found is None:
        log("prometheus/promtool not found (make prometheus), skipping the rule-evaluation comparison")
        return []
    prometheus, promtool = found
    minutes = float(os.environ.get("BENCH_EVAL_MINUTES", "6"))
    window = min(float(os.environ.get("BENCH_EVAL_WINDOW", "4")), minutes - 1)
    began = time.monotonic()
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="obs-bench-eval-"))
    try:
        rule_sets = {}
        for services in sizes:
            rule_sets[services] = generate_rules(services, work, sloth)
            log(f"{services} services: {len(rule_sets[services]['obs'])} obs and "
                f"{len(rule_sets[services]['sloth'])} Sloth rule files generated")
        origin = time.time() - DAY - 3600  # the synthetic counters started 25 h ago
        with Exporter(origin, sizes) as exporter:
            fresh = [Setup(n, "fresh", {side: Prometheus(prometheus, work / f"fresh-{n}-{side}", rule_sets[n][side],
                                                         exporter.address, n) for side in SIDES})
                     for n in fresh_sizes]
            if fresh:
                log(f"fresh regime: {', '.join(map(str, fresh_sizes))} services, {3 * len(fresh)} servers "
                    f"for {minutes:g} min")
                measure(fresh, minutes, window)
            backfilled = []
            for n in backfill_sizes:
                backfilled.append(prepare_backfill(n, rule_sets[n], work, prometheus, promtool, exporter.address, origin))
            if backfilled:
                log(f"backfilled regime: {', '.join(map(str, backfill_sizes))} services, {3 * len(backfilled)} servers "
                    f"for {minutes:g} min")
                measure(backfilled, minutes, window)
        log(f"rule-evaluation comparison done in {(time.monotonic() - began) / 60:.1f} min")
        setups = fresh + backfilled
        print_breakdown(setups)
        return [row(setup, minutes, window) for setup in setups]
    finally:
        Prometheus.stop_all()
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(work, ignore_errors=True)


def prepare_backfill(services: int, rules: dict[str, list[Path]], work: Path, prometheus: str, promtool: str,
                     exporter: str, origin: float) -> Setup:
    end = float(int(time.time()) // SCRAPE * SCRAPE)
    start = end - DAY
    raw = work / f"raw-blocks-{services}"
    log(f"{services} services: writing a day of raw series ({services * SERIES_PER_SERVICE * DAY // SCRAPE:,} samples) "
        "and converting it to blocks")
    backfill_raw(Model(services, origin), promtool, start, end, raw, work)
    source = Prometheus(prometheus, work / f"source-{services}", [], None, None)
    link_blocks(raw, source.data)
    source.start()
    setup = Setup(services, "backfilled", {})
    try:
        source.wait_ready()
        for side in SIDES:
            server = Prometheus(prometheus, work / f"backfilled-{services}-{side}", rules[side], exporter, services)
            link_blocks(raw, server.data)
            selected = history_rules(rules[side]) if rules[side] else []
            setup.backfilled[side] = sorted({rule[0] for rule in selected})
            if selected:
                log(f"{services} services: evaluating {len(selected)} {side} recording rules over the day")
                blocks = work / f"rule-blocks-{services}-{side}"
                samples = backfill_rules(source, selected, promtool, start, end, blocks, work)
                log(f"{services} services: {samples:,} {side} rule samples backfilled")
                link_blocks(blocks, server.data)
                shutil.rmtree(blocks)
            setup.servers[side] = server
    finally:
        source.stop()
        shutil.rmtree(source.root, ignore_errors=True)
    shutil.rmtree(raw, ignore_errors=True)
    return setup


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def row(setup: Setup, minutes: float, window: float) -> tuple[str, str, str, str]:
    figs, none = setup.figures, setup.figures["none"]
    history = f"fresh {minutes:g}-min history" if setup.regime == "fresh" else (
        "one backfilled day (raw series; obs: " + ", ".join(setup.backfilled["obs"]) + "; Sloth: "
        + ", ".join(setup.backfilled["sloth"]) + ")")
    work = (f"rule evaluation, {2 * setup.services:,} SLOs ({setup.services:,} services), {history}: "
            f"eval s/round (s/min), CPU s in {window:g} min (net of rule-less), rules, output samples/round")

    def cell(side: str) -> str:
        f = figs[side]
        notes = [f"{n:.0f} {what}" for n, what in ((f.failures, "failed evals"), (f.missed, "missed rounds"),
                                                  (f.compactions, "compactions")) if n]
        return (f"{f.eval_seconds:.2f} s ({f.eval_per_minute:.2f}), CPU {f.cpu:.1f} s ({f.cpu - none.cpu:.1f}), "
                f"{f.rules:,.0f}, {f.samples:,.0f}" + (f" [{', '.join(notes)}]" if notes else ""))

    o, s = figs["obs"], figs["sloth"]
    return (work, cell("obs"), cell("sloth"),
            f"{ratio(o.eval_seconds, s.eval_seconds)} ({ratio(o.eval_per_minute, s.eval_per_minute)}), "
            f"CPU {ratio(o.cpu, s.cpu)} ({ratio(o.cpu - none.cpu, s.cpu - none.cpu)}), "
            f"{ratio(o.rules, s.rules)}, {ratio(o.samples, s.samples)}")


def print_breakdown(setups: list[Setup]) -> None:
    """Where the evaluation time goes (stderr): per group kind and the costliest rule kinds."""
    for setup in setups:
        log(f"{setup.services} services, {setup.regime}: evaluation seconds per minute by group kind")
        for side in ("obs", "sloth"):
            fig = setup.figures[side]
            groups = sorted(fig.by_group.items(), key=lambda kv: -kv[1])
            log(f"  {side}: " + "; ".join(f"{name} {seconds:.3f}" for name, seconds in groups))
            for name, seconds in sorted(fig.by_rule.items(), key=lambda kv: -kv[1])[:6]:
                log(f"    {seconds:.3f} s/min  {name}")


def main() -> int:
    from bench.run import sloth_binary
    rows = compare(sloth_binary())
    if rows:
        print("| work | obs | Sloth v0.16.0 | obs/Sloth |\n|---|---|---|---|")
        for cells in rows:
            print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
