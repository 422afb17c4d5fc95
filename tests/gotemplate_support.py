"""Go's own template parser, through `amtool template render`: what the template tests compare obs's
check with (tests/test_hostile_targets.py, tests/test_properties_values.py)."""
from __future__ import annotations

import functools
import subprocess
from pathlib import Path


def go_refuses(amtool_bin: Path, folder: Path, text: str) -> bool:
    """Whether Go's template parser in amtool refuses `text` (an error while executing is not a refusal)."""
    (folder / "empty.tmpl").write_text("")
    result = subprocess.run([str(amtool_bin), "template", "render", f"--template.glob={folder}/empty.tmpl",
                             f"--template.text={text}"], capture_output=True, text=True, timeout=30)
    return result.returncode != 0 and "executing" not in result.stderr


@functools.lru_cache(maxsize=None)
def amtool_is_025(amtool_bin: Path) -> bool:
    """obs checks against Alertmanager 0.25's functions (the oldest it supports): with that amtool the
    two must agree exactly; a newer amtool (more functions, newer Go) must accept all obs accepts."""
    version = subprocess.run([str(amtool_bin), "--version"], capture_output=True, text=True).stdout
    return "version 0.25." in version
