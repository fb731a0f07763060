-- Steward schema, version 3 (SQLite): the disclosure ledger. PostgreSQL's
-- 003 has the same table. One row per subject and disclosure; a request
-- that records several subjects at once shares one batch_id, which is what
-- an Idempotency-Key replays. The ledger holds ids and policy keys only;
-- the legal reference, which may identify a person, is sealed with the
-- subject's data key, so erasing the subject shreds it.
CREATE TABLE disclosures (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  batch_id TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  recipient_kind TEXT NOT NULL,
  purpose TEXT NOT NULL,
  categories TEXT NOT NULL,
  legal_reference BLOB,
  disclosed_at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  policy_version INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE INDEX disclosures_subject ON disclosures (tenant_id, subject_id, id);
CREATE INDEX disclosures_batch ON disclosures (tenant_id, batch_id);
