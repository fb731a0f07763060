-- Steward schema, version 7 (SQLite): subjects move from a WITHOUT ROWID
-- table to a rowid table with a unique index on (tenant_id, id).
-- SQLite keeps whole rows in the interior pages of a WITHOUT ROWID table.
-- A subject row is about 600 bytes, so an interior page held about six of
-- them and a million subjects made a tree eight levels deep: every read of
-- a subject fetched eight pages. Now the index holds only the key (about
-- 45 bytes) and the table's interior pages only rowids, so a read fetches
-- about six small-tree pages, most of them shared by every read.
-- seq is an explicit INTEGER PRIMARY KEY so that VACUUM keeps it stable.
-- PostgreSQL's 007 gives its subjects the same row numbers.
CREATE TABLE subjects_v7 (
  seq INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  key_version INTEGER NOT NULL,
  wrapped_key BLOB NOT NULL,
  profile BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT INTO subjects_v7 (tenant_id, id, kind, key_version, wrapped_key, profile, created_at, updated_at)
  SELECT tenant_id, id, kind, key_version, wrapped_key, profile, created_at, updated_at FROM subjects ORDER BY created_at, id;
DROP TABLE subjects;
ALTER TABLE subjects_v7 RENAME TO subjects;
CREATE UNIQUE INDEX subjects_id ON subjects (tenant_id, id);
CREATE INDEX subjects_key_version ON subjects (tenant_id, key_version);
-- Each blind index entry keeps its subject's row number too, so the lookup
-- cache warms from this table alone. It is only ever used as a hint: every
-- hint is checked against the subject it leads to.
ALTER TABLE subject_lookups ADD COLUMN subject_seq INTEGER NOT NULL DEFAULT 0;
UPDATE subject_lookups SET subject_seq = (SELECT s.seq FROM subjects s WHERE s.tenant_id = subject_lookups.tenant_id AND s.id = subject_lookups.subject_id);
