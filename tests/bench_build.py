"""`make bench`: time and memory of rendering and writing the reference bundle, against targets.

Not collected by pytest (speed targets don't belong in tests). Exits 1 when a target is missed.
"""
from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from obs.model.bundle import Bundle  # noqa: E402
from obs.output import write_tree  # noqa: E402
from obs.pipeline import render  # noqa: E402

RUNS = 5
TARGET_RENDER_SECONDS = 2.0   # all environments, model + renderers + lint, no tools
TARGET_WRITE_SECONDS = 1.0    # atomic write of all environments
TARGET_PEAK_RSS_MIB = 400


def fresh_bundle() -> Bundle:
    """A new Bundle object each run, so cached definitions don't flatter the figure."""
    from rules.bundle import bundle
    return Bundle(bundle.name, bundle.environments, bundle.define)


def main() -> int:
    render_times, write_times = [], []
    with tempfile.TemporaryDirectory(prefix="obs-bench-") as tmp:
        for _ in range(RUNS):
            start = time.perf_counter()
            results = render(fresh_bundle())
            render_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            for result in results:
                write_tree(Path(tmp) / result.env.name, result.files)
            write_times.append(time.perf_counter() - start)
    files = sum(len(r.files) for r in results)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    render_s, write_s = statistics.median(render_times), statistics.median(write_times)
    print(f"reference bundle: {len(results)} environments, {files} files")
    print(f"render (median of {RUNS}): {render_s:.3f}s (target {TARGET_RENDER_SECONDS}s)")
    print(f"write  (median of {RUNS}): {write_s:.3f}s (target {TARGET_WRITE_SECONDS}s)")
    print(f"peak RSS: {peak_mib:.0f} MiB (target {TARGET_PEAK_RSS_MIB} MiB)")
    missed = render_s > TARGET_RENDER_SECONDS or write_s > TARGET_WRITE_SECONDS or peak_mib > TARGET_PEAK_RSS_MIB
    print("bench: a target was missed" if missed else "bench: all targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
