package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/internal/jsoncodec"
	"github.com/stewardhq/steward/keyring"
)

// Lookup kinds in subject_lookups.
const (
	lookupEmail    = "email"
	lookupUsername = "username"
)

// errStaleTenantKey means a rotation destroyed the tenant key version a
// write was prepared with; the write is prepared again.
var errStaleTenantKey = errors.New("tenant key version was rotated away")

// sealedSubject is a subject as stored.
type sealedSubject struct {
	id, kind   string
	keyVersion int
	wrappedKey []byte
	profile    []byte
	created    int64
	updated    int64
	seq        int64 // Its row's number in this database (see lookupCache).
}

type rowScanner interface{ Scan(dest ...any) error }

func scanSealed(r rowScanner) (*sealedSubject, error) {
	var ss sealedSubject
	err := r.Scan(&ss.id, &ss.kind, &ss.keyVersion, &ss.wrappedKey, &ss.profile, &ss.created, &ss.updated, &ss.seq)
	return &ss, err
}

// open decrypts a stored subject with its data key.
func (s *Store) open(ctx context.Context, tenant string, ss *sealedSubject) (*steward.Subject, *keyring.SubjectKey, error) {
	tk, err := s.keys.tenantKey(ctx, tenant, ss.keyVersion)
	if err != nil {
		return nil, nil, internal("tenant key", err)
	}
	sk, err := tk.OpenSubjectKey(ss.id, ss.wrappedKey)
	if err != nil {
		return nil, nil, internal("open subject key", err)
	}
	pt, err := sk.Open("profile", "", ss.profile)
	if err != nil {
		return nil, nil, internal("open profile", err)
	}
	sub := &steward.Subject{ID: ss.id, Kind: steward.SubjectKind(ss.kind), CreatedAt: fromMicros(ss.created), UpdatedAt: fromMicros(ss.updated)}
	if err := jsoncodec.Unmarshal(pt, &sub.Profile); err != nil {
		return nil, nil, internal("decode profile", err)
	}
	clear(pt)
	return sub, sk, nil
}

// seal encrypts a profile with a subject's data key.
func seal(sk *keyring.SubjectKey, p *steward.Profile) ([]byte, error) {
	pt, err := jsoncodec.Marshal(p)
	if err != nil {
		return nil, internal("encode profile", err)
	}
	ct := sk.Seal("profile", "", pt)
	clear(pt)
	return ct, nil
}

// lookupHashes returns the blind indexes of a profile's unique identifiers.
func lookupHashes(ik *keyring.IndexKey, p *steward.Profile) map[string][]byte {
	m := map[string][]byte{}
	if p.Email != nil {
		m[lookupEmail] = ik.Blind(lookupEmail, p.Email.Value)
	}
	if p.Username != nil {
		m[lookupUsername] = ik.Blind(lookupUsername, p.Username.Value)
	}
	return m
}

func insertLookup(ctx context.Context, tx *Tx, tenant, kind string, hash []byte, subjectID string, seq int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO subject_lookups (tenant_id, kind, hash, subject_id, subject_seq) VALUES (?, ?, ?, ?, ?)`, tenant, kind, hash, subjectID, seq)
	if err != nil {
		if tx.d.IsUniqueViolation(err) {
			return steward.Errorf(steward.EConflict, kind, "another subject of this tenant already has this %s", kind)
		}
		return internal("insert lookup", err)
	}
	return nil
}

// checkKeyVersion makes sure the tenant key version a write uses still
// exists, and on engines with row locks holds it until commit so a rotation
// cannot destroy it underneath.
func checkKeyVersion(ctx context.Context, tx *Tx, tenant string, version int) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM tenant_keys WHERE tenant_id = ? AND version = ?`+tx.d.ForShare, tenant, version).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errStaleTenantKey
	}
	if err != nil {
		return internal("check tenant key", err)
	}
	return nil
}

