"""`python -m obs.collector`: build (or reuse) the reference otelcol and print its path."""
import sys

from obs.collector.builder import main

sys.exit(main())
