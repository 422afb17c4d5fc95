"""Label names more than one part of obs writes or reads, defined once."""

TEAM = "team"
"""The owning team of an alert (obs.model.team.Owners): rule labels, routes, inhibitions and
routing proofs all use this name."""
