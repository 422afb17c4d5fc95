"""The `obs` command line: build, validate, test, list."""
from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Sequence

from obs import pipeline
from obs.errors import DefinitionError, ObsError, os_error
from obs.loader import default_spec, load_bundle, user_code_error
from obs.model.bundle import Bundle
from obs.progress import set_quiet
from obs.review.arguments import add_backtest, add_diff
from obs.validate import cache as check_cache

if TYPE_CHECKING:
    from obs.tools.registry import Needs


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
        stale = {env: problems for env, problems in pipeline.check(bundle, out, args.env, args.jobs).items()
                 if problems}
        for env, problems in stale.items():
            print(f"{out / env}: out of date", file=sys.stderr)
            for problem in problems:
                print("  " + problem.replace("\n", "\n  "), file=sys.stderr)
        orphans = pipeline.find_orphans(bundle, out)
        for orphan in orphans:
            print(orphan, file=sys.stderr)
        if stale or orphans:
            command = "`obs build --prune`" if orphans else "`obs build` (or `make build`)"
            print(f"obs: run {command} and commit the result", file=sys.stderr)
            return 1
        print(f"{out}: up to date")
        return 0
    results, report = pipeline.build(bundle, out, args.env, check_with_tools=not args.no_validate,
                                     otelcol=not args.no_otelcol, jobs=args.jobs, prune=args.prune)
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
        report = pipeline.validate_folders([args.out / n for n in names], full=full, otelcol=not args.no_otelcol)
    else:
        results = pipeline.render(_load(args), args.env, args.jobs)
        for result in results:
            for issue in result.issues:
                print(f"{result.env.name}: {issue}", file=sys.stderr)
            print(f"{result.env.name}: {len(result.files)} files rendered, "
                  f"{len(result.errors)} lint errors, {len(result.issues) - len(result.errors)} warnings")
        report = pipeline.validate(results, full=full, otelcol=not args.no_otelcol)
    for line in report:
        print(line)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    return cmd_validate(args, full=True)


def cmd_list(args: argparse.Namespace) -> int:
    from obs.catalogue import RENDER, catalogue
    bundle = _load(args)
    sys.stdout.write(RENDER[args.format](catalogue(bundle, pipeline.select_environments(bundle, args.env))))
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from obs.params import RENDER, parameters
    bundle = _load(args)
    sys.stdout.write(RENDER[args.format](parameters(bundle, pipeline.select_environments(bundle, args.env))))
    return 0


def cmd_team_schema(args: argparse.Namespace) -> int:
    from obs.teamfiles import schema_text
    sys.stdout.write(schema_text())
    return 0


def _tool_needs(args: argparse.Namespace) -> "Needs":
    """What validation needs: the bundle's collector components, or every component (--all-components,
    or no bundle configured here)."""
    from obs.tools.commands import bundle_needs, reference_needs
    if args.all_components:
        return reference_needs()
    spec = args.bundle
    if spec is None:
        try:
            spec = default_spec(Path.cwd())
        except ObsError:  # not in a bundle's repo: the collector with every component
            return reference_needs()
    return bundle_needs(load_bundle(spec))


def cmd_tools(args: argparse.Namespace) -> int:
    from obs.tools import commands
    needs = _tool_needs(args)
    if args.action != "install":
        return commands.show(needs)
    optional = [name for name, wanted in (("promtool3", args.with_promtool3), ("jaeger", args.with_jaeger),
                                          ("thanos", args.with_thanos)) if wanted]
    tools = commands.selected_tools(args.names, optional, needs)
    return commands.install(tools, needs, apt=not args.no_apt)


def _tool_options(parser: argparse.ArgumentParser, inherited: bool = False) -> None:
    """--bundle and --all-components, accepted before or after `install` (`inherited`: keep the value
    given before)."""
    default: dict[str, Any] = {"default": argparse.SUPPRESS} if inherited else {}
    parser.add_argument("--bundle", metavar="MODULE:ATTR", **default,
                        help="the bundle whose validation needs the tools (default: $OBS_BUNDLE, else [tool.obs] "
                             "bundle in ./pyproject.toml, else none: otelcol with every component)")
    parser.add_argument("--all-components", action="store_true", **default,
                        help="otelcol with every component obs knows, not only those the bundle uses")


def cmd_import(args: argparse.Namespace) -> int:
    from obs.slo.formats import import_command
    from obs.slo.importer import ImportOptions
    files = list(args.files)
    if files and str(files[0]) in ("sloth", "openslo") and not files[0].exists():
        files = files[1:]  # `obs import sloth FILE`: the format word is optional, formats are recognised
    if not files:
        raise DefinitionError("obs import", "FILE", "no file given", "give one or more Sloth or OpenSLO YAML files")
    options = ImportOptions(period=args.period, scale_windows=args.scale_windows, allow_dropped=args.allow_dropped,
                            sloth_labels=args.sloth_labels, cluster_label=args.cluster_label,
                            scrape_interval=args.scrape_interval)
    return import_command(files, args.out, options, args.windows or ())


