"""Team files: teams that write no Python define their team, SLOs and alert overrides in
teams/<team>.yaml (schema: obs.teamfiles.schema, published as docs/team.schema.json)."""
from obs.teamfiles.folder import TeamFile, TeamFolder
from obs.teamfiles.schema import SCHEMA, schema_text

__all__ = ["SCHEMA", "TeamFile", "TeamFolder", "schema_text"]
