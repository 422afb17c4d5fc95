"""`make docs`: pdoc writes an API reference page for every module of obs from its docstrings."""
from __future__ import annotations

import subprocess
import sys

from tests.support import REPO


def test_api_reference_has_a_page_per_module_from_the_docstrings(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "docs" / "api.py"), str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"API reference: {tmp_path / 'index.html'}"
    modules = sorted(p.relative_to(REPO).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
                     for p in (REPO / "obs").rglob("*.py") if p.name != "__main__.py")
    pages = sorted(p.relative_to(tmp_path).with_suffix("").as_posix().replace("/", ".")
                   for p in tmp_path.rglob("*.html") if p.name != "index.html")
    assert pages == modules
    suppress = (tmp_path / "obs" / "model" / "suppress.html").read_text()
    assert "Silence lint rule" in suppress  # the Suppress docstring
    assert "obs tools install" in (tmp_path / "obs" / "tools" / "commands.html").read_text()
