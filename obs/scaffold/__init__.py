"""`obs new DIR`: a platform team's own repo, ready to build.

Writes pyproject.toml (depending on obs, pointing [tool.obs] at the bundle), a bundle module that
composes the library's packs, dashboards and topologies for two environments, a Makefile, a CI
workflow running `obs build --check` and `obs validate` (and posting `obs diff` on pull requests),
`.gitattributes` folding the regenerated files in reviews, a README, and teams/analytics.yaml (a
team defined in YAML). It works in an existing repository: it refuses, naming them, only the files
it would overwrite, and writes nothing then; a .gitignore is extended, not replaced.
"""
from __future__ import annotations

import re
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from string import Template

from obs.errors import ObsError

# Template -> path in the new repo ({package} is the bundle's Python package).
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "bundle.py.tmpl": "{package}/bundle.py",
    "Makefile.tmpl": "Makefile",
    "ci.yml.tmpl": ".github/workflows/obs.yml",
    "README.md.tmpl": "README.md",
    "gitattributes.tmpl": ".gitattributes",
    "team.yaml.tmpl": "teams/analytics.yaml",
}
GITIGNORE = (".venv/", "__pycache__/", "*.egg-info/")
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}\Z")


def obs_version() -> str:
    try:
        return version("obs")
    except PackageNotFoundError:  # running from a checkout without metadata
        return "0.1.0"


def new_project(target: Path, name: str | None = None, namespace: str | None = None) -> list[Path]:
    """Write the scaffold into `target` (new, empty or an existing repository without these
    files); returns the files written."""
    name = name or target.resolve().name.lower()
    if not _NAME.match(name):
        raise ObsError(f"obs new: name {name!r} is not a lowercase slug (fix: pass --name, e.g. --name acme)")
    namespace = namespace or name
    if not _NAME.match(namespace):
        raise ObsError(f"obs new: namespace {namespace!r} is not a Kubernetes namespace name "
                       "(fix: pass --namespace, e.g. --namespace acme)")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ObsError(f"obs new: {target} exists and is not a folder (fix: choose a new folder)")
    package = name.replace("-", "_") + "_obs"
    values = {"name": name, "namespace": namespace, "package": package, "obs_version": obs_version()}
    paths = [target / relative.format(package=package) for relative in FILES.values()]
    paths.append(target / package / "__init__.py")
    ignore = target / ".gitignore"
    taken = [p for p in (*paths, *([ignore] if ignore.is_symlink() else [])) if p.exists() or p.is_symlink()]
    if taken:
        raise ObsError(f"obs new: {target} already has {', '.join(str(p.relative_to(target)) for p in taken)} "
                       "(fix: move these files away, or pass another --name for the bundle package; obs new "
                       "overwrites nothing and wrote nothing)")
    templates = resources.files("obs.scaffold") / "templates"
    written = []
    for template, path in zip(FILES, paths, strict=False):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template((templates / template).read_text()).substitute(values))
        written.append(path)
    paths[-1].write_text(f'"""The {name} observability bundle (obs)."""\n')
    text = ignore.read_text() if ignore.exists() else ""
    missing = [line for line in GITIGNORE if line not in text.splitlines()]
    if missing:  # extended, never replaced
        with ignore.open("a") as out:
            out.write(("\n" if text and not text.endswith("\n") else "") + "\n".join(missing) + "\n")
    return [*written, paths[-1], ignore]
