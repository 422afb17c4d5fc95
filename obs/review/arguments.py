"""The options of `obs diff` and `obs backtest` (argparse only: the CLI stays quick to start)."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_diff(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """`obs diff` and its options."""
    review = sub.add_parser("diff", help="what a change means for the people on call, per environment",
                            description="Compare two builds semantically: alerts (expression, threshold, for, "
                                        "labels, annotations) and the receivers each reaches, SLOs, dashboards, "
                                        "collector pipelines, Kubernetes resources. BASE and HEAD are git refs "
                                        "(built into a temporary folder) or folders `obs build` wrote; default: "
                                        "HEAD against the working tree. See docs/review.md.")
    review.add_argument("base", nargs="?", metavar="BASE", help="git ref or built folder (default: HEAD)")
    review.add_argument("head", nargs="?", metavar="HEAD", help="git ref or built folder (default: the working tree)")
    review.add_argument("--bundle", metavar="MODULE:ATTR", help="the bundle to build at each ref (default: as obs build)")
    review.add_argument("--env", action="append", metavar="NAME", help="only this environment (repeatable)")
    review.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                        help="text (default), markdown (a pull request comment) or json")
    review.add_argument("--exit-code", action="store_true", help="exit 1 when anything changed")
    return review


def add_backtest(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """`obs backtest` and its options."""
    replay = sub.add_parser("backtest", help="replay changed alerts over history: old and new side by side",
                            description="Replay the alerting rules that differ between --base and --head (or those "
                                        "named with --rule) over a range of history through the Prometheus HTTP API, "
                                        "with Prometheus' alert state machine: firing episodes, time firing and pages "
                                        "per week, old and new; for changed SLOs the budget the range consumed under "
                                        "each objective. Credentials: $OBS_PROMETHEUS_TOKEN or --bearer-token-file, "
                                        "$OBS_PROMETHEUS_USER/$OBS_PROMETHEUS_PASSWORD or --basic-auth-file.")
    replay.add_argument("--prometheus", required=True, metavar="URL", help="the Prometheus API root of the environment")
    replay.add_argument("--range", default="7d", metavar="DURATION", help="how far back (default: 7d)")
    replay.add_argument("--end", metavar="TIME", help="end of the range, RFC 3339 or Unix seconds (default: now)")
    replay.add_argument("--step", metavar="DURATION",
                        help="evaluate every DURATION instead of each rule group's interval (coarser: cheaper)")
    replay.add_argument("--eval-interval", default="1m", metavar="DURATION",
                        help="the interval of rule groups that set none (Prometheus' global default: 1m)")
    replay.add_argument("--base", metavar="REF|DIR", help="the old rules: git ref or built folder (default: HEAD)")
    replay.add_argument("--head", metavar="REF|DIR", help="the new rules (default: the working tree)")
    replay.add_argument("--rule", action="append", metavar="NAME", help="replay this alert or SLO (repeatable)")
    replay.add_argument("--env", metavar="NAME", help="the environment (or ENV/clusters/CLUSTER) the Prometheus serves")
    replay.add_argument("--bundle", metavar="MODULE:ATTR", help="the bundle to build at each ref")
    replay.add_argument("--format", choices=("text", "json"), default="text")
    replay.add_argument("--plot", type=Path, metavar="FILE", help="draw the episodes (FILE.svg or FILE.png)")
    replay.add_argument("--bearer-token-file", type=Path, metavar="FILE")
    replay.add_argument("--basic-auth-file", type=Path, metavar="FILE", help="one line: user:password")
    replay.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS", help="per request (default: 120)")
    replay.add_argument("--max-series", type=int, default=2000, metavar="N",
                        help="refuse a rule whose expression returns more series (default: 2000)")
    return replay
