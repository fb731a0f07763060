package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/keyring"
)

// subjectKey reads and unwraps a live subject's data key, or reports 404/410.
func (s *Store) subjectKey(ctx context.Context, tenant, id string) (*keyring.SubjectKey, error) {
	ss, err := scanSealed(s.stmts.subject.QueryRowContext(pointCtx(ctx), tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.readTombstone(ctx, tenant, id)
	}
	if err != nil {
		return nil, internal("read subject", err)
	}
	tk, err := s.keys.tenantKey(ctx, tenant, ss.keyVersion)
	if err != nil {
		return nil, internal("tenant key", err)
	}
	sk, err := tk.OpenSubjectKey(id, ss.wrappedKey)
	if err != nil {
		return nil, internal("open subject key", err)
	}
	return sk, nil
}

// AddMessage encrypts a message with its subject's data key and stores it.
// Rotation re-wraps data keys without changing them, so a body sealed
// before a rotation stays readable after it.
func (s *Store) AddMessage(ctx context.Context, a steward.Actor, m *steward.Message, idem *steward.Idempotency) (*steward.Message, bool, error) {
	ik, err := s.keys.indexKey(ctx, a.TenantID)
	if err != nil {
		return nil, false, internal("index key", err)
	}
	rec := newIdemRecord(ik, idem)
	sk, err := s.subjectKey(ctx, a.TenantID, m.SubjectID)
	if err != nil {
		return nil, false, err
	}
	out := *m
	out.ID = steward.NewID("msg")
	body := sk.Seal("message", out.ID, []byte(out.Body))
	var replay string
	err = s.w.do(ctx, func(tx *Tx) error {
		replay = ""
		if r, err := rec.lookup(ctx, tx, a.TenantID); err != nil || r != "" {
			replay = r
			return err
		}
		if err := s.lockSubject(ctx, tx, a.TenantID, m.SubjectID, tx.d.ForShare); err != nil {
			return err
		}
		if err := s.checkMessage(ctx, tx, a); err != nil {
			return err
		}
		out.CreatedAt = tx.Now
		if _, err := tx.Exec(ctx, `INSERT INTO messages (tenant_id, subject_id, id, direction, channel, body, sent_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.TenantID, m.SubjectID, out.ID, string(out.Direction), out.Channel, body, micros(out.SentAt), micros(tx.Now)); err != nil {
			return internal("insert message", err)
		}
		if err := rec.save(ctx, tx, a.TenantID, m.SubjectID+"/"+out.ID); err != nil {
			return err
		}
		tx.Audit(auditEntry(a, steward.ActionCreate, m.SubjectID, []string{"messages." + out.ID}))
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if replay != "" {
		subjectID, msgID, _ := strings.Cut(replay, "/")
		got, err := s.message(ctx, a, subjectID, msgID)
		return got, true, err
	}
	return &out, false, nil
}

func (s *Store) message(ctx context.Context, a steward.Actor, subjectID, msgID string) (*steward.Message, error) {
	sk, err := s.subjectKey(ctx, a.TenantID, subjectID)
	if err != nil {
		return nil, err
	}
	row := s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT id, direction, channel, body, sent_at, created_at FROM messages WHERE tenant_id = ? AND subject_id = ? AND id = ?`), a.TenantID, subjectID, msgID)
	m, err := openMessage(sk, subjectID, row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.Errorf(steward.ENotFound, "id", "no such message")
	}
	if err != nil {
		return nil, err
	}
	if err := s.auditRead(ctx, auditEntry(a, steward.ActionRead, subjectID, []string{"messages." + msgID})); err != nil {
		return nil, err
	}
	return m, nil
}

func openMessage(sk *keyring.SubjectKey, subjectID string, r rowScanner) (*steward.Message, error) {
	m := &steward.Message{SubjectID: subjectID}
	var body []byte
	var dir string
	var sent, created int64
	if err := r.Scan(&m.ID, &dir, &m.Channel, &body, &sent, &created); err != nil {
		return nil, err
	}
	pt, err := sk.Open("message", m.ID, body)
	if err != nil {
		return nil, internal("open message", err)
	}
	m.Direction, m.Body = steward.Direction(dir), string(pt)
	m.SentAt, m.CreatedAt = fromMicros(sent), fromMicros(created)
	return m, nil
}

// Messages lists a page of a subject's conversation and audits the read.
func (s *Store) Messages(ctx context.Context, a steward.Actor, subjectID string, p steward.Page) ([]*steward.Message, string, error) {
	p, err := p.NormalizeIDCursor("msg")
	if err != nil {
		return nil, "", err
	}
	if err := s.checkPurpose(ctx, a); err != nil {
		return nil, "", err
	}
	sk, err := s.subjectKey(ctx, a.TenantID, subjectID)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(`SELECT id, direction, channel, body, sent_at, created_at FROM messages WHERE tenant_id = ? AND subject_id = ? AND id > ? ORDER BY id LIMIT ?`),
		a.TenantID, subjectID, p.After, p.Limit+1)
	if err != nil {
		return nil, "", internal("list messages", err)
	}
	defer rows.Close()
	var msgs []*steward.Message
	for rows.Next() {
		m, err := openMessage(sk, subjectID, rows)
		if err != nil {
			return nil, "", internal("scan message", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", internal("list messages", err)
	}
	msgs, next := trimPage(msgs, p.Limit, func(x *steward.Message) string { return x.ID })
	if err := s.auditRead(ctx, auditEntry(a, steward.ActionList, subjectID, []string{"messages"})); err != nil {
		return nil, "", err
	}
	return msgs, next, nil
}
