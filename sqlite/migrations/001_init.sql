-- Steward schema, version 1 (SQLite). PostgreSQL's 001 has the same tables.
-- Every key starts with the tenant id. Personal values appear only as
-- ciphertext (profile, body) or keyed hashes (subject_lookups.hash).
CREATE TABLE steward_meta (
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  index_key BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE tenant_keys (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  version INTEGER NOT NULL,
  wrapped BLOB NOT NULL,
  is_primary INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, version)
) WITHOUT ROWID;
CREATE TABLE api_keys (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  secret_hash BLOB NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE TABLE subjects (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  key_version INTEGER NOT NULL,
  wrapped_key BLOB NOT NULL,
  profile BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX subjects_key_version ON subjects (tenant_id, key_version);
CREATE TABLE subject_lookups (
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  hash BLOB NOT NULL,
  subject_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, kind, hash)
) WITHOUT ROWID;
CREATE INDEX subject_lookups_subject ON subject_lookups (tenant_id, subject_id);
CREATE TABLE subject_tombstones (
  tenant_id TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  receipt_id TEXT NOT NULL,
  erased_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, subject_id)
) WITHOUT ROWID;
CREATE TABLE messages (
  tenant_id TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  id TEXT NOT NULL,
  direction TEXT NOT NULL,
  channel TEXT NOT NULL,
  body BLOB NOT NULL,
  sent_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, subject_id, id)
) WITHOUT ROWID;
CREATE TABLE idempotency_keys (
  tenant_id TEXT NOT NULL,
  key_hash BLOB NOT NULL,
  fingerprint BLOB NOT NULL,
  resource_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key_hash)
) WITHOUT ROWID;
CREATE TABLE audit_log (
  tenant_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  subject_id TEXT NOT NULL,
  entry BLOB NOT NULL,
  hashes BLOB NOT NULL,
  PRIMARY KEY (tenant_id, idx)
) WITHOUT ROWID;
CREATE INDEX audit_log_subject ON audit_log (tenant_id, subject_id, idx) WHERE subject_id <> '';
CREATE TABLE audit_heads (
  tenant_id TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  checkpoint TEXT NOT NULL,
  history_at INTEGER NOT NULL
);
CREATE TABLE audit_checkpoints (
  tenant_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  checkpoint TEXT NOT NULL,
  PRIMARY KEY (tenant_id, size)
) WITHOUT ROWID;
