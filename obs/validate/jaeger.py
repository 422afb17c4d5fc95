"""Validate generated Jaeger v2 configs with the real Jaeger binary (`jaeger validate`, the collector's
own check: every component and extension is created from the config, nothing is started)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Sequence

from obs.errors import ValidationError
from obs.render.jaeger import CONFIG_FILE
from obs.tools import find
from obs.validate.otelcol import placeholder_env


def config_files(folders: Sequence[Path]) -> list[Path]:
    """Every jaeger/jaeger.yaml written."""
    return [folder / CONFIG_FILE for folder in folders if (folder / CONFIG_FILE).is_file()]


def validate_file(path: Path, binary: Path) -> str:
    """'' if `jaeger validate` accepts the config, else its output."""
    proc = subprocess.run([str(binary), "validate", f"--config=file:{path}"], capture_output=True, text=True,
                          env={**os.environ, **placeholder_env(path.read_text())}, timeout=120)
    return "" if proc.returncode == 0 else (proc.stdout + proc.stderr).strip()


def check_configs(folders: Sequence[Path]) -> str:
    """`jaeger validate` on every Jaeger config (the tool is looked for only when there is one)."""
    files = config_files(folders)
    if not files:
        return "jaeger validate: no Jaeger configs"
    binary = find.jaeger()
    failures = [f"{path}: {out}" for path in files if (out := validate_file(path, binary))]
    if failures:
        raise ValidationError("jaeger validate failed:\n" + "\n".join(failures))
    return f"jaeger validate: {len(files)} Jaeger configs OK"