func auditEntry(a steward.Actor, action steward.AuditAction, subjectID string, fields []string) *steward.AuditEntry {
	return &steward.AuditEntry{TenantID: a.TenantID, Actor: a.KeyID, Action: action, SubjectID: subjectID, Fields: fields, Purpose: a.Purpose, RequestID: a.RequestID}
}

// CreateSubject encrypts and stores a subject. The encryption happens on the
// caller's goroutine; the writer only inserts.
func (s *Store) CreateSubject(ctx context.Context, a steward.Actor, sub *steward.Subject, idem *steward.Idempotency) (*steward.Subject, bool, error) {
	ik, err := s.keys.indexKey(ctx, a.TenantID)
	if err != nil {
		return nil, false, internal("index key", err)
	}
	rec := newIdemRecord(ik, idem)
	lookups := lookupHashes(ik, &sub.Profile)
	for attempt := 0; ; attempt++ {
		out := *sub
		out.ID = steward.NewID("sub")
		tk, err := s.keys.primaryKey(ctx, a.TenantID)
		if err != nil {
			return nil, false, internal("tenant key", err)
		}
		dek := keyring.NewKey()
		wrapped := tk.WrapSubjectKey(out.ID, dek)
		sk, err := keyring.NewSubjectKey(a.TenantID, out.ID, dek)
		clear(dek)
		if err != nil {
			return nil, false, internal("subject key", err)
		}
		profile, err := seal(sk, &out.Profile)
		if err != nil {
			return nil, false, err
		}
		var replay string
		var seq int64
		err = s.w.do(ctx, func(tx *Tx) error {
			replay = ""
			if r, err := rec.lookup(ctx, tx, a.TenantID); err != nil || r != "" {
				replay = r
				return err
			}
			if err := s.checkWrite(ctx, tx, a, &out.Profile, nil); err != nil {
				return err
			}
			if err := checkKeyVersion(ctx, tx, a.TenantID, tk.Version); err != nil {
				return err
			}
			out.CreatedAt, out.UpdatedAt = tx.Now, tx.Now
			if err := tx.QueryRow(ctx, `INSERT INTO subjects (tenant_id, id, kind, key_version, wrapped_key, profile, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
				a.TenantID, out.ID, string(out.Kind), tk.Version, wrapped, profile, micros(tx.Now), micros(tx.Now)).Scan(&seq); err != nil {
				return internal("insert subject", err)
			}
			for _, kind := range []string{lookupEmail, lookupUsername} {
				if h, ok := lookups[kind]; ok {
					if err := insertLookup(ctx, tx, a.TenantID, kind, h, out.ID, seq); err != nil {
						return err
					}
				}
			}
			if err := rec.save(ctx, tx, a.TenantID, out.ID); err != nil {
				return err
			}
			tx.Audit(auditEntry(a, steward.ActionCreate, out.ID, out.Profile.FieldNames()))
			return nil
		})
		if errors.Is(err, errStaleTenantKey) && attempt < 3 {
			s.keys.forgetPrimary(a.TenantID)
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if replay != "" {
			got, err := s.Subject(ctx, a, replay)
			return got, true, err
		}
		s.putLookups(a.TenantID, seq, lookups)
		return &out, false, nil
	}
}

// notFoundOrGone tells an erased subject (410) from one that never existed
// in this tenant (404).
func (s *Store) notFoundOrGone(ctx context.Context, q func(ctx context.Context, args ...any) *sql.Row, tenant, id string) error {
	var erased int64
	err := q(ctx, tenant, id).Scan(&erased)
	if errors.Is(err, sql.ErrNoRows) {
		return steward.Errorf(steward.ENotFound, "id", "no subject with this id")
	}
	if err != nil {
		return internal("read tombstone", err)
	}
	return steward.Errorf(steward.EGone, "id", "this subject was erased at %s", fromMicros(erased).Format("2006-01-02T15:04:05Z"))
}

func (s *Store) readTombstone(ctx context.Context, tenant, id string) error {
	return s.notFoundOrGone(ctx, s.stmts.tombstone.QueryRowContext, tenant, id)
}

func (s *Store) txTombstone(tx *Tx) func(ctx context.Context, args ...any) *sql.Row {
	return func(ctx context.Context, args ...any) *sql.Row {
		return tx.QueryRow(ctx, `SELECT erased_at FROM subject_tombstones WHERE tenant_id = ? AND subject_id = ?`, args...)
	}
}

// lockSubject checks in a write that a subject exists, locking its row
// against an erasure (lock is the dialect's ForShare) or against every
// other writer (ForUpdate) until the commit; a missing one is not found or
// gone.
func (s *Store) lockSubject(ctx context.Context, tx *Tx, tenant, id, lock string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM subjects WHERE tenant_id = ? AND id = ?`+lock, tenant, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return s.notFoundOrGone(ctx, s.txTombstone(tx), tenant, id)
	}
	if err != nil {
		return internal("read subject", err)
	}
	return nil
}

// subjectExists answers nil for a subject of the tenant, else ENotFound or
// EGone.
func (s *Store) subjectExists(ctx context.Context, tenant, id string) error {
	var one int
	err := s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT 1 FROM subjects WHERE tenant_id = ? AND id = ?`), tenant, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return s.readTombstone(ctx, tenant, id)
	}
	if err != nil {
		return internal("read subject", err)
	}
	return nil
}

// Subject reads one subject and audits the read before returning it.
func (s *Store) Subject(ctx context.Context, a steward.Actor, id string) (*steward.Subject, error) {
	if err := s.checkPurpose(ctx, a); err != nil {
		return nil, err
	}
	ss, err := scanSealed(s.stmts.subject.QueryRowContext(pointCtx(ctx), a.TenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.readTombstone(ctx, a.TenantID, id)
	}
	if err != nil {
		return nil, internal("read subject", err)
	}
	return s.openAudited(ctx, a, ss)
}

func (s *Store) openAudited(ctx context.Context, a steward.Actor, ss *sealedSubject) (*steward.Subject, error) {
	sub, _, err := s.open(ctx, a.TenantID, ss)
	if err != nil {
		return nil, err
	}
	if err := s.auditRead(ctx, auditEntry(a, steward.ActionRead, sub.ID, sub.Profile.FieldNames())); err != nil {
		return nil, err
	}
	return sub, nil
}

// FindSubject looks a subject up by the blind index of a normalised value.
func (s *Store) FindSubject(ctx context.Context, a steward.Actor, by steward.SubjectLookup) (*steward.Subject, error) {
	if err := s.checkPurpose(ctx, a); err != nil {
		return nil, err
	}
	kind, value := lookupEmail, by.Email
	if by.Username != "" {
		kind, value = lookupUsername, by.Username
	}
	if value == "" {
		return nil, steward.Errorf(steward.EInvalid, kind, "a lookup needs an email or a username")
	}
	// The blind index is over the normalised value, so normalise here with
	// the same function writes use, whoever the caller is; normalising an
	// already normalised value changes nothing.
	var err error
	if kind == lookupEmail {
		value, err = steward.NormalizeEmail(value)
	} else {
		value, err = steward.NormalizeUsername(value)
	}
	if err != nil {
		return nil, err
	}
	ik, err := s.keys.indexKey(ctx, a.TenantID)
	if err != nil {
		return nil, internal("index key", err)
	}
	blind := ik.Blind(kind, value)
	k := s.lookups.key(a.TenantID, kind, blind)
	if sub, ok := s.findCached(ctx, a, kind, value, k); ok {
		if err := s.auditRead(ctx, auditEntry(a, steward.ActionRead, sub.ID, sub.Profile.FieldNames())); err != nil {
			return nil, err
		}
		return sub, nil
	}
	ss, err := scanSealed(s.stmts.find.QueryRowContext(pointCtx(ctx), a.TenantID, kind, blind))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.Errorf(steward.ENotFound, kind, "no subject with this %s", kind)
	}
	if err != nil {
		return nil, internal("find subject", err)
	}
	s.lookups.put(k, ss.seq)
	return s.openAudited(ctx, a, ss)
}

// Subjects lists a page of subjects, auditing each one listed.
func (s *Store) Subjects(ctx context.Context, a steward.Actor, p steward.Page) ([]*steward.Subject, string, error) {
	p, err := p.NormalizeIDCursor("sub")
	if err != nil {
		return nil, "", err
	}
	if err := s.checkPurpose(ctx, a); err != nil {
		return nil, "", err
	}
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(`SELECT `+subjectColumns+` FROM subjects s WHERE s.tenant_id = ? AND s.id > ? ORDER BY s.id LIMIT ?`), a.TenantID, p.After, p.Limit+1)
	if err != nil {
		return nil, "", internal("list subjects", err)
	}
	var sealed []*sealedSubject
	for rows.Next() {
		ss, err := scanSealed(rows)
		if err != nil {
			rows.Close()
			return nil, "", internal("scan subject", err)
		}
		sealed = append(sealed, ss)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", internal("list subjects", err)
	}
	sealed, next := trimPage(sealed, p.Limit, func(x *sealedSubject) string { return x.id })
	subs := make([]*steward.Subject, 0, len(sealed))
	entries := make([]*steward.AuditEntry, 0, len(sealed))
	for _, ss := range sealed {
		sub, _, err := s.open(ctx, a.TenantID, ss)
		if err != nil {
			return nil, "", err
		}
		subs = append(subs, sub)
		entries = append(entries, auditEntry(a, steward.ActionList, sub.ID, sub.Profile.FieldNames()))
	}
	if err := s.auditRead(ctx, entries...); err != nil {
		return nil, "", err
	}
	return subs, next, nil
}

// UpdateSubject applies a patch inside the writer: decrypt, apply, re-seal
// with the same data key, move changed lookups.
func (s *Store) UpdateSubject(ctx context.Context, a steward.Actor, id string, patch *steward.SubjectPatch) (*steward.Subject, error) {
	ik, err := s.keys.indexKey(ctx, a.TenantID)
	if err != nil {
		return nil, internal("index key", err)
	}
	var out *steward.Subject
	var removed, added map[string][]byte // Blind indexes the update changed.
	var seq int64
	err = s.w.do(ctx, func(tx *Tx) error {
		removed, added = map[string][]byte{}, map[string][]byte{}
		ss, err := scanSealed(tx.QueryRow(ctx, `SELECT `+subjectColumns+` FROM subjects s WHERE s.tenant_id = ? AND s.id = ?`+tx.d.ForUpdate, a.TenantID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return s.notFoundOrGone(ctx, s.txTombstone(tx), a.TenantID, id)
		}
		if err != nil {
			return internal("read subject", err)
		}
		seq = ss.seq
		sub, sk, err := s.open(ctx, a.TenantID, ss)
		if err != nil {
			return err
		}
		before := lookupHashes(ik, &sub.Profile)
		changed, err := patch.Apply(sub, tx.Now)
		if err != nil {
			return err
		}
		if err := s.checkWrite(ctx, tx, a, &sub.Profile, changed); err != nil {
			return err
		}
		after := lookupHashes(ik, &sub.Profile)
		for _, kind := range []string{lookupEmail, lookupUsername} {
			if string(before[kind]) == string(after[kind]) {
				continue
			}
			if before[kind] != nil {
				if _, err := tx.Exec(ctx, `DELETE FROM subject_lookups WHERE tenant_id = ? AND kind = ? AND hash = ?`, a.TenantID, kind, before[kind]); err != nil {
					return internal("delete lookup", err)
				}
				removed[kind] = before[kind]
			}
			if after[kind] != nil {
				if err := insertLookup(ctx, tx, a.TenantID, kind, after[kind], id, seq); err != nil {
					return err
				}
				added[kind] = after[kind]
			}
		}
		profile, err := seal(sk, &sub.Profile)
		if err != nil {
			return err
		}
		sub.UpdatedAt = tx.Now
		if _, err := tx.Exec(ctx, `UPDATE subjects SET kind = ?, profile = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			string(sub.Kind), profile, micros(tx.Now), a.TenantID, id); err != nil {
			return internal("update subject", err)
		}
		tx.Audit(auditEntry(a, steward.ActionUpdate, id, changed))
		out = sub
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.dropLookups(a.TenantID, removed)
	s.putLookups(a.TenantID, seq, added)
	return out, nil
}

// EraseSubject crypto-shreds a subject: its wrapped data key, lookups,
// profile and messages are deleted in one transaction (SQLite runs with
// secure_delete, so the freed pages are zeroed), a tombstone remains, and
// the erase is audited in the same commit.
func (s *Store) EraseSubject(ctx context.Context, a steward.Actor, id string) (*steward.ErasureReceipt, error) {
	receipt := &steward.ErasureReceipt{ID: steward.NewID("era"), SubjectID: id}
	var entry *steward.AuditEntry
	var shredded map[string][]byte
	err := s.w.do(ctx, func(tx *Tx) error {
		if err := s.lockSubject(ctx, tx, a.TenantID, id, tx.d.ForUpdate); err != nil {
			return err
		}
		msgs, err := tx.Exec(ctx, `DELETE FROM messages WHERE tenant_id = ? AND subject_id = ?`, a.TenantID, id)
		if err != nil {
			return internal("delete messages", err)
		}
		// An erased subject's acceptances say nothing about anyone any more,
		// and would otherwise keep listing the subject as having accepted.
		accs, err := tx.Exec(ctx, `DELETE FROM policy_acceptances WHERE tenant_id = ? AND subject_id = ?`, a.TenantID, id)
		if err != nil {
			return internal("delete policy acceptances", err)
		}
		// The deleted blind indexes come back, so that this process's
		// lookup cache forgets them too once the erasure commits.
		shredded, err = deleteLookups(ctx, tx, a.TenantID, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM subjects WHERE tenant_id = ? AND id = ?`, a.TenantID, id); err != nil {
			return internal("delete subject", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO subject_tombstones (tenant_id, subject_id, receipt_id, erased_at) VALUES (?, ?, ?, ?)`,
			a.TenantID, id, receipt.ID, micros(tx.Now)); err != nil {
			return internal("insert tombstone", err)
		}
		nm, _ := msgs.RowsAffected()
		nl := len(shredded)
		na, _ := accs.RowsAffected()
		receipt.ErasedAt = tx.Now
		receipt.Destroyed = []string{
			"subject data key (wrapped copy deleted; all ciphertext of the subject is now unreadable)",
			"profile ciphertext",
			fmt.Sprintf("%d lookup index entries", nl),
			fmt.Sprintf("%d conversation messages", nm),
			fmt.Sprintf("%d policy acceptance records", na),
			"legal references of the subject's disclosures (sealed with the data key; the ledger keeps only ids and keys)",
		}
		entry = auditEntry(a, steward.ActionErase, id, []string{"subject_key", "profile", "lookups", "messages", "policy_acceptances", "disclosures.legal_reference"})
		tx.Audit(entry)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.dropLookups(a.TenantID, shredded)
	receipt.AuditIndex = entry.Index
	return receipt, nil
}

// deleteLookups deletes a subject's blind indexes and returns them by kind.
func deleteLookups(ctx context.Context, tx *Tx, tenant, id string) (map[string][]byte, error) {
	rows, err := tx.Query(ctx, `DELETE FROM subject_lookups WHERE tenant_id = ? AND subject_id = ? RETURNING kind, hash`, tenant, id)
	if err != nil {
		return nil, internal("delete lookups", err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var kind string
		var h []byte
		if err := rows.Scan(&kind, &h); err != nil {
			return nil, internal("delete lookups", err)
		}
		out[kind] = h
	}
	if err := rows.Err(); err != nil {
		return nil, internal("delete lookups", err)
	}
	return out, nil
}
