package policy

import (
	"context"
	"slices"
	"time"

	"github.com/stewardhq/steward"
)

// AcceptanceSources are the channels through which a subject can accept a
// policy version.
var AcceptanceSources = []string{"web", "app", "email", "paper", "api", "other"}

// AcceptanceInput is the body of POST /v1/subjects/{id}/policy-acceptances.
// Version is a pointer so that a missing version is refused rather than
// read as the default, version 0.
type AcceptanceInput struct {
	Version    *int       `json:"version"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	Source     string     `json:"source"`
}

// Acceptance records that a subject accepted one version of the tenant's
// policy at a time, through a source. It holds ids and keys only.
type Acceptance struct {
	ID         string    `json:"id"`
	SubjectID  string    `json:"subject_id"`
	Version    int       `json:"version"`
	AcceptedAt time.Time `json:"accepted_at"`
	RecordedAt time.Time `json:"recorded_at"`
	Source     string    `json:"source"`
}

// LatestAcceptance is the version a subject accepted last.
type LatestAcceptance struct {
	SubjectID  string    `json:"subject_id"`
	Version    int       `json:"version"`
	AcceptedAt time.Time `json:"accepted_at"`
	Source     string    `json:"source"`
}

// AcceptanceStore keeps the record of which policy versions subjects
// accepted. Like Store it lives here because the root package cannot name
// the policy.
type AcceptanceStore interface {
	// RecordAcceptance stores that the subject accepted the tenant's
	// policy version at acceptedAt (now when zero) through source, with one
	// audit entry (action "update", fields ["policy_acceptance"]) in the
	// same transaction. EInvalid with field "version" for a version the
	// tenant never published (0, the default, always exists); field
	// "accepted_at" for a time in the future or before the version was
	// published; field "source" for a source not in AcceptanceSources.
	// ENotFound for a subject unknown to the tenant; EGone for an erased
	// one. With idem, a retry answers the first result and replayed is
	// true.
	RecordAcceptance(ctx context.Context, a steward.Actor, subjectID string, version int, acceptedAt time.Time, source string, idem *steward.Idempotency) (acc *Acceptance, replayed bool, err error)
	// Acceptances lists a subject's acceptances, newest accepted_at first,
	// and audits the read (action "read", fields ["policy_acceptance"]).
	// The cursor is the id of the last acceptance of the previous page.
	// ENotFound; EGone; EInvalid for a bad cursor.
	Acceptances(ctx context.Context, a steward.Actor, subjectID string, p steward.Page) (as []*Acceptance, next string, err error)
	// LatestAcceptances lists, for every subject of the tenant with at
	// least one acceptance, the one with the latest accepted_at, ordered by
	// subject id; the cursor is the last subject id of the previous page.
	// It audits one entry per subject listed (action "list", fields
	// ["policy_acceptance"]). EInvalid for a bad cursor.
	LatestAcceptances(ctx context.Context, a steward.Actor, p steward.Page) (ls []*LatestAcceptance, next string, err error)
}

// CheckAcceptanceSource refuses a source not in AcceptanceSources.
func CheckAcceptanceSource(source string) error {
	if !slices.Contains(AcceptanceSources, source) {
		return steward.Errorf(steward.EInvalid, "source", "source must be one of web, app, email, paper, api, other")
	}
	return nil
}

// Validate checks the shape of an acceptance request without the store: a
// version is given and not negative, the source is known and the
// acceptance time is not in the future.
func (in *AcceptanceInput) Validate(now time.Time) error {
	if in.Version == nil || *in.Version < 0 {
		return steward.Errorf(steward.EInvalid, "version", "version is required: the number of a policy version of this tenant (0 is the default)")
	}
	if err := CheckAcceptanceSource(in.Source); err != nil {
		return err
	}
	if in.AcceptedAt != nil && in.AcceptedAt.After(now) {
		return steward.Errorf(steward.EInvalid, "accepted_at", "accepted_at must not be in the future")
	}
	return nil
}
