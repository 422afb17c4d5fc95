"""A folder of team files (teams/<team>.yaml), read at build time: each file gives a team (what it
owns, its receivers), its SLOs (obs's schema, or Sloth and OpenSLO documents as they are) and its
alert overrides. Files are checked against the published JSON Schema (obs.teamfiles.schema) and
then built into the same model a Python bundle builds (obs.Team, obs.SLO), so the same checks
apply; every error names file:line:column.

    TEAM_FILES = TeamFolder("teams")          # one line: read and checked when the bundle loads
    ...teams=[*TEAMS, *TEAM_FILES.teams(env)], slos=[*SLOS, *TEAM_FILES.slos(env)]
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import jsonschema
import yaml

from obs.alertmanager.receivers import Email, PagerDuty, Receiver, SecretRef, Slack, Webhook
from obs.alertmanager.routing import business_hours
from obs.errors import DefinitionError
from obs.labels import TEAM
from obs.model.environment import Environment
from obs.model.slo import PAGE_WINDOWS, SLO, TICKET_WINDOWS, EventsSLI, LatencySLI, RawSLI, SLOAlerting
from obs.model.team import Ownership, Team, TeamReceivers
from obs.slo.importer import ImportOptions
from obs.slo.openslo import OpenSLOImporter
from obs.slo.sloth import SlothImporter
from obs.teamfiles.schema import SCHEMA

Path_ = tuple[Any, ...]


class _Marked:
    """A YAML file's data and the line:column of every node, by path (keys and indexes)."""

    def __init__(self, path: Path) -> None:
        self.file = path
        text = path.read_text(encoding="utf-8")
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            raise DefinitionError(where, "yaml", f"is not valid YAML ({getattr(exc, 'problem', exc)})",
                                  "fix the syntax at that place") from None
        self.marks: dict[Path_, tuple[int, int]] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, at: Path_) -> None:
        self.marks[at] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self.marks[(*at, key.value)] = (key.start_mark.line + 1, key.start_mark.column + 1)
                self._walk(value, (*at, key.value))
                self.marks[(*at, key.value)] = (key.start_mark.line + 1, key.start_mark.column + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*at, index))

    def where(self, at: Path_) -> str:
        """`file:line:column` of the deepest known node on the path."""
        for end in range(len(at), -1, -1):
            if tuple(at[:end]) in self.marks:
                line, column = self.marks[tuple(at[:end])]
                return f"{self.file}:{line}:{column}"
        return str(self.file)


def _field(at: Path_) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(at)) or "(file)"


def _secret(data: Mapping[str, str]) -> SecretRef:
    return SecretRef(data["secret"], data["key"])


def _receiver(data: Mapping[str, Any]) -> Receiver:
    items: list[Any] = []
    if "pagerduty" in data:
        items.append(PagerDuty(_secret(data["pagerduty"]["routing_key"])))
    if "slack" in data:
        items.append(Slack(_secret(data["slack"]["api_url"]), data["slack"]["channel"]))
    if "webhook" in data:
        token = data["webhook"].get("bearer_token")
        items.append(Webhook(data["webhook"]["url"], _secret(token) if token else None))
    if "email" in data:
        items.append(Email(data["email"]["to"], data["email"]["from"], data["email"]["smarthost"]))
    return Receiver(data["name"], items)


def _obs_slo(data: Mapping[str, Any], source: str) -> SLO:
    sli_kind, spec = next(iter(data["sli"].items()))
    if sli_kind == "events":
        sli: Any = EventsSLI(bad=spec["bad"], total=spec["total"])
    elif sli_kind == "raw":
        sli = RawSLI(spec["error_ratio"])
    else:
        sli = LatencySLI(spec["metric"], spec["threshold"], selector=spec.get("selector", ""),
                         **({"buckets": tuple(spec["buckets"])} if "buckets" in spec else {}),
                         **({"by": tuple(spec["by"])} if "by" in spec else {}))
    alerting = SLOAlerting(page_windows=() if data.get("page") is False else PAGE_WINDOWS,
                           ticket_windows=() if data.get("ticket") is False else TICKET_WINDOWS)
    return SLO(service=data["service"], name=data["name"], objective=data["objective"], sli=sli,
               period=data.get("period", "30d"), description=data.get("description", ""),
               labels=data.get("labels", {}), alerting=alerting, asserted_source=source)


