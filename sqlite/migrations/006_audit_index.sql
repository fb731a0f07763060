-- Steward schema, version 6 (SQLite): the audit log's index by subject
-- becomes log-structured (see sqlstore/auditindex.go). PostgreSQL's 006 has
-- the same tables. A run is a sorted set of 16-byte keys (a hash of the
-- subject id, then the entry's index) stored in chunks; audit_runs says
-- which runs queries read. No personal value is stored: subject ids are
-- hashed, and the entries themselves stay in audit_log.
CREATE TABLE audit_runs (
  tenant_id TEXT NOT NULL,
  run INTEGER NOT NULL,
  level INTEGER NOT NULL,
  state INTEGER NOT NULL,
  inputs TEXT NOT NULL,
  progress BLOB NOT NULL,
  PRIMARY KEY (tenant_id, run)
) WITHOUT ROWID;
CREATE TABLE audit_index_chunks (
  tenant_id TEXT NOT NULL,
  run INTEGER NOT NULL,
  first_key BLOB NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (tenant_id, run, first_key)
) WITHOUT ROWID;
DROP INDEX audit_log_subject;
