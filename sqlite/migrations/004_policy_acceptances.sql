-- Steward schema, version 4 (SQLite): policy acceptances. PostgreSQL's 004
-- has the same table. One row per acceptance of a policy version by a
-- subject; it holds ids, a version number and a source key only. The index
-- finds a subject's latest acceptance, and every subject's, quickly.
CREATE TABLE policy_acceptances (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  accepted_at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE INDEX policy_acceptances_subject ON policy_acceptances (tenant_id, subject_id, accepted_at, id);
