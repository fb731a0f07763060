// Package storetest is the one conformance suite every storage adapter
// passes: the SQLite and PostgreSQL tests call Run with an opener of their
// own, so both engines are held to the same contract. Each file of the
// package owns one idea (tenants, subjects, erasure, audit, tampering, …);
// this one holds the harness and the helpers they share.
package storetest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/sqlstore"
)

// Harness is one freshly opened, empty store plus what the suite needs to
// reach behind its back (to tamper with rows, or read every byte at rest).
type Harness struct {
	Store *sqlstore.Store
	// Raw is a direct connection to the same database.
	Raw *sql.DB
	// Rebind adapts ? placeholders to the engine.
	Rebind func(string) string
	// Dump returns every byte the store holds at rest, after closing it.
	Dump func(t testing.TB) []byte
	// Reopen closes the store and opens it again on the same data.
	Reopen func(t testing.TB) *sqlstore.Store
	// JournaledReads says reads are audited through an audit journal file
	// rather than the database (see sqlstore.WithAuditJournal).
	JournaledReads bool
	// Undo007 is SQL that puts the schema back as it was before migration
	// 007 and forgets that 007 ran, for the test of that migration.
	Undo007 string
}

// Opener opens a fresh, empty store for one test and arranges its cleanup.
type Opener func(t testing.TB) *Harness

// Run runs the whole suite against an adapter. Every test opens its own
// store, so they run in parallel.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"Tenants", testTenants},
		{"APIKeys", testAPIKeys},
		{"CreateSubject", testCreateSubject},
		{"FindSubject", testFindSubject},
		{"FindAfterChanges", testFindAfterChanges},
		{"ListSubjects", testListSubjects},
		{"UpdateSubject", testUpdateSubject},
		{"Conflicts", testConflicts},
		{"Erasure", testErasure},
		{"ErasureAtRest", testErasureAtRest},
		{"TenantIsolation", testTenantIsolation},
		{"Idempotency", testIdempotency},
		{"Messages", testMessages},
		{"EncryptionAtRest", testEncryptionAtRest},
		{"AssociatedData", testAssociatedData},
		{"AuditEntries", testAuditEntries},
		{"Unauditable", testUnauditable},
		{"AuditIndex", testAuditIndex},
		{"AuditIndexConcurrent", testAuditIndexConcurrent},
		{"AuditIndexBackfill", testAuditIndexBackfill},
		{"AuditProofs", testAuditProofs},
		{"Tampering", testTampering},
		{"Rotation", testRotation},
		{"InterruptedRotation", testInterruptedRotation},
		{"Reopen", testReopen},
		{"Migration007", testMigration007},
		{"CloseWhileWriting", testCloseWhileWriting},
		{"Concurrency", testConcurrency},
		{"PolicyVersions", testPolicyVersions},
		{"Disposals", testDisposals},
		{"Disclosures", testDisclosures},
		{"Acceptances", testAcceptances},
		{"Enforcement", testEnforcement},
		{"EnforcementPublished", testEnforcementPublished},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

// MustTenant creates a tenant and one API key for it.
func MustTenant(tb testing.TB, s *sqlstore.Store, name string) (steward.Actor, string) {
	tb.Helper()
	ctx := context.Background()
	ten, err := s.CreateTenant(ctx, name)
	if err != nil {
		tb.Fatalf("create tenant: %v", err)
	}
	key, token, err := s.CreateAPIKey(ctx, ten.ID, "test")
	if err != nil {
		tb.Fatalf("create key: %v", err)
	}
	return steward.Actor{TenantID: ten.ID, KeyID: key.ID, RequestID: "req_test"}, token
}

// MustSubject stores a subject with the given email and name.
func MustSubject(tb testing.TB, s *sqlstore.Store, a steward.Actor, email, name string) *steward.Subject {
	tb.Helper()
	in := steward.SubjectInput{
		Kind: steward.KindEndUser, Source: steward.SourceRegistration,
		Email: &steward.Field[string]{Value: email},
		Name:  &steward.Field[string]{Value: name},
	}
	return MustCreate(tb, s, a, &in)
}

// MustCreate validates an input the way the HTTP layer does and stores it.
func MustCreate(tb testing.TB, s *sqlstore.Store, a steward.Actor, in *steward.SubjectInput) *steward.Subject {
	tb.Helper()
	sub, err := in.Subject(time.Now())
	if err != nil {
		tb.Fatalf("validate subject: %v", err)
	}
	out, replayed, err := s.CreateSubject(context.Background(), a, sub, nil)
	if err != nil {
		tb.Fatalf("create subject: %v", err)
	}
	if replayed {
		tb.Fatalf("create subject without an idempotency key replayed")
	}
	return out
}

// MustMessage validates a message and stores it.
func MustMessage(tb testing.TB, s *sqlstore.Store, a steward.Actor, subjectID, body string) *steward.Message {
	tb.Helper()
	in := steward.MessageInput{Direction: steward.Inbound, Channel: "email", Body: body}
	m, err := in.Message(subjectID, time.Now())
	if err != nil {
		tb.Fatalf("validate message: %v", err)
	}
	out, _, err := s.AddMessage(context.Background(), a, m, nil)
	if err != nil {
		tb.Fatalf("add message: %v", err)
	}
	return out
}

// MustVerify checks that every tenant's audit log verifies, and returns the
// verifications by tenant.
func MustVerify(tb testing.TB, s *sqlstore.Store) map[string]steward.AuditVerification {
	tb.Helper()
	vs, err := s.VerifyAudit(context.Background())
	if err != nil {
		tb.Fatalf("verify audit: %v", err)
	}
	out := map[string]steward.AuditVerification{}
	for _, v := range vs {
		if !v.OK || v.FirstBadIndex != -1 {
			tb.Fatalf("audit log of %s does not verify: %+v", v.TenantID, v)
		}
		out[v.TenantID] = v
	}
	return out
}

// wantCode fails unless err carries the domain error code.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := steward.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// count runs a COUNT query (written with ? placeholders) on the raw
// connection.
func (h *Harness) count(tb testing.TB, q string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := h.Raw.QueryRow(h.Rebind(q), args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

// exec runs a statement on the raw connection and returns the rows it
// touched.
func (h *Harness) exec(tb testing.TB, q string, args ...any) int64 {
	tb.Helper()
	res, err := h.Raw.Exec(h.Rebind(q), args...)
	if err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// auditSize returns the size of a tenant's signed log.
func auditSize(tb testing.TB, s *sqlstore.Store, tenant string) int64 {
	tb.Helper()
	cp, err := s.Checkpoint(context.Background(), tenant)
	if err != nil {
		tb.Fatalf("checkpoint: %v", err)
	}
	return cp.Size
}

// allEntries reads a tenant's whole log through the store, page by page.
func allEntries(tb testing.TB, s *sqlstore.Store, tenant, subject string) []*steward.AuditEntry {
	tb.Helper()
	var out []*steward.AuditEntry
	after := ""
	for {
		es, next, err := s.AuditEntries(context.Background(), tenant, steward.AuditFilter{SubjectID: subject, Page: steward.Page{After: after, Limit: steward.MaxPageLimit}})
		if err != nil {
			tb.Fatalf("audit entries: %v", err)
		}
		out = append(out, es...)
		if next == "" {
			return out
		}
		after = next
	}
}

// ids returns the ids of subjects, in order.
func ids(subs []*steward.Subject) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.ID
	}
	return out
}

// strictlyIncreasing reports whether ids are sorted with no duplicates.
func strictlyIncreasing(ids []string) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			return false
		}
	}
	return true
}
