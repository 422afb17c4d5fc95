"""Write the API reference of the `obs` package as HTML, generated from its docstrings with pdoc.

    python docs/api.py [OUT]        (default OUT: docs/api; `make docs` runs this)

The HTML is generated, not committed (docs/api is in .gitignore)."""
from __future__ import annotations

import pkgutil
import sys
import warnings
from pathlib import Path

import pdoc

import obs


def modules() -> list[str]:
    """Every module of the package (a package's `__all__` would hide its submodules from pdoc),
    without the `python -m` entry points: they run on import."""
    names = ["obs"] + [m.name for m in pkgutil.walk_packages(obs.__path__, "obs.")]
    return sorted(name for name in names if not name.endswith("__main__"))


def write(out: Path) -> Path:
    """Render the reference into `out`; returns the index page."""
    pdoc.render.configure(docformat="markdown", footer_text="obs API reference", search=True)
    with warnings.catch_warnings():
        # Listing every module makes pdoc meet some twice (one page each all the same).
        warnings.filterwarnings("ignore", message="The module specification", category=UserWarning)
        pdoc.pdoc(*modules(), output_directory=out)
    return out / "index.html"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "api"
    print(f"API reference: {write(target)}")
