package policy

import (
	"context"
	"time"
)

// Version is one version of a tenant's policy: the parsed document, its
// number and when it takes (or took) effect. Version 0 is the operator's
// built-in default, in force for a tenant that has published nothing; its
// EffectiveAt is zero.
type Version struct {
	Version     int
	EffectiveAt time.Time
	CreatedAt   time.Time // Zero for version 0.
	Document    *Document // Its Version and EffectiveAt are set to match.
}

// VersionInfo describes a published version without its document.
type VersionInfo struct {
	Version     int       `json:"version"`
	EffectiveAt time.Time `json:"effective_at"`
	CreatedAt   time.Time `json:"created_at"`
}

// DisposalFlag records that a published version drops a data category the
// version it replaces listed. Data already stored in that category is not
// deleted when the policy changes: the flag marks it for disposal by
// retention. ResolvedAt is nil until the flag is resolved.
type DisposalFlag struct {
	ID               string     `json:"id"` // "dsp_…"
	Category         string     `json:"category"`
	DroppedInVersion int        `json:"dropped_in_version"`
	EffectiveAt      time.Time  `json:"effective_at"` // When DroppedInVersion takes effect.
	FlaggedAt        time.Time  `json:"flagged_at"`   // When it was published.
	ResolvedAt       *time.Time `json:"resolved_at"`
}

// Store keeps the policy versions each tenant publishes. The root package
// cannot name Document, so the interface lives here; the SQL store
// implements it.
//
// Versions are numbered from 1 per tenant in the order they are published.
// The version in force at a time is the highest-numbered version whose
// effective_at has passed, so a later publication supersedes an earlier one
// that has not yet taken effect.
type Store interface {
	// PublishPolicy validates doc and stores it as the tenant's next
	// version, taking effect at effectiveAt. In the same transaction it
	// compares doc with the version it replaces (the latest published
	// version, else the default) and stores one DisposalFlag for every
	// category that version lists and doc does not; it never deletes or
	// alters stored data. A document with any problem is
	// refused whole: the error is Problems, listing every one, which unwraps
	// to a *steward.Error with code "invalid". An effectiveAt earlier than
	// now plus the notice period of the policy in force now is refused with
	// code "invalid", field "effective_at" and the earliest allowed time in
	// RFC 3339 in the message. ENotFound for an unknown tenant.
	PublishPolicy(ctx context.Context, tenantID string, doc *Document, effectiveAt time.Time) (*Version, error)
	// PolicyInForce returns the version in force at the time at: the
	// highest-numbered published version with effective_at <= at, else the
	// built-in default as version 0. ENotFound for an unknown tenant.
	PolicyInForce(ctx context.Context, tenantID string, at time.Time) (*Version, error)
	// UpcomingPolicy returns the version that will replace the one in force
	// at the time at, or nil when none is scheduled. ENotFound for an
	// unknown tenant.
	UpcomingPolicy(ctx context.Context, tenantID string, at time.Time) (*Version, error)
	// PolicyVersions lists the tenant's published versions, oldest first;
	// the built-in default is not listed. ENotFound for an unknown tenant.
	PolicyVersions(ctx context.Context, tenantID string) ([]VersionInfo, error)
	// PolicyVersion returns one published version, or the default for
	// version 0. ENotFound for an unknown tenant or version.
	PolicyVersion(ctx context.Context, tenantID string, version int) (*Version, error)
	// PolicyDisposals lists the tenant's disposal flags, oldest first
	// (flagged_at, then id), resolved or not; never nil. ENotFound for an
	// unknown tenant.
	PolicyDisposals(ctx context.Context, tenantID string) ([]DisposalFlag, error)
}

// EarliestEffective returns the earliest time a new version published at
// now may take effect under the policy in force: now plus its notice
// period. The result is rounded up to a whole second, so it can be written
// in RFC 3339 and still be allowed.
func EarliestEffective(inForce *Document, now time.Time) (time.Time, error) {
	p, err := inForce.Changes.NoticePeriod.Period()
	if err != nil {
		return time.Time{}, err
	}
	t := p.AddTo(now.UTC())
	if r := t.Truncate(time.Second); !r.Equal(t) {
		t = r.Add(time.Second)
	}
	return t, nil
}
