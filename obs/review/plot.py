"""`obs backtest --plot FILE`: the firing episodes of the old and new rules on one timeline (matplotlib,
the optional extra `obs[review]`; SVG or PNG by the file's suffix)."""
from __future__ import annotations

import datetime
from pathlib import Path

from obs.errors import ObsError
from obs.review.backtest import Backtest

SUFFIXES = (".svg", ".png")


def plot(result: Backtest, path: Path) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise ObsError(f"--plot {path}: the suffix must be .svg or .png (fix: e.g. --plot backtest.svg)")
    try:
        import matplotlib
    except ImportError:
        raise ObsError("--plot needs matplotlib (fix: pip install 'obs[review]')") from None
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "obs"  # the same SVG for the same episodes
    from matplotlib import dates, pyplot

    rows = [(f"{a.name} ({name})", side) for a in result.alerts for name, side in (("base", a.base), ("head", a.head))]
    figure, axes = pyplot.subplots(figsize=(11, 0.45 * max(len(rows), 2) + 1.2))
    day = 86400.0
    start, end = result.window.start, result.window.end
    for y, (title, side) in enumerate(reversed(rows)):
        bars = [(dates.date2num(_utc(e.start)), ((e.end if e.end is not None else end) - e.start) / day)
                for e in side.episodes]
        colour = "tab:red" if title.endswith("(head)") else "tab:blue"
        axes.broken_barh(bars, (y - 0.35, 0.7), facecolors=colour, edgecolors=colour, linewidth=1.5)
    axes.set_yticks(range(len(rows)), [title for title, _ in reversed(rows)])
    axes.set_xlim(dates.date2num(_utc(start)), dates.date2num(_utc(end)))
    axes.xaxis.set_major_formatter(dates.DateFormatter("%m-%d %H:%M"))
    axes.set_title(f"obs backtest {result.scope}: base {result.base_label} (blue), head {result.head_label} (red)")
    axes.grid(axis="x", alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, metadata={"Date": None} if path.suffix.lower() == ".svg" else {})
    pyplot.close(figure)


def _utc(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
