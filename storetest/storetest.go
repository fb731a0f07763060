// Package storetest is the one conformance suite every storage adapter
// passes: the SQLite and PostgreSQL tests call Run with an opener of their
// own, so both engines are held to the same contract.
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
}

// Opener opens a fresh, empty store for one test and arranges its cleanup.
type Opener func(t testing.TB) *Harness

// Run runs the whole suite against an adapter.
func Run(t *testing.T, open Opener) {
	t.Run("Tenants", func(t *testing.T) { testTenants(t, open) })
	t.Run("Subjects", func(t *testing.T) { testSubjects(t, open) })
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
	sub, err := in.Subject(time.Now())
	if err != nil {
		tb.Fatalf("validate subject: %v", err)
	}
	out, _, err := s.CreateSubject(context.Background(), a, sub, nil)
	if err != nil {
		tb.Fatalf("create subject: %v", err)
	}
	return out
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := steward.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func testTenants(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, token := MustTenant(t, h.Store, "Acme")
	k, err := h.Store.Authenticate(ctx, token)
	if err != nil || k.TenantID != a.TenantID || k.ID != a.KeyID {
		t.Fatalf("authenticate = %+v, %v", k, err)
	}
	_, err = h.Store.Authenticate(ctx, token[:len(token)-1]+"x")
	wantCode(t, err, steward.EUnauthorized)
	if err := h.Store.RevokeAPIKey(ctx, a.TenantID, a.KeyID); err != nil {
		t.Fatal(err)
	}
	_, err = h.Store.Authenticate(ctx, token)
	wantCode(t, err, steward.EUnauthorized)
	wantCode(t, h.Store.RevokeAPIKey(ctx, a.TenantID, "key_nope"), steward.ENotFound)
}

func testSubjects(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Other")
	sub := MustSubject(t, h.Store, a, " Ada@Example.COM ", "Ada Lovelace")
	if sub.Profile.Email.Value != "ada@example.com" {
		t.Fatalf("email not normalised: %q", sub.Profile.Email.Value)
	}
	got, err := h.Store.Subject(ctx, a, sub.ID)
	if err != nil || got.Profile.Name.Value != "Ada Lovelace" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	_, err = h.Store.Subject(ctx, b, sub.ID)
	wantCode(t, err, steward.ENotFound)
	found, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: "ada@example.com"})
	if err != nil || found.ID != sub.ID {
		t.Fatalf("find = %+v, %v", found, err)
	}
	_, err = h.Store.FindSubject(ctx, b, steward.SubjectLookup{Email: "ada@example.com"})
	wantCode(t, err, steward.ENotFound)
	rec, err := h.Store.EraseSubject(ctx, a, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.AuditIndex < 1 {
		t.Fatalf("receipt audit index %d", rec.AuditIndex)
	}
	_, err = h.Store.Subject(ctx, a, sub.ID)
	wantCode(t, err, steward.EGone)
	vs, err := h.Store.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if !v.OK {
			t.Fatalf("verify: %+v", v)
		}
	}
}
