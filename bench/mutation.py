"""A mutation pass over obs's core (issue 22): targeted mutants, each a deliberate bug applied to a
copy of the source, and a chosen subset of the tests run against it. A mutant the tests fail on is
killed; one they pass is a survivor (a bug the suite would let through).

    python bench/mutation.py                 # every mutant against this tree
    python bench/mutation.py --root DIR      # against another checkout (e.g. an older commit)
    python bench/mutation.py -k redact       # only mutants whose id contains "redact"
    python bench/mutation.py --list          # the mutants and the tests each runs

Not part of `make test` (minutes per mutant with the real tools); run it after changing a core
module or its tests. Every mutant is applied to a scratch copy of the tree, never to the checkout.
A mutant whose text is not found exactly once is reported as `stale` (the code moved: update it).
Tests that need a missing tool are skipped, so run it where `make tools` has run (in CI mode,
CI=1, a missing tool fails the run instead). The subset of each mutant names the test files that
should catch it; files missing in the tree under test are left out (an older checkout has fewer).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COPY = ("obs", "tests", "rules", "collector", "dashboards", "pyproject.toml", "docs", "README.md", "bench")


@dataclass(frozen=True)
class Mutant:
    """One deliberate bug: in `path` (first of the candidate paths that exists), `old` becomes `new`."""

    id: str
    paths: tuple[str, ...]
    old: str
    new: str
    tests: tuple[str, ...]
    why: str


def m(id: str, paths: str | tuple[str, ...], old: str, new: str, tests: tuple[str, ...], why: str) -> Mutant:
    return Mutant(id, (paths,) if isinstance(paths, str) else paths, old, new, tests, why)


# Each subset runs in this order and stops at the first failure: quick, specific tests first.
AM = ("tests/test_alertmanager_crd.py", "tests/test_alertmanager.py", "tests/test_alertmanager_inhibitions.py")
SLO = ("tests/test_renderers.py", "tests/test_slo_rules.py", "tests/test_slo_resolve.py")
SECRETS = ("tests/test_redaction.py", "tests/test_secret_scan.py", "tests/test_hostile_values.py",
           "tests/test_alertmanager.py")
CACHE = ("tests/test_support.py", "tests/test_scale.py")
RENDER = ("tests/test_renderers.py", "tests/test_kustomization.py", "tests/test_manifest_schemas.py")

MUTANTS = (
    # The two deliberate bugs of issue 22.
    m("crd-matchtype-always-eq", "obs/alertmanager/matchers.py",
      '"matchType": self.op}', '"matchType": "="}', AM + RENDER, "AlertmanagerConfig matchers all '='"),
    m("redact-identity", ("obs/secret_patterns.py", "obs/secrets.py"),
      '    """`text` with anything that looks like a credential replaced by <redacted>."""\n',
      '    """`text` with anything that looks like a credential replaced by <redacted>."""\n    return text\n',
      SECRETS, "the redaction net lets everything through"),
    # Alertmanager: matcher semantics and both renderings.
    m("matcher-neq-flipped", "obs/alertmanager/matchers.py",
      'return (value == self.value) == (self.op == "=")', 'return (value == self.value) == (self.op == "!=")',
      AM, "= and != evaluated the other way round"),
    m("matcher-regex-unanchored", "obs/alertmanager/matchers.py",
      "return bool(re.fullmatch(self.value, value))", "return bool(re.search(self.value, value))",
      AM, "regex matchers not anchored as Alertmanager anchors them"),
    m("yaml-matcher-op-dropped", "obs/alertmanager/matchers.py",
      'return f"{self.name}{self.op}{json.dumps(self.value)}"', 'return f"{self.name}={json.dumps(self.value)}"',
      AM + RENDER, "alertmanager.yaml matchers all '='"),
    m("crd-repeat-interval-key", "obs/alertmanager/shape.py",
      '"repeat_interval": "repeatInterval"', '"repeat_interval": "repeat_interval"',
      AM + RENDER, "a field of the AlertmanagerConfig misspelt"),
    m("crd-inhibition-equal-dropped", "obs/alertmanager/crd.py",
      '**({"equal": list(rule.equal)} if rule.equal else {})', '**{}',
      AM + RENDER, "AlertmanagerConfig inhibitions lose their equal labels"),
    m("yaml-inhibition-swapped", "obs/alertmanager/config_file.py",
      'out: dict[str, Any] = {"source_matchers": matchers(rule.source, YAML),\n'
      '                           "target_matchers": matchers(rule.target, YAML)}',
      'out: dict[str, Any] = {"source_matchers": matchers(rule.target, YAML),\n'
      '                           "target_matchers": matchers(rule.source, YAML)}',
      AM + RENDER, "inhibition source and target swapped in alertmanager.yaml"),
    m("route-continue-dropped", "obs/alertmanager/shape.py",
      'if route.continue_ and not root:', 'if False:', AM + RENDER, "continue: true never written"),
    m("route-time-intervals-dropped", "obs/alertmanager/shape.py",
      '        if intervals:\n            out[style.key(name)] = list(intervals)',
      '        if intervals and False:\n            out[style.key(name)] = list(intervals)',
      AM + RENDER, "routes lose their active/mute time intervals"),
    # SLO rules: thresholds, windows, labels.
    m("slo-threshold-ge", "obs/slo/rules.py",
      'f"(({ratio_metric(long_)}{sel} > {limit})\\n"', 'f"(({ratio_metric(long_)}{sel} >= {limit})\\n"',
      SLO, "the long window fires at exactly the threshold"),
    m("slo-short-window-dropped", "obs/slo/rules.py",
      'f"  and ({ratio_metric(short)}{sel} > {limit})")', 'f"  or ({ratio_metric(short)}{sel} > {limit})")',
      SLO, "multi-window alert with or instead of and"),
    m("slo-tolerance-100x", "obs/slo/rules.py",
      'TOLERANCE = Decimal("0.000001")', 'TOLERANCE = Decimal("0.0001")', SLO, "tolerance 100 ppm instead of 1"),
    m("slo-tiles-full-tile", "obs/slo/rules.py",
      "return format_duration(duration_seconds(window) - duration_seconds(TILE) / 2)",
      "return format_duration(duration_seconds(window) - duration_seconds(TILE))",
      SLO, "windows read one tile short"),
    m("slo-severity-swapped", "obs/model/slo.py",
      'SEVERITY_OF = MappingProxyType({"page": "critical", "ticket": "warning"})',
      'SEVERITY_OF = MappingProxyType({"page": "warning", "ticket": "critical"})',
      SLO + AM, "page alerts sent as warnings"),
    m("slo-window-labels-swapped", ("obs/slo/series.py", "obs/slo/proofs.py"),
      "return {LONG_WINDOW: long, SHORT_WINDOW: short}", "return {LONG_WINDOW: short, SHORT_WINDOW: long}",
      SLO, "proofs expect the windows the wrong way round"),
    m("duration-ms-as-s", "obs/model/checks.py",
      "return sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART_RE.findall(value))",
      "return sum(int(n) * _UNIT_SECONDS[u if u != 'ms' else 's'] for n, u in _DURATION_PART_RE.findall(value))",
      ("tests/test_durations.py", "tests/test_model.py") + SLO, "milliseconds counted as seconds"),
    m("promql-by-drops-cluster", "obs/promql.py",
      '    names = [env.cluster_label] + [label for label in labels if label != env.cluster_label]\n'
      '    return f"by ({\', \'.join(names)})"',
      '    names = [label for label in labels if label != env.cluster_label]\n'
      '    return f"by ({\', \'.join(names)})"',
      ("tests/test_rule_packs.py", "tests/test_coherence.py") + RENDER, "aggregations lose the cluster label"),
    # Secrets and redaction.
    m("secrets-url-password-allowed", "obs/secrets.py",
      '        if password.replace("\\0", ""):\n            return "the URL carries a literal password"',
      '        if False:\n            return "the URL carries a literal password"',
      SECRETS, "a password in a URL is accepted"),
    m("redact-url-userinfo-kept", ("obs/secret_patterns.py", "obs/secrets.py"),
      '(re.compile(r"(\\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\\s?#@\'\\"]*@"), r"\\1<redacted>@"),', "",
      SECRETS, "URL credentials not redacted"),
    m("definition-error-fix-unredacted", "obs/errors.py",
      "self.fix = redact(fix)", "self.fix = fix", SECRETS, "a DefinitionError's fix echoes a secret"),
    m("obs-error-unredacted", "obs/errors.py",
      "super().__init__(*(redact(arg) if isinstance(arg, str) else arg for arg in args))",
      "super().__init__(*args)", SECRETS, "tool/OS/user-code errors echo secrets"),
    # The check cache and CI switch.
    m("cache-key-ignores-tool", "obs/validate/cache.py",
      "for part in (kind.encode(), tool_identity.encode(), *contents):", "for part in (kind.encode(), *contents):",
      CACHE, "another promtool version reuses a pass"),
    m("cache-ignores-disable", "obs/validate/cache.py",
      "return enabled() and _entry(entry).is_file()", "return _entry(entry).is_file()",
      CACHE, "--no-cache still served from the cache"),
    m("ci-false-counts", ("obs/tools/env.py",),
      'not in ("", "false", "0")', 'not in ("",)', ("tests/test_support.py", "tests/test_tools.py"),
      "CI=false makes a missing tool an error"),
    # Renderers: a changed operator or field in an output format.
    m("collector-processors-reversed", "obs/collector/config.py",
      '"processors": [x.id for x in p.processors],', '"processors": [x.id for x in reversed(p.processors)],',
      RENDER + ("tests/test_collector_model.py",), "collector pipeline processors reordered"),
    m("loki-index-period", "obs/backends/loki.py",
      '"index": {"prefix": "index_", "period": "24h"}', '"index": {"prefix": "index_", "period": "48h"}',
      RENDER + ("tests/test_loki.py",), "Loki's index period changed"),
    m("tempo-trace-limit-doubled", "obs/backends/tempo.py",
      '"global": {"max_bytes_per_trace": limits.max_bytes_per_trace}',
      '"global": {"max_bytes_per_trace": limits.max_bytes_per_trace * 2}',
      RENDER + ("tests/test_tempo.py",), "a Tempo limit rendered with a wrong value"),
    m("rollout-success-gt", "obs/rollouts.py",
      '"successCondition": f"result[0] >= {threshold(slo)}"', '"successCondition": f"result[0] > {threshold(slo)}"',
      RENDER + ("tests/test_rollouts_monitors.py",), "a canary at exactly the objective fails"),
    m("instrumentation-sampler-dropped", "obs/instrumentation/render.py",
      '        "OTEL_TRACES_SAMPLER": inst.sampler,', '',
      RENDER + ("tests/test_instrumentation.py",), "the SDK env loses its sampler"),
    m("dashboard-schema-version", "obs/grafana/normalize.py",
      'out["schemaVersion"] = SCHEMA_VERSION', 'out["schemaVersion"] = SCHEMA_VERSION - 1',
      RENDER + ("tests/test_dashboard_render.py",), "dashboards written in an older schema"),
)


def applied(mutant: Mutant, root: Path) -> Path | None:
    """Write the mutant into `root`; the file changed, or None when its text is not there exactly once."""
    for rel in mutant.paths:
        path = root / rel
        if path.is_file() and path.read_text().count(mutant.old) == 1:
            path.write_text(path.read_text().replace(mutant.old, mutant.new))
            return path
    return None


def scratch_copy(source: Path, target: Path) -> None:
    for name in COPY:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "build"))
        elif (source / name).is_file():
            shutil.copy2(source / name, target / name)


def run(mutant: Mutant, source: Path, timeout: int) -> tuple[str, float, str]:
    """(killed | survived | stale | no tests, seconds, the failing test or note)."""
    with tempfile.TemporaryDirectory(prefix=f"obs-mutant-{mutant.id}-") as tmp:
        root = Path(tmp)
        scratch_copy(source, root)
        tests = [t for t in mutant.tests if (root / t.split("::")[0]).is_file()]
        if not tests:
            return "no tests", 0.0, ""
        if applied(mutant, root) is None:
            return "stale", 0.0, f"text not found once in {mutant.paths}"
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("OBS_BUNDLE", None)
        began = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                   "--no-header", "-rfE", *dict.fromkeys(tests)], cwd=root, env=env,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "killed", time.monotonic() - began, "timeout"
        seconds = time.monotonic() - began
        if proc.returncode == 0:
            return "survived", seconds, proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        failed = next((line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))), "")
        if not failed:  # e.g. an error at collection: show the end of the output
            failed = f"exit {proc.returncode}: " + " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        return "killed", seconds, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO, help="the tree to mutate and test (default: this repo)")
    parser.add_argument("-k", dest="only", default="", help="only mutants whose id contains this")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per mutant")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    chosen = [mu for mu in MUTANTS if args.only in mu.id]
    if args.list:
        for mu in chosen:
            print(f"{mu.id}: {mu.why}\n    {' '.join(mu.paths)}\n    tests: {' '.join(mu.tests)}")
        return 0
    results = []
    for mu in chosen:
        outcome, seconds, note = run(mu, args.root.resolve(), args.timeout)
        results.append({"id": mu.id, "outcome": outcome, "seconds": round(seconds, 1), "note": note, "why": mu.why})
        print(f"{outcome:9} {mu.id:34} {seconds:6.1f}s  {note}", flush=True)
    counts = {k: sum(r["outcome"] == k for r in results) for k in ("killed", "survived", "stale", "no tests")}
    print("mutation: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    survivors = [r["id"] for r in results if r["outcome"] == "survived"]
    if survivors:
        print("survivors: " + ", ".join(survivors))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
