"""Errors obs raises for bad definitions and failed validations."""
from __future__ import annotations


class ObsError(Exception):
    """Base class: every error obs reports to a user (the CLI prints these without a traceback)."""


class DefinitionError(ObsError):
    """A definition is invalid: says which definition, which field, what is wrong and the fix."""

    def __init__(self, definition: str, field: str, problem: str, fix: str = "") -> None:
        self.definition = definition
        self.field = field
        self.problem = problem
        self.fix = fix
        text = f"{definition}: field '{field}': {problem}"
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)


class ValidationError(ObsError):
    """A generated artifact failed a check (structural or a real tool such as promtool)."""


class ToolMissingError(ObsError):
    """A required external binary (promtool, otelcol) is not installed."""
