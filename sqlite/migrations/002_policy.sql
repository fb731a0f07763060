-- Steward schema, version 2 (SQLite): the policy versions each tenant
-- publishes. PostgreSQL's 002 has the same table. Version 0, the operator's
-- built-in default, is never stored. The document is the canonical JSON of
-- the version as published.
CREATE TABLE policy_versions (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  version INTEGER NOT NULL,
  document BLOB NOT NULL,
  effective_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, version)
) WITHOUT ROWID;
