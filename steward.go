// Package steward holds Steward's domain: the entities a privacy engine keeps
// (tenants, API keys, subjects, messages, audit entries), their validation
// rules, the error vocabulary every layer speaks, and the service interfaces
// the storage adapters implement. It imports only the standard library and
// small text-normalisation helpers; storage, crypto and transport live in
// their own packages and depend on this one, never the other way round.
package steward

import (
	"context"
	"time"
)

// Actor is who performs an operation on personal data. The tenant comes from
// the authenticated API key, never from the request, and leads every storage
// key and query.
type Actor struct {
	TenantID  string
	KeyID     string // API key id, or "cli:<user>" for operator commands.
	RequestID string
	Purpose   string // Optional purpose stated by the caller; recorded in audit.
}

// Page asks for one page of a cursor-paginated listing.
type Page struct {
	After string // Opaque cursor returned as Next by the previous page.
	Limit int    // 1..MaxPageLimit; 0 means DefaultPageLimit.
}

// Pagination limits shared by every listing.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// Normalize applies the defaults and bounds of a page request.
func (p Page) Normalize() (Page, error) {
	if p.Limit == 0 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit < 1 || p.Limit > MaxPageLimit {
		return p, Errorf(EInvalid, "limit", "limit must be between 1 and %d", MaxPageLimit)
	}
	if len(p.After) > 128 {
		return p, Errorf(EInvalid, "after", "cursor is not valid")
	}
	return p, nil
}

// NormalizeIDCursor is Normalize for listings whose cursor is the id (of
// kind prefix) of the last item of the previous page.
func (p Page) NormalizeIDCursor(prefix string) (Page, error) {
	p, err := p.Normalize()
	if err == nil && p.After != "" && !ValidID(prefix, p.After) {
		err = Errorf(EInvalid, "after", "cursor is not valid")
	}
	return p, err
}

// Idempotency identifies a retried POST. A store that sees the same Key
// twice for a tenant returns the first result instead of creating anything
// again; a reuse with a different request fingerprint is a conflict.
type Idempotency struct {
	Key         string
	Fingerprint []byte // Keyed hash of method, path and body.
}

// Clock lets tests and the store agree on one "now" per transaction.
type Clock func() time.Time

// Pinger is implemented by stores that can report readiness.
type Pinger interface {
	Ping(ctx context.Context) error
}