@dataclass(frozen=True)
class TeamFile:
    """One checked team file: its raw data and where each node is."""

    path: Path
    marked: _Marked

    @property
    def data(self) -> dict[str, Any]:
        return self.marked.data

    def error(self, at: Path_, exc: DefinitionError) -> DefinitionError:
        """A model error re-raised at the file position of the item it came from."""
        return DefinitionError(f"{self.marked.where(at)} ({exc.definition})", _field(at) + f" -> {exc.field}",
                               exc.problem, exc.fix)

    def overrides(self, env: Environment) -> dict[str, Any]:
        per_env = self.data.get("environments", {}).get(env.name, {})
        return {**self.data.get("alerts", {}), **per_env.get("alerts", {})}

    def team(self, env: Environment) -> Team:
        data = self.data
        try:
            receivers = TeamReceivers(**{kind: _receiver(r) for kind, r in data.get("receivers", {}).items()})
        except DefinitionError as exc:
            raise self.error(("receivers",), exc) from None
        try:
            return Team(data["team"], owns=Ownership(**data.get("owns", {})), receivers=receivers,
                        time_intervals=(business_hours(),) if data.get("business_hours") else (),
                        escalation=_receiver(data["escalation"]) if "escalation" in data else None,
                        overrides=self.overrides(env))
        except DefinitionError as exc:
            raise self.error(("owns",) if "owns" in exc.definition or exc.field in Ownership.__dataclass_fields__
                             else ("team",), exc) from None

    def slos(self, env: Environment) -> list[SLO]:
        """The file's SLOs, each with the team's label; Sloth and OpenSLO documents through obs's importers."""
        out: list[SLO] = []
        source = str(self.path)
        for index, item in enumerate(self.data.get("slos", [])):
            at: Path_ = ("slos", index)
            options = ImportOptions(check_build=False, asserted_source=source)
            try:
                if "sloth" in item:
                    importer: Any = SlothImporter(source, options)
                    found = importer.load([(0, item["sloth"])])
                elif "openslo" in item:
                    importer = OpenSLOImporter(source, options)
                    found = importer.load(list(enumerate(item["openslo"])))
                else:
                    found = [_obs_slo(item, source)]
            except DefinitionError as exc:
                raise self.error(at, exc) from None
            out += found
        return out


def _check(marked: _Marked) -> None:
    """Every schema violation of a file, each at its file:line:column, in one error."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(marked.data), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return
    lines = []
    for error in errors:
        best = jsonschema.exceptions.best_match(error.context) if error.context else error
        at = tuple(best.absolute_path)
        if best.validator == "additionalProperties" and isinstance(best.instance, dict):  # point at the key
            allowed = best.schema.get("properties", {})
            extra = next((k for k in best.instance if k not in allowed), None)
            at = (*at, extra) if extra is not None else at
        lines.append(f"{marked.where(at)}: {_field(at)}: {best.message}")
    raise DefinitionError(str(marked.file), "schema", "does not match the team file schema:\n  " + "\n  ".join(lines),
                          "see docs/team.schema.json (point your editor at it for completion)")


class TeamFolder:
    """Every `*.yaml` file of a folder, checked on construction; `teams(env)` and `slos(env)` are
    the model objects for one environment (overrides under `environments.<env>` apply there)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise DefinitionError(f"team folder {self.folder}", "path", "is not a folder",
                                  "give the folder holding teams/<team>.yaml files")
        self.files: list[TeamFile] = []
        problems = []
        for path in sorted(self.folder.glob("*.yaml")):
            try:
                marked = _Marked(path)
                if not isinstance(marked.data, dict):
                    raise DefinitionError(f"{path}:1:1", "team", "is not a mapping",
                                          "start the file with `team: <name>`")
                _check(marked)
                self.files.append(TeamFile(path, marked))
            except DefinitionError as exc:
                problems.append(str(exc))
        if problems:  # every file's problems in one run
            raise DefinitionError(f"team folder {self.folder}", "files", "\n" + "\n".join(problems),
                                  "fix each file at the line and column given")
        names = [f.data["team"] for f in self.files]
        for file in self.files:
            if file.path.stem != file.data["team"]:
                raise DefinitionError(file.marked.where(("team",)), "team", f"{file.data['team']!r} is in "
                                      f"{file.path.name}", f"name the file {file.data['team']}.yaml")
        if len(set(names)) != len(names):
            raise DefinitionError(f"team folder {self.folder}", "team", "two files define the same team")

    def teams(self, env: Environment) -> list[Team]:
        return [f.team(env) for f in self.files]

    def slos(self, env: Environment) -> list[SLO]:
        """Every file's SLOs, labelled with the file's team (the owner of their alerts)."""
        out = []
        for file in self.files:
            for slo in file.slos(env):
                out.append(slo if slo.labels.get(TEAM) else _with_team(slo, file.data["team"]))
        return out


def _with_team(slo: SLO, team: str) -> SLO:
    """The SLO with `team` among its labels, keeping the notes of the original (whose windows were
    already resolved, so the copy would not see a dropped pair again)."""
    labelled = replace(slo, labels={**slo.labels, TEAM: team})
    object.__setattr__(labelled, "notes", slo.notes)
    return labelled


__all__: Sequence[str] = ("TeamFile", "TeamFolder")