def cmd_diff(args: argparse.Namespace) -> int:
    from obs.review.commands import diff
    rendered, report = diff(args.base, args.head, args.format, args.bundle, args.env)
    sys.stdout.write(rendered)
    return 1 if args.exit_code and report.changed else 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from obs.review.commands import BacktestOptions, backtest
    fields = {k: v for k, v in vars(args).items() if k in BacktestOptions.__dataclass_fields__ and v is not None}
    sys.stdout.write(backtest(BacktestOptions(**fields, rules=args.rule or (), fmt=args.format)))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from obs.scaffold import new_project
    for path in new_project(args.dir, args.name, args.namespace):
        print(f"wrote {path}")
    print(f"next: cd {args.dir} && make tools && make build   (make sets up .venv itself)")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="obs", description="Build an observability bundle from Python definitions.")
    top.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = sub.add_parser("build", help="render every environment to OUT/<env> (atomic, pruned, deterministic)",
                           description="Render the bundle, check it with promtool, and write OUT/<env>/ "
                                       "atomically. Foreign files in the folder are kept.")
    _common(build, "output root; each environment goes to OUT/<env> (default: build)")
    mode = build.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 with a diff when OUT/<env> is out of date or a folder obs wrote "
                           "is no environment's now")
    mode.add_argument("--prune", action="store_true",
                      help="also remove obs's files from folders it wrote that no environment produces now "
                           "(e.g. after a rename); only what its manifest lists, never foreign files")
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
    for command in (build, validate, test):
        command.add_argument("-j", "--jobs", type=int, metavar="N", default=None,
                             help="environments rendered side by side, in N processes (default: $OBS_JOBS, else "
                                  "one per core); the output is the same")
        command.add_argument("--no-otelcol", action="store_true",
                             help="do not validate collector configs with otelcol (otherwise a missing otelcol "
                                  "is an error; `obs tools install` builds it)")

    listing = sub.add_parser("list", help="the catalogue: alerts, SLOs, dashboards per environment",
                             description="The bundle's catalogue per environment, for review and docs: rule "
                                         "packs and alerts (severity, for, summary, runbook, dashboard), SLOs, "
                                         "dashboards, collectors, and every lint suppression with its reason.")
    _common(listing, "(unused)")
    listing.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                         help="text (default), json (for tools) or markdown (for docs and reviews)")
    listing.set_defaults(func=cmd_list)

    params = sub.add_parser("params", help="every override key: the definition reading it, default, range, values",
                            description="Every key Environment.overrides may set: the definition that reads it, "
                                        "its default, the range it declares and each environment's value. "
                                        "Overrides no definition reads are listed last.")
    _common(params, "(unused)")
    params.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="text (default), json (for tools) or markdown (for docs and reviews)")
    params.set_defaults(func=cmd_params)

    team_schema = sub.add_parser("team-schema", help="print the JSON Schema of teams/<team>.yaml files",
                                 description="The JSON Schema team files are checked against (also "
                                             "docs/team.schema.json): save it next to your teams/ folder and point "
                                             "your editor at it (# yaml-language-server: $schema=...).")
    team_schema.set_defaults(func=cmd_team_schema)

    tools = sub.add_parser("tools", help="show the tools validation uses: present or missing, version, path",
                           description="Show each external tool obs validates with (promtool, otelcol, amtool, "
                                       "promtool3): present or missing, its version and path, and how to get it. "
                                       "Exit 1 when a tool validation needs is missing. `obs tools install` "
                                       "gets the missing ones into the cache (~/.cache/obs, $OBS_CACHE_DIR).")
    _tool_options(tools)
    tools.set_defaults(func=cmd_tools, action=None)
    actions = tools.add_subparsers(dest="action", metavar="ACTION")
    install = actions.add_parser(
        "install", help="install the missing tools validation needs into the cache",
        description="Install what validation needs and is missing: promtool and amtool (Debian packages "
                    "where apt-get runs as root, else `go install` into the cache), and otelcol built with the "
                    "collector builder from the bundle's own collector components (~10 minutes the first "
                    "time, then cached). Progress goes to stderr; one 'tool version: path' line per tool "
                    "to stdout.")
    install.add_argument("names", nargs="*", metavar="TOOL",
                         help="install only these (promtool, otelcol, amtool, promtool3, jaeger, thanos, vmalert, "
                              "vmalert-tool, kustomize); default: all needed")
    install.add_argument("--with-promtool3", action="store_true",
                         help="also a Prometheus 3 promtool (go install), to prove rules load on 2.x and 3.x")
    install.add_argument("--with-jaeger", action="store_true",
                         help="also Jaeger v2 (go get -tool, ~10 min), to run the generated Jaeger configs")
    install.add_argument("--with-thanos", action="store_true",
                         help="also Thanos (built through a wrapper module, ~5 min), for the fleet end-to-end tests")
    install.add_argument("--no-apt", action="store_true",
                         help="never use apt-get: build promtool and amtool with `go install` into the cache")
    _tool_options(install, inherited=True)

    from obs.slo.formats import FORMATS_HELP
    imports = sub.add_parser("import", help="convert Sloth and OpenSLO specs into obs Python definitions",
                             description="Read Sloth and OpenSLO SLO specs and write a Python module defining "
                                         "SLOS, to own and edit from then on.",
                             epilog=FORMATS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    imports.add_argument("files", type=Path, nargs="+", metavar="FILE",
                         help="YAML files, one or more documents each (a leading `sloth` or `openslo` is accepted)")
    imports.add_argument("--out", type=Path, metavar="MODULE.py", help="write the module here (default: stdout)")
    imports.add_argument("--period", default="30d",
                         help="SLO period where the spec sets none, Sloth's --default-slo-period (default: 30d)")
    imports.add_argument("--windows", type=Path, action="append", metavar="PATH",
                         help="Sloth AlertWindows spec file or folder (Sloth's --slo-period-windows-path); repeatable")
    imports.add_argument("--scale-windows", action="store_true",
                         help="scale Google's 30d windows to a period that has no windows (same budget shares)")
    imports.add_argument("--allow-dropped", action="store_true",
                         help="import what obs can reproduce and list the rest in the module's DROPPED")
    imports.add_argument("--sloth-labels", action="store_true",
                         help="also write Sloth's labels (sloth_id, sloth_service, sloth_slo, sloth_severity) and "
                              "sloth_slo_info, so Sloth's Grafana dashboards work unchanged")
    imports.add_argument("--cluster-label", default="cluster", metavar="LABEL",
                         help="the label that tells clusters apart; every SLI aggregation keeps it (default: cluster)")
    imports.add_argument("--scrape-interval", default="30s", metavar="DURATION",
                         help="the longest scrape interval of the SLI series, at most 1m (default: 30s)")
    imports.set_defaults(func=cmd_import)
    add_diff(sub).set_defaults(func=cmd_diff)
    add_backtest(sub).set_defaults(func=cmd_backtest)
    new = sub.add_parser("new", help="start a platform team's own bundle repo in DIR",
                         description="Write a repo into DIR (new, empty or an existing repository): pyproject.toml "
                                     "depending on obs, a bundle module with two product teams (one in "
                                     "teams/analytics.yaml) and the platform team, using obs.packs, obs.dashboards "
                                     "and obs.topologies for two environments, a Makefile (no activated venv "
                                     "needed), a CI workflow and a README. Refuses, naming them, only files it "
                                     "would overwrite. `obs build` passes at once.")
    new.add_argument("dir", type=Path, metavar="DIR", help="the folder to create or an existing repository")
    new.add_argument("--name", help="the team or system name (default: DIR's name)")
    new.add_argument("--namespace", help="the Kubernetes namespace of its workloads (default: the name)")
    new.set_defaults(func=cmd_new)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    # A build makes millions of long-lived objects and few reference cycles: with the default
    # thresholds the cycle collector re-scans them all the time (~15% of a 1,000-service build).
    gc.set_threshold(50_000, 20, 100)
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
    except KeyboardInterrupt:  # Ctrl-C: one line, the shell's exit status for SIGINT, no traceback
        print(f"obs: interrupted (obs {args.command} stopped)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `obs list | head`: the reader has gone, nothing to report
        sys.stderr.close()
        return 0
    except OSError as exc:  # full disk, read-only file system, a file where a folder belongs
        print(f"obs: error: {os_error(exc, f'obs {args.command}')}", file=sys.stderr)
        return 2
    except Exception as exc:  # an exception from the user's definitions: one line, where it came from
        print(f"obs: error: {user_code_error(exc, 'while building the definitions')}", file=sys.stderr)
        return 2


def run() -> NoReturn:
    """The `obs` command: `main()`, then exit without tearing the interpreter down object by object.
    A build holds millions of objects (definitions, rules, caches) that the operating system takes
    back at once; freeing each first costs ~0.25 s at 1,000 services. Exit handlers run and
    output is flushed first, as at a normal exit."""
    code = main()
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None and not stream.closed:  # None: started without that stream
                stream.flush()
    except OSError:  # e.g. the reader of a pipe has gone: exit the usual way, which reports it as usual
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":
    run()
