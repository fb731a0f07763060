package storetest

import (
	"context"
	"testing"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/sqlstore"
)

// testFindAfterChanges finds subjects by email and username while their
// values move between subjects: each find answers the subject that holds
// the value at that moment, whatever was found before (stores may cache
// where a value pointed).
func testFindAfterChanges(t *testing.T, open Opener) {
	h := open(t)
	a, _ := MustTenant(t, h.Store, "Acme")
	MustFindChanges(t, h.Store, h.Store, a)
}

// MustFindChanges moves an email and a username between subjects through
// writer and checks each find through reader, which may be another store
// on the same database (another process) that remembers earlier finds.
func MustFindChanges(t *testing.T, writer, reader *sqlstore.Store, a steward.Actor) {
	t.Helper()
	ctx := context.Background()
	want := func(step string, by steward.SubjectLookup, id string) {
		t.Helper()
		got, err := reader.FindSubject(ctx, a, by)
		if id == "" {
			wantCode(t, err, steward.ENotFound)
			if got != nil {
				t.Fatalf("%s: found %s, want nobody", step, got.ID)
			}
			return
		}
		if err != nil || got.ID != id {
			t.Fatalf("%s: find %+v = %v, %v; want %s", step, by, got, err, id)
		}
	}
	x := steward.SubjectLookup{Email: "x.moves@example.com"}
	y := steward.SubjectLookup{Email: "y.moves@example.com"}
	ux := steward.SubjectLookup{Username: "x_moves"}
	in := func(email, username string) *steward.SubjectInput {
		return &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm,
			Email: &steward.Field[string]{Value: email}, Username: &steward.Field[string]{Value: username}}
	}
	first := MustCreate(t, writer, a, in(x.Email, ux.Username))
	want("created", x, first.ID)
	want("created, by username", ux, first.ID)

	patch := &steward.SubjectPatch{Source: steward.SourceForm,
		Email:    steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: y.Email}},
		Username: steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "y_moves"}}}
	if _, err := writer.UpdateSubject(ctx, a, first.ID, patch); err != nil {
		t.Fatal(err)
	}
	want("email changed away", x, "")
	want("username changed away", ux, "")
	want("new email", y, first.ID)

	second := MustCreate(t, writer, a, in(x.Email, ux.Username))
	want("email taken by another subject", x, second.ID)
	want("username taken by another subject", ux, second.ID)

	if _, err := writer.EraseSubject(ctx, a, second.ID); err != nil {
		t.Fatal(err)
	}
	want("holder erased", x, "")
	want("holder erased, by username", ux, "")
	want("the other subject is untouched", y, first.ID)

	third := MustCreate(t, writer, a, in(x.Email, ux.Username))
	want("taken again", x, third.ID)

	// SQLite gives the highest row number again once its row is gone, so
	// the reader's hint (x is third, at third's row) now names a row that
	// holds fourth.
	if _, err := writer.EraseSubject(ctx, a, third.ID); err != nil {
		t.Fatal(err)
	}
	fourth := MustCreate(t, writer, a, in("z.moves@example.com", "z_moves"))
	want("row number given again", x, "")
	want("row number given again, by username", ux, "")
	want("the new holder of the row", steward.SubjectLookup{Email: "z.moves@example.com"}, fourth.ID)
}
