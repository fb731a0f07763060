package steward

import "context"

// SubjectLookup finds a subject by exactly one normalised identifier.
type SubjectLookup struct {
	Email    string
	Username string
}

// TenantService manages tenants and their API keys. It is used by operator
// commands and by authentication.
type TenantService interface {
	// CreateTenant creates a tenant with its own keys. EInvalid for a bad name.
	CreateTenant(ctx context.Context, name string) (*Tenant, error)
	// Tenant returns one tenant. ENotFound for an unknown id.
	Tenant(ctx context.Context, id string) (*Tenant, error)
	// Tenants lists every tenant.
	Tenants(ctx context.Context) ([]*Tenant, error)
	// CreateAPIKey issues a key and returns its secret token, which is shown
	// once and stored only as a hash. ENotFound for an unknown tenant.
	CreateAPIKey(ctx context.Context, tenantID, name string) (*APIKey, string, error)
	// APIKeys lists a tenant's keys, revoked ones included.
	APIKeys(ctx context.Context, tenantID string) ([]*APIKey, error)
	// RevokeAPIKey revokes a key; it stops working on the next request.
	// ENotFound for an unknown key or tenant.
	RevokeAPIKey(ctx context.Context, tenantID, keyID string) error
	// Authenticate returns the live key a token belongs to. EUnauthorized for
	// an unknown, malformed or revoked token.
	Authenticate(ctx context.Context, token string) (*APIKey, error)
}

// SubjectService stores subjects and their conversations, encrypted per
// subject, and audits every access in the same durable transaction as the
// change (or before a read's answer is returned).
//
// Every method obeys the tenant's privacy policy in force: a purpose the
// actor states that the policy does not declare is refused with
// EUnprocessable, field "purpose", before anything is read or written; a
// write of a profile field no category declares, or of a value from a
// source its category does not allow, is refused with EUnprocessable
// naming the field ("attributes.plan") or its source ("email.source").
// A refused call stores and audits nothing.
type SubjectService interface {
	// CreateSubject stores a validated subject. With idem set, a retry of the
	// same request returns the first result and replayed=true. EConflict when
	// the email or username belongs to another subject of the tenant;
	// EIdempotencyMismatch when the key was used for a different request.
	CreateSubject(ctx context.Context, a Actor, s *Subject, idem *Idempotency) (sub *Subject, replayed bool, err error)
	// Subject returns one subject. ENotFound for unknown ids (and other
	// tenants' ids); EGone for erased subjects.
	Subject(ctx context.Context, a Actor, id string) (*Subject, error)
	// FindSubject returns the subject with the given normalised email or
	// username. ENotFound when there is none.
	FindSubject(ctx context.Context, a Actor, by SubjectLookup) (*Subject, error)
	// Subjects lists subjects in creation order; next is empty on the last page.
	Subjects(ctx context.Context, a Actor, p Page) (subs []*Subject, next string, err error)
	// UpdateSubject applies a validated patch. ENotFound, EGone, EConflict,
	// EInvalid.
	UpdateSubject(ctx context.Context, a Actor, id string, patch *SubjectPatch) (*Subject, error)
	// EraseSubject destroys the subject's data key, its lookups, its
	// ciphertext and messages, leaves a tombstone and returns a receipt.
	// ENotFound; EGone when already erased.
	EraseSubject(ctx context.Context, a Actor, id string) (*ErasureReceipt, error)
	// AddMessage records a validated message of a subject's conversation.
	AddMessage(ctx context.Context, a Actor, m *Message, idem *Idempotency) (msg *Message, replayed bool, err error)
	// Messages lists a subject's messages, oldest first.
	Messages(ctx context.Context, a Actor, subjectID string, p Page) (msgs []*Message, next string, err error)
}

// AuditFilter selects audit entries of one tenant.
type AuditFilter struct {
	SubjectID string
	Page      Page
}

// AuditService reads and proves a tenant's transparency log.
type AuditService interface {
	// AuditEntries lists entries, oldest first.
	AuditEntries(ctx context.Context, tenantID string, f AuditFilter) (entries []*AuditEntry, next string, err error)
	// Checkpoint returns the latest signed checkpoint.
	Checkpoint(ctx context.Context, tenantID string) (*Checkpoint, error)
	// VerifierKey is the signed-note verifier key for checkpoints.
	VerifierKey() string
	// InclusionProof proves entry index is in the tree of the given size.
	// EInvalid for an index or size out of range.
	InclusionProof(ctx context.Context, tenantID string, index, size int64) (*AuditEntry, [][]byte, error)
	// ConsistencyProof proves the tree of size from is a prefix of the tree
	// of size to.
	ConsistencyProof(ctx context.Context, tenantID string, from, to int64) ([][]byte, error)
	// VerifyAudit recomputes every tenant's tree against its latest signed
	// checkpoint.
	VerifyAudit(ctx context.Context) ([]AuditVerification, error)
}

// RotationReport says what a key rotation did.
type RotationReport struct {
	Tenants           int `json:"tenants"`
	SubjectsRewrapped int `json:"subjects_rewrapped"`
}

// KeyService rotates keys without touching plaintext data.
type KeyService interface {
	// RotateTenantKeys gives every tenant a new tenant key, re-wraps every
	// subject key under it and then destroys the old one. It is safe to run
	// while the server serves, and to run again after an interruption.
	RotateTenantKeys(ctx context.Context, progress func(done, total int)) (*RotationReport, error)
}
