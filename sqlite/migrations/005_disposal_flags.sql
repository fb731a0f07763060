-- Steward schema, version 5 (SQLite): disposal flags. PostgreSQL's 005 has
-- the same table. One row per data category a published policy version
-- drops: data already stored in it is not deleted, only flagged for
-- disposal by retention. dropped_in_version is the version that drops it,
-- effective_at when that version takes effect; resolved_at stays NULL until
-- the flag is resolved. It holds a category key and times only.
CREATE TABLE disposal_flags (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  category TEXT NOT NULL,
  dropped_in_version INTEGER NOT NULL,
  effective_at INTEGER NOT NULL,
  flagged_at INTEGER NOT NULL,
  resolved_at INTEGER,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE INDEX disposal_flags_flagged ON disposal_flags (tenant_id, flagged_at, id);
