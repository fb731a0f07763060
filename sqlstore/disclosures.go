package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/policy"
)

var _ policy.DisclosureStore = (*Store)(nil)

const disclosureColumns = `id, subject_id, recipient, recipient_kind, purpose, categories, legal_reference, disclosed_at, recorded_at, policy_version`

// RecordDisclosures stores one ledger entry per subject. The legal
// reference may name a person (a court order about them), so it is sealed
// with each subject's data key, as messages are; everything else is ids
// and policy keys. The policy is checked once before the subjects' keys are
// read, to fail fast, and again inside the transaction, which is the check
// that counts.
func (s *Store) RecordDisclosures(ctx context.Context, a steward.Actor, in *policy.DisclosureInput, idem *steward.Idempotency) ([]*policy.Disclosure, bool, error) {
	if in == nil {
		return nil, false, steward.Errorf(steward.EInvalid, "", "there is no disclosure")
	}
	now := time.Now()
	if err := in.Validate(now); err != nil {
		return nil, false, err
	}
	cur, err := s.PolicyInForce(ctx, a.TenantID, now)
	if err != nil {
		return nil, false, err
	}
	if _, err := policy.CheckDisclosure(cur.Document, in); err != nil {
		return nil, false, err
	}
	ik, err := s.keys.indexKey(ctx, a.TenantID)
	if err != nil {
		return nil, false, internal("index key", err)
	}
	rec := newIdemRecord(ik, idem)
	batch := steward.NewID("dib")
	cats, err := json.Marshal(in.Categories)
	if err != nil {
		return nil, false, internal("encode categories", err)
	}
	out := make([]*policy.Disclosure, len(in.SubjectIDs))
	refs := make([][]byte, len(in.SubjectIDs))
	for i, id := range in.SubjectIDs {
		sk, err := s.subjectKey(ctx, a.TenantID, id)
		if err != nil {
			return nil, false, subjectRefusal(err, id)
		}
		d := &policy.Disclosure{ID: steward.NewID("dis"), SubjectID: id, Recipient: in.Recipient, Purpose: in.Purpose,
			Categories: append([]string(nil), in.Categories...), LegalReference: in.LegalReference}
		if in.LegalReference != "" {
			refs[i] = sk.Seal("disclosure", d.ID, []byte(in.LegalReference))
		}
		out[i] = d
	}
	var replay string
	err = s.w.do(ctx, func(tx *Tx) error {
		replay = ""
		if r, err := rec.lookup(ctx, tx, a.TenantID); err != nil || r != "" {
			replay = r
			return err
		}
		for _, id := range in.SubjectIDs {
			if err := s.lockSubject(ctx, tx, a.TenantID, id, tx.d.ForShare); err != nil {
				return subjectRefusal(err, id)
			}
		}
		v, err := policyAt(ctx, tx, a.TenantID, tx.Now)
		if err != nil {
			return err
		}
		r, err := policy.CheckDisclosure(v.Document, in)
		if err != nil {
			return err
		}
		at := tx.Now
		if in.DisclosedAt != nil {
			at = in.DisclosedAt.UTC().Truncate(time.Microsecond)
		}
		if at.After(tx.Now) {
			return steward.Errorf(steward.EInvalid, "disclosed_at", "disclosed_at must not be in the future")
		}
		for i, d := range out {
			d.RecipientKind, d.DisclosedAt, d.RecordedAt, d.PolicyVersion = r.Kind, at, tx.Now, v.Version
			if _, err := tx.Exec(ctx, `INSERT INTO disclosures (tenant_id, id, batch_id, subject_id, recipient, recipient_kind, purpose, categories, legal_reference, disclosed_at, recorded_at, policy_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				a.TenantID, d.ID, batch, d.SubjectID, d.Recipient, string(d.RecipientKind), d.Purpose, string(cats), refs[i], micros(at), micros(tx.Now), v.Version); err != nil {
				return internal("insert disclosure", err)
			}
			e := auditEntry(a, steward.ActionDisclose, d.SubjectID, append([]string(nil), in.Categories...))
			e.Purpose = in.Purpose
			tx.Audit(e)
		}
		return rec.save(ctx, tx, a.TenantID, batch)
	})
	if err != nil {
		return nil, false, err
	}
	if replay != "" {
		ds, err := s.disclosureBatch(ctx, a.TenantID, replay)
		return ds, true, err
	}
	return out, false, nil
}

// subjectRefusal names the subject a 404 or 410 is about, since a request
// lists many.
func subjectRefusal(err error, id string) error {
	switch steward.ErrorCode(err) {
	case steward.ENotFound, steward.EGone:
		return steward.Errorf(steward.ErrorCode(err), "subject_ids", "subject %s: %s", id, steward.ErrorMessage(err))
	}
	return err
}

// disclosureBatch reads the entries one earlier request recorded.
func (s *Store) disclosureBatch(ctx context.Context, tenant, batch string) ([]*policy.Disclosure, error) {
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(`SELECT `+disclosureColumns+` FROM disclosures WHERE tenant_id = ? AND batch_id = ? ORDER BY id`), tenant, batch)
	if err != nil {
		return nil, internal("read disclosures", err)
	}
	defer rows.Close()
	keys := map[string]*keyring.SubjectKey{}
	var out []*policy.Disclosure
	for rows.Next() {
		d, err := s.scanDisclosure(ctx, tenant, rows, keys)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("read disclosures", err)
	}
	return out, nil
}

// scanDisclosure reads one row and opens its legal reference with the
// subject's key, read once per subject into keys.
func (s *Store) scanDisclosure(ctx context.Context, tenant string, r rowScanner, keys map[string]*keyring.SubjectKey) (*policy.Disclosure, error) {
	d := &policy.Disclosure{}
	var kind, cats string
	var ref []byte
	var at, recorded int64
	if err := r.Scan(&d.ID, &d.SubjectID, &d.Recipient, &kind, &d.Purpose, &cats, &ref, &at, &recorded, &d.PolicyVersion); err != nil {
		return nil, internal("scan disclosure", err)
	}
	d.RecipientKind, d.DisclosedAt, d.RecordedAt = policy.RecipientKind(kind), fromMicros(at), fromMicros(recorded)
	if err := json.Unmarshal([]byte(cats), &d.Categories); err != nil {
		return nil, internal("decode disclosure categories", err)
	}
	if len(ref) > 0 {
		sk := keys[d.SubjectID]
		if sk == nil {
			var err error
			if sk, err = s.subjectKey(ctx, tenant, d.SubjectID); err != nil {
				return nil, err
			}
			keys[d.SubjectID] = sk
		}
		pt, err := sk.Open("disclosure", d.ID, ref)
		if err != nil {
			return nil, internal("open legal reference", err)
		}
		d.LegalReference = string(pt)
	}
	return d, nil
}

// Disclosures lists a page of a subject's ledger entries and audits the read.
func (s *Store) Disclosures(ctx context.Context, a steward.Actor, subjectID string, p steward.Page) ([]*policy.Disclosure, string, error) {
	p, err := p.NormalizeIDCursor("dis")
	if err != nil {
		return nil, "", err
	}
	sk, err := s.subjectKey(ctx, a.TenantID, subjectID)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(`SELECT `+disclosureColumns+` FROM disclosures WHERE tenant_id = ? AND subject_id = ? AND id > ? ORDER BY id LIMIT ?`),
		a.TenantID, subjectID, p.After, p.Limit+1)
	if err != nil {
		return nil, "", internal("list disclosures", err)
	}
	defer rows.Close()
	keys := map[string]*keyring.SubjectKey{subjectID: sk}
	ds := []*policy.Disclosure{}
	for rows.Next() {
		d, err := s.scanDisclosure(ctx, a.TenantID, rows, keys)
		if err != nil {
			return nil, "", err
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", internal("list disclosures", err)
	}
	ds, next := trimPage(ds, p.Limit, func(x *policy.Disclosure) string { return x.ID })
	if err := s.auditRead(ctx, auditEntry(a, steward.ActionRead, subjectID, []string{"disclosures"})); err != nil {
		return nil, "", err
	}
	return ds, next, nil
}

// DisclosureStats counts the tenant's ledger entries per purpose and
// recipient, with the latest disclosure time of each.
func (s *Store) DisclosureStats(ctx context.Context, tenantID string) ([]policy.DisclosureStat, error) {
	if err := s.tenantExists(ctx, dbQuerier{s.rdb, s.d}, tenantID); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(`SELECT purpose, recipient, COUNT(*), MAX(disclosed_at) FROM disclosures WHERE tenant_id = ? GROUP BY purpose, recipient ORDER BY purpose, recipient`), tenantID)
	if err != nil {
		return nil, internal("count disclosures", err)
	}
	defer rows.Close()
	out := []policy.DisclosureStat{}
	for rows.Next() {
		var st policy.DisclosureStat
		var last int64
		if err := rows.Scan(&st.Purpose, &st.Recipient, &st.Count, &last); err != nil {
			return nil, internal("scan disclosure count", err)
		}
		st.Last = fromMicros(last)
		out = append(out, st)
	}
	return out, rows.Err()
}
