package policy

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward"
)

// Limits of one disclosure request.
const (
	MaxDisclosureSubjects = 1000
	maxLegalReferenceLen  = 200
	maxDisclosureKeyLen   = 200
)

// DisclosureInput is the body of POST /v1/disclosures: some categories of
// one or more subjects were disclosed to a declared recipient for a
// declared purpose.
type DisclosureInput struct {
	Recipient      string     `json:"recipient"`
	Purpose        string     `json:"purpose"`
	Categories     []string   `json:"categories"`
	SubjectIDs     []string   `json:"subject_ids"`
	LegalReference string     `json:"legal_reference,omitempty"`
	DisclosedAt    *time.Time `json:"disclosed_at,omitempty"`
}

// Disclosure is one ledger entry: what of one subject went to whom, why,
// when and under which policy version. It holds ids, keys and the legal
// reference only, never a personal value.
type Disclosure struct {
	ID             string        `json:"id"`
	SubjectID      string        `json:"subject_id"`
	Recipient      string        `json:"recipient"`
	RecipientKind  RecipientKind `json:"recipient_kind"`
	Purpose        string        `json:"purpose"`
	Categories     []string      `json:"categories"`
	LegalReference string        `json:"legal_reference,omitempty"`
	DisclosedAt    time.Time     `json:"disclosed_at"`
	RecordedAt     time.Time     `json:"recorded_at"`
	PolicyVersion  int           `json:"policy_version"`
}

// DisclosureStat counts a tenant's ledger entries to one recipient for one
// purpose.
type DisclosureStat struct {
	Purpose   string
	Recipient string
	Count     int
	Last      time.Time
}

// DisclosureStore keeps the disclosure ledger. Like Store it lives here
// because the root package cannot name the policy.
type DisclosureStore interface {
	// RecordDisclosures checks in against the policy in force (CheckDisclosure)
	// and stores one entry per subject, with one audit entry (action
	// "disclose") per subject, in one transaction. EInvalid naming the
	// field; ENotFound (field subject_ids) for a subject unknown to the
	// tenant; EGone for an erased one. With idem, a retry answers the
	// first result and replayed is true.
	RecordDisclosures(ctx context.Context, a steward.Actor, in *DisclosureInput, idem *steward.Idempotency) (ds []*Disclosure, replayed bool, err error)
	// Disclosures lists a subject's entries, oldest first, and audits the
	// read. ENotFound; EGone.
	Disclosures(ctx context.Context, a steward.Actor, subjectID string, p steward.Page) (ds []*Disclosure, next string, err error)
	// DisclosureStats counts the tenant's entries per purpose and recipient.
	DisclosureStats(ctx context.Context, tenantID string) ([]DisclosureStat, error)
}

// Validate checks the shape of a disclosure request, without the policy:
// required members, sizes, subject id shapes and a disclosure time that is
// not in the future. It sorts and deduplicates nothing; duplicates are
// refused.
func (in *DisclosureInput) Validate(now time.Time) error {
	if in.Recipient == "" || len(in.Recipient) > maxDisclosureKeyLen {
		return steward.Errorf(steward.EInvalid, "recipient", "recipient is required: the id of a recipient the policy declares")
	}
	if in.Purpose == "" || len(in.Purpose) > maxDisclosureKeyLen {
		return steward.Errorf(steward.EInvalid, "purpose", "purpose is required: the key of a purpose the policy declares")
	}
	if len(in.Categories) == 0 {
		return steward.Errorf(steward.EInvalid, "categories", "categories must list at least one category key")
	}
	for _, c := range in.Categories {
		if c == "" || len(c) > maxDisclosureKeyLen {
			return steward.Errorf(steward.EInvalid, "categories", "categories must be category keys")
		}
	}
	if hasDuplicate(in.Categories) {
		return steward.Errorf(steward.EInvalid, "categories", "categories lists a key twice")
	}
	if len(in.SubjectIDs) == 0 || len(in.SubjectIDs) > MaxDisclosureSubjects {
		return steward.Errorf(steward.EInvalid, "subject_ids", "subject_ids must list 1 to %d subject ids", MaxDisclosureSubjects)
	}
	for _, id := range in.SubjectIDs {
		if !steward.ValidID("sub", id) {
			return steward.Errorf(steward.EInvalid, "subject_ids", "subject_ids must be subject ids (sub_…)")
		}
	}
	if hasDuplicate(in.SubjectIDs) {
		return steward.Errorf(steward.EInvalid, "subject_ids", "subject_ids lists a subject twice")
	}
	if len(in.LegalReference) > maxLegalReferenceLen || strings.TrimSpace(in.LegalReference) != in.LegalReference {
		return steward.Errorf(steward.EInvalid, "legal_reference", "legal_reference must be at most %d characters without surrounding spaces", maxLegalReferenceLen)
	}
	if in.DisclosedAt != nil && in.DisclosedAt.After(now) {
		return steward.Errorf(steward.EInvalid, "disclosed_at", "disclosed_at must not be in the future")
	}
	return nil
}

func hasDuplicate(xs []string) bool {
	s := slices.Clone(xs)
	slices.Sort(s)
	return len(slices.Compact(s)) != len(xs)
}

// CheckDisclosure checks a disclosure against the policy d: the recipient
// and purpose must be declared, the recipient declared to receive the
// purpose and every category, and an authority needs a legal reference.
// It returns the recipient, or EInvalid naming the field.
func CheckDisclosure(d *Document, in *DisclosureInput) (*Recipient, error) {
	i := slices.IndexFunc(d.Recipients, func(r Recipient) bool { return r.ID == in.Recipient })
	if i < 0 {
		return nil, steward.Errorf(steward.EInvalid, "recipient", "the policy in force declares no recipient %q", in.Recipient)
	}
	r := &d.Recipients[i]
	if !slices.ContainsFunc(d.Purposes, func(p Purpose) bool { return p.Key == in.Purpose }) {
		return nil, steward.Errorf(steward.EInvalid, "purpose", "the policy in force declares no purpose %q", in.Purpose)
	}
	if !slices.Contains(r.Purposes, in.Purpose) {
		return nil, steward.Errorf(steward.EInvalid, "purpose", "the policy in force does not declare recipient %q receives data for purpose %q", r.ID, in.Purpose)
	}
	for _, c := range in.Categories {
		if !slices.Contains(r.Categories, c) {
			return nil, steward.Errorf(steward.EInvalid, "categories", "the policy in force does not declare recipient %q receives category %q", r.ID, c)
		}
	}
	if r.Kind == RecipientAuthority && in.LegalReference == "" {
		return nil, steward.Errorf(steward.EInvalid, "legal_reference", "legal_reference is required for a disclosure to an authority, e.g. a court order number")
	}
	return r, nil
}
