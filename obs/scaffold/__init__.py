"""`obs new DIR`: a platform team's own repo, ready to build.

Writes pyproject.toml (depending on obs, pointing [tool.obs] at the bundle), a bundle module that
composes the library's packs, dashboards and topologies for two environments, a Makefile, a CI
workflow running `obs build --check` and `obs validate` (and posting `obs diff` on pull requests),
`.gitattributes` folding the regenerated files in reviews, and a README. Nothing is overwritten: the
target folder must be new or empty.
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
}
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}\Z")


def obs_version() -> str:
    try:
        return version("obs")
    except PackageNotFoundError:  # running from a checkout without metadata
        return "0.1.0"


def new_project(target: Path, name: str | None = None, namespace: str | None = None) -> list[Path]:
    """Write the scaffold into `target` (new or empty); returns the files written."""
    name = name or target.resolve().name.lower()
    if not _NAME.match(name):
        raise ObsError(f"obs new: name {name!r} is not a lowercase slug (fix: pass --name, e.g. --name acme)")
    namespace = namespace or name
    if not _NAME.match(namespace):
        raise ObsError(f"obs new: namespace {namespace!r} is not a Kubernetes namespace name "
                       "(fix: pass --namespace, e.g. --namespace acme)")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ObsError(f"obs new: {target} exists and is not a folder (fix: choose a new folder)")
    if target.is_dir() and any(target.iterdir()):
        raise ObsError(f"obs new: {target} is not empty (fix: choose a new or empty folder; obs new overwrites nothing)")
    package = name.replace("-", "_") + "_obs"
    values = {"name": name, "namespace": namespace, "package": package, "obs_version": obs_version()}
    templates = resources.files("obs.scaffold") / "templates"
    written = []
    for template, relative in FILES.items():
        path = target / relative.format(package=package)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template((templates / template).read_text()).substitute(values))
        written.append(path)
    (target / package / "__init__.py").write_text(f'"""The {name} observability bundle (obs)."""\n')
    (target / ".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\n")
    return [*written, target / package / "__init__.py", target / ".gitignore"]
