"""`python -m obs` runs the CLI."""
import sys

from obs.cli import main

sys.exit(main())
