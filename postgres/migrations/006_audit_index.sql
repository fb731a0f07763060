-- Steward schema, version 6 (PostgreSQL): the audit log's index by subject
-- becomes log-structured (see sqlstore/auditindex.go). SQLite's 006 has
-- the same tables. A run is a sorted set of 16-byte keys (a hash of the
-- subject id, then the entry's index) stored in chunks; audit_runs says
-- which runs queries read. No personal value is stored: subject ids are
-- hashed, and the entries themselves stay in audit_log.
CREATE TABLE audit_runs (
  tenant_id TEXT NOT NULL,
  run BIGINT NOT NULL,
  level BIGINT NOT NULL,
  state BIGINT NOT NULL,
  inputs TEXT NOT NULL,
  progress BYTEA NOT NULL,
  PRIMARY KEY (tenant_id, run)
);
CREATE TABLE audit_index_chunks (
  tenant_id TEXT NOT NULL,
  run BIGINT NOT NULL,
  first_key BYTEA NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (tenant_id, run, first_key)
);
DROP INDEX audit_log_subject;
