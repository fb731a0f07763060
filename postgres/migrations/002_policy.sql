-- Steward schema, version 2 (PostgreSQL): the policy versions each tenant
-- publishes. SQLite's 002 has the same table. Version 0, the operator's
-- built-in default, is never stored. The document is the canonical JSON of
-- the version as published.
CREATE TABLE policy_versions (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  version BIGINT NOT NULL,
  document BYTEA NOT NULL,
  effective_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, version)
);
