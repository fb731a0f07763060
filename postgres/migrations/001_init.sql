-- Steward schema, version 1 (PostgreSQL). SQLite's 001 has the same tables.
-- Every key starts with the tenant id. Personal values appear only as
-- ciphertext (profile, body) or keyed hashes (subject_lookups.hash).
CREATE TABLE steward_meta (
  name TEXT PRIMARY KEY,
  value BYTEA NOT NULL
);
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  index_key BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE tenant_keys (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  version BIGINT NOT NULL,
  wrapped BYTEA NOT NULL,
  is_primary BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, version)
);
CREATE TABLE api_keys (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  secret_hash BYTEA NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT,
  PRIMARY KEY (tenant_id, id)
);
CREATE TABLE subjects (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  key_version BIGINT NOT NULL,
  wrapped_key BYTEA NOT NULL,
  profile BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX subjects_key_version ON subjects (tenant_id, key_version);
CREATE TABLE subject_lookups (
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  hash BYTEA NOT NULL,
  subject_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, kind, hash)
);
CREATE INDEX subject_lookups_subject ON subject_lookups (tenant_id, subject_id);
CREATE TABLE subject_tombstones (
  tenant_id TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  receipt_id TEXT NOT NULL,
  erased_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, subject_id)
);
CREATE TABLE messages (
  tenant_id TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  id TEXT NOT NULL,
  direction TEXT NOT NULL,
  channel TEXT NOT NULL,
  body BYTEA NOT NULL,
  sent_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, subject_id, id)
);
CREATE TABLE idempotency_keys (
  tenant_id TEXT NOT NULL,
  key_hash BYTEA NOT NULL,
  fingerprint BYTEA NOT NULL,
  resource_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, key_hash)
);
CREATE TABLE audit_log (
  tenant_id TEXT NOT NULL,
  idx BIGINT NOT NULL,
  subject_id TEXT NOT NULL,
  entry BYTEA NOT NULL,
  hashes BYTEA NOT NULL,
  PRIMARY KEY (tenant_id, idx)
);
CREATE INDEX audit_log_subject ON audit_log (tenant_id, subject_id, idx) WHERE subject_id <> '';
CREATE TABLE audit_heads (
  tenant_id TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  checkpoint TEXT NOT NULL,
  history_at BIGINT NOT NULL
);
CREATE TABLE audit_checkpoints (
  tenant_id TEXT NOT NULL,
  size BIGINT NOT NULL,
  checkpoint TEXT NOT NULL,
  PRIMARY KEY (tenant_id, size)
);
