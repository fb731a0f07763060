package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// defaultPolicy is the built-in default, parsed once. Enforcement only
// reads it; PolicyInForce and PolicyVersion hand callers a fresh copy.
var defaultPolicy = sync.OnceValue(policy.Default)

// enforcedCache holds parsed policy versions for enforcement. Versions never
// change once published, so an entry is never stale; parsing a document
// costs milliseconds, far more than the write it guards.
type enforcedCache struct {
	mu   sync.Mutex
	docs map[tenantKeyID]*policy.Document
}

const maxEnforcedDocs = 1024

// enforced returns the document of the tenant's policy in force at the
// time at, for enforcement only: callers must not change it. q is the
// transaction when the check belongs to a write, so the write and the
// policy it obeyed are read together.
func (s *Store) enforced(ctx context.Context, q rowQuerier, tenantID string, at time.Time) (*policy.Document, error) {
	var version int
	err := q.QueryRow(ctx, `SELECT version FROM policy_versions
		WHERE tenant_id = ? AND effective_at <= ? ORDER BY version DESC LIMIT 1`, tenantID, micros(at)).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return defaultPolicy(), nil
	}
	if err != nil {
		return nil, internal("find policy in force", err)
	}
	id := tenantKeyID{tenantID, version}
	s.policies.mu.Lock()
	d := s.policies.docs[id]
	s.policies.mu.Unlock()
	if d != nil {
		return d, nil
	}
	v, err := scanPolicy(q.QueryRow(ctx, `SELECT version, document, effective_at, created_at FROM policy_versions
		WHERE tenant_id = ? AND version = ?`, tenantID, version))
	if err != nil {
		return nil, err
	}
	s.policies.mu.Lock()
	if s.policies.docs == nil || len(s.policies.docs) >= maxEnforcedDocs {
		s.policies.docs = map[tenantKeyID]*policy.Document{}
	}
	s.policies.docs[id] = v.Document
	s.policies.mu.Unlock()
	return v.Document, nil
}

// checkPurpose refuses a stated purpose the tenant's policy in force does
// not declare; an actor who states none passes. It runs before a read, so
// a refused read is neither performed nor audited.
func (s *Store) checkPurpose(ctx context.Context, a steward.Actor) error {
	if a.Purpose == "" {
		return nil
	}
	d, err := s.enforced(ctx, dbQuerier{s.rdb, s.d}, a.TenantID, time.Now())
	if err != nil {
		return err
	}
	return d.CheckPurpose(a.Purpose)
}

// checkWrite runs the policy's rules for a write of the named profile
// fields (nil: all of them) inside the write's transaction: the stated
// purpose, then each field's category and source.
func (s *Store) checkWrite(ctx context.Context, tx *Tx, a steward.Actor, p *steward.Profile, names []string) error {
	d, err := s.enforced(ctx, tx, a.TenantID, tx.Now)
	if err != nil {
		return err
	}
	if err := d.CheckPurpose(a.Purpose); err != nil {
		return err
	}
	return d.CheckSubjectWrite(policy.FieldSources(p, names))
}

// checkMessage runs the policy's rules for storing a message: the stated
// purpose, and a category that declares the messages field. Messages carry
// no source, so no source is checked.
func (s *Store) checkMessage(ctx context.Context, tx *Tx, a steward.Actor) error {
	d, err := s.enforced(ctx, tx, a.TenantID, tx.Now)
	if err != nil {
		return err
	}
	if err := d.CheckPurpose(a.Purpose); err != nil {
		return err
	}
	if d.CategoryOf("messages") == nil {
		return steward.Errorf(steward.EUnprocessable, "messages", "the policy in force declares no data category for messages, so they may not be stored")
	}
	return nil
}
