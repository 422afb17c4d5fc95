"""`python -m obs` runs the CLI."""
from obs.cli import run

run()
