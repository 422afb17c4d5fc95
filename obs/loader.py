"""Load a bundle from 'module:attribute', from --bundle, $OBS_BUNDLE or [tool.obs] in pyproject.toml."""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from obs.errors import ObsError
from obs.model.bundle import Bundle


def default_spec(cwd: Path) -> str:
    """The bundle spec when none is given on the command line."""
    if os.environ.get("OBS_BUNDLE"):
        return os.environ["OBS_BUNDLE"]
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        import tomllib  # only without --bundle and $OBS_BUNDLE (obs.lazy)
        spec = tomllib.loads(pyproject.read_text()).get("tool", {}).get("obs", {}).get("bundle")
        if spec:
            return spec
    raise ObsError("no bundle given (fix: pass --bundle package.module:bundle, set OBS_BUNDLE, "
                   "or set bundle = \"...\" under [tool.obs] in pyproject.toml)")


def user_code_error(exc: BaseException, doing: str) -> ObsError:
    """An exception from a user's definitions as one clear line, pointing at their code (for a
    syntax error: the file and line of the error, not the importer's frames)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return ObsError(f"{doing}: {type(exc).__name__}: {exc.msg} at {exc.filename}:{exc.lineno}")
    import traceback  # only when the user's code failed
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/obs/" not in f.filename.replace(os.sep, "/")]
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return ObsError(f"{doing}: {type(exc).__name__}: {exc}{where}")


def load_bundle(spec: str | None, cwd: Path | None = None) -> Bundle:
    """Import the module and return its Bundle (the current folder is importable, like `python -m`)."""
    cwd = cwd or Path.cwd()
    spec = spec or default_spec(cwd)
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ObsError(f"bundle {spec!r} is not 'module:attribute' (fix: e.g. --bundle mypkg.bundle:bundle)")
    if str(cwd) not in sys.path:
        sys.path.insert(0, str(cwd))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ObsError(f"bundle {spec!r}: no module named {exc.name!r} "
                           f"(fix: run from the folder that holds it, or pip install its package)") from None
        raise user_code_error(exc, f"importing bundle {spec!r}") from None
    except ObsError:
        raise
    except Exception as exc:  # the user's module failed: say where, not a traceback
        raise user_code_error(exc, f"importing bundle {spec!r}") from None
    try:
        bundle = getattr(module, attribute)
    except AttributeError:
        raise ObsError(f"bundle {spec!r}: module {module_name!r} has no attribute {attribute!r}") from None
    if not isinstance(bundle, Bundle):
        raise ObsError(f"bundle {spec!r} is a {type(bundle).__name__}, not an obs.Bundle")
    return bundle
