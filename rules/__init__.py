"""The reference bundle's Prometheus rule packs (and the bundle itself, in rules.bundle)."""
