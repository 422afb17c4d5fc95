"""The `obs` command line: build, validate, test, list."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from obs import pipeline
from obs.errors import DefinitionError, ObsError
from obs.loader import load_bundle, user_code_error
from obs.model.bundle import Bundle
from obs.progress import set_quiet
from obs.validate import cache as check_cache


def _common(parser: argparse.ArgumentParser, out_help: str) -> None:
    parser.add_argument("--bundle", metavar="MODULE:ATTR",
                        help="the bundle to use (default: $OBS_BUNDLE, else [tool.obs] bundle in ./pyproject.toml)")
    parser.add_argument("--env", action="append", metavar="NAME",
                        help="an environment to use (repeatable; default: all)")
    parser.add_argument("--out", type=Path, metavar="DIR", help=out_help)


def _no_cache(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true",
                        help="re-run every check, even those that passed on the same files before")


def _load(args: argparse.Namespace) -> Bundle:
    return load_bundle(args.bundle)


def cmd_build(args: argparse.Namespace) -> int:
    bundle = _load(args)
    out = args.out or Path("build")
    if args.check:
        stale = {env: problems for env, problems in pipeline.check(bundle, out, args.env).items() if problems}
        for env, problems in stale.items():
            print(f"{out / env}: out of date", file=sys.stderr)
            for problem in problems:
                print("  " + problem.replace("\n", "\n  "), file=sys.stderr)
        if stale:
            print("obs: run `obs build` (or `make build`) and commit the result", file=sys.stderr)
            return 1
        print(f"{out}: up to date")
        return 0
    results, report = pipeline.build(bundle, out, args.env, check_with_tools=not args.no_validate)
    for line in report:
        print(line)
    for result in results:
        for issue in result.issues:
            print(f"{result.env.name}: {issue}", file=sys.stderr)
        print(f"wrote {out / result.env.name} ({len(result.files)} files)")
    return 0


def cmd_validate(args: argparse.Namespace, full: bool = True) -> int:
    if args.out is not None:
        bundle = _load(args)
        names = args.env or [e.name for e in bundle.environments]
        report = pipeline.validate_folders([args.out / n for n in names], full=full)
    else:
        results = pipeline.render(_load(args), args.env)
        for result in results:
            for issue in result.issues:
                print(f"{result.env.name}: {issue}", file=sys.stderr)
            print(f"{result.env.name}: {len(result.files)} files rendered, "
                  f"{len(result.errors)} lint errors, {len(result.issues) - len(result.errors)} warnings")
        report = pipeline.validate(results, full=full)
    for line in report:
        print(line)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    return cmd_validate(args, full=True)


def cmd_list(args: argparse.Namespace) -> int:
    bundle = _load(args)
    for env in pipeline.select_environments(bundle, args.env):
        defs = bundle.definitions(env)
        print(f"environment {env.name} (cluster {env.cluster}, namespace {env.namespace})")
        for pack in defs.all_rule_packs():
            print(f"  rule pack {pack.name}")
            for group in pack.groups:
                print(f"    group {group.name}")
                for rule in group.rules:
                    if hasattr(rule, "severity"):
                        print(f"      alert {rule.name} [{rule.severity}, for {rule.for_}, "
                              f"{len(rule.tests)} tests]")
                    else:
                        print(f"      record {rule.name}")
        for slo in defs.slos:
            print(f"  slo {slo.service}/{slo.name} [{slo.objective}% over {slo.period}]")
        for kind, items in (("dashboard", defs.dashboards), ("collector", defs.collectors),
                            ("instrumentation", defs.instrumentation)):
            for item in items:
                print(f"  {kind} {getattr(item, 'name', item)}")
        for backend in ("tempo", "loki"):
            if getattr(defs, backend) is not None:
                print(f"  {backend} config")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from obs.slo.sloth import import_command
    return import_command(args.file, args.out, args.period)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="obs", description="Build an observability bundle from Python definitions.")
    top.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = sub.add_parser("build", help="render every environment to OUT/<env> (atomic, pruned, deterministic)",
                           description="Render the bundle, check it with promtool, and write OUT/<env>/ "
                                       "atomically. Foreign files in the folder are kept.")
    _common(build, "output root; each environment goes to OUT/<env> (default: build)")
    build.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 with a diff when OUT/<env> is out of date")
    build.add_argument("--no-validate", action="store_true", help="skip the promtool check before writing")
    build.set_defaults(func=cmd_build)

    validate = sub.add_parser("validate", help="lint and check everything with the real tools",
                              description="Render in memory (or read OUT/<env> with --out), lint, and run "
                                          "promtool check rules and promtool test rules.")
    _common(validate, "validate the folders already built under OUT instead of rendering afresh")
    _no_cache(validate)
    validate.set_defaults(func=cmd_validate)

    test = sub.add_parser("test", help="run the generated promtool unit tests",
                          description="Render the bundle (or read OUT/<env>) and run the alert unit tests "
                                      "with promtool test rules.")
    _common(test, "test the folders already built under OUT instead of rendering afresh")
    _no_cache(test)
    test.set_defaults(func=cmd_test)

    listing = sub.add_parser("list", help="show what the bundle contains per environment",
                             description="List rule packs, groups, alerts and other definitions.")
    _common(listing, "(unused)")
    listing.set_defaults(func=cmd_list)

    imports = sub.add_parser("import", help="convert specs from other tools into obs Python definitions",
                             description="Convert specs from other tools into a Python module of obs definitions.")
    formats = imports.add_subparsers(dest="format", required=True, metavar="FORMAT")
    sloth = formats.add_parser("sloth", help="Sloth prometheus/v1 specs or PrometheusServiceLevel manifests",
                               description="Read a Sloth spec (version: prometheus/v1) or PrometheusServiceLevel "
                                           "manifest (sloth.slok.dev/v1) and write a module defining SLOS.")
    sloth.add_argument("file", type=Path, metavar="FILE", help="the Sloth YAML file (one or more documents)")
    sloth.add_argument("--out", type=Path, metavar="MODULE.py", help="write the module here (default: stdout)")
    sloth.add_argument("--period", default="30d", help="SLO period, Sloth's --default-slo-period (default: 30d)")
    sloth.set_defaults(func=cmd_import)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    set_quiet(args.quiet)
    if getattr(args, "no_cache", False):
        check_cache.disable()
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ObsError as exc:
        print(f"obs: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `obs list | head`: the reader has gone, nothing to report
        sys.stderr.close()
        return 0
    except Exception as exc:  # an exception from the user's definitions: one line, where it came from
        print(f"obs: error: {user_code_error(exc, 'while building the definitions')}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
