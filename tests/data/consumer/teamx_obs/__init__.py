"""An external team's bundle for the wheel test: obs from an installed wheel, nothing of the repo."""
