"""The reference bundle (rules.bundle) and its environments; the packs themselves are obs.packs."""
