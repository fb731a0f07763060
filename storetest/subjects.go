package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

func testCreateSubject(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")

	t.Run("OK", func(t *testing.T) {
		p := distinctive("c1")
		in := p.input()
		in.Name.Value = "  " + p.Name + " "
		in.Email.Value = " " + strings.ToUpper(p.Email)
		before := time.Now().UTC().Add(-time.Second)
		sub := MustCreate(t, h.Store, a, in)
		if !steward.ValidID("sub", sub.ID) || sub.Kind != steward.KindCustomerContact {
			t.Fatalf("created %+v", sub)
		}
		if sub.CreatedAt.Before(before) || !sub.UpdatedAt.Equal(sub.CreatedAt) {
			t.Fatalf("created_at %v, updated_at %v", sub.CreatedAt, sub.UpdatedAt)
		}
		pr := sub.Profile
		switch {
		case pr.Name.Value != p.Name, pr.Name.Source != steward.SourceOrder, !pr.Name.CollectedAt.Equal(collected.Truncate(time.Microsecond)):
			t.Fatalf("name = %+v", pr.Name)
		case pr.Email.Value != p.Email, pr.Email.Source != steward.SourceNewsletter, !pr.Email.CollectedAt.Equal(collected.Add(time.Hour).Truncate(time.Microsecond)):
			t.Fatalf("email = %+v", pr.Email)
		case pr.Username.Value != p.Username, pr.Username.Source != steward.SourceForm, pr.Username.CollectedAt.Before(before):
			t.Fatalf("username = %+v (default source and time expected)", pr.Username)
		case pr.BillingAddress.Value != (steward.Address{Line1: p.Line1, City: p.City, Region: p.Region, PostalCode: p.PostalCode, Country: "DE"}):
			t.Fatalf("address = %+v", pr.BillingAddress)
		case pr.Attributes[p.AttrKey].Value != p.AttrValue || pr.Attributes[p.AttrKey].Source != steward.SourceSurvey:
			t.Fatalf("attributes = %+v", pr.Attributes)
		}
		got, err := h.Store.Subject(ctx, a, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameProfile(t, &got.Profile, &sub.Profile)
		if got.ID != sub.ID || got.Kind != sub.Kind || !got.CreatedAt.Equal(sub.CreatedAt) || !got.UpdatedAt.Equal(sub.UpdatedAt) {
			t.Fatalf("read %+v, created %+v", got, sub)
		}
	})

	t.Run("CardNumbers", func(t *testing.T) {
		in := &steward.SubjectInput{
			Kind: steward.KindEndUser, Source: steward.SourceForm,
			Name: &steward.Field[string]{Value: "Card Holder"},
			Attributes: map[string]steward.Field[string]{
				"note": {Value: "paid with 4111 1111 1111 1111 yesterday"},
			},
		}
		sub := MustCreate(t, h.Store, a, in)
		if sub.RedactedCardNumbers != 1 {
			t.Fatalf("redacted %d card numbers, want 1", sub.RedactedCardNumbers)
		}
		got, err := h.Store.Subject(ctx, a, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v := got.Profile.Attributes["note"].Value; v != "paid with "+steward.CardRedaction+" yesterday" {
			t.Fatalf("stored note %q", v)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []string{steward.NewID("sub"), "sub_garbage", ""} {
			_, err := h.Store.Subject(ctx, a, id)
			wantCode(t, err, steward.ENotFound)
		}
	})
}

func testFindSubject(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	// The email holds an é written decomposed (e + combining acute); it is
	// stored composed, and found whichever way it is written.
	in := &steward.SubjectInput{
		Kind: steward.KindEndUser, Source: steward.SourceRegistration,
		Email:    &steward.Field[string]{Value: "Jose\u0301.Nun\u0303ez@Example.COM"},
		Username: &steward.Field[string]{Value: "Jose_N"},
	}
	sub := MustCreate(t, h.Store, a, in)
	if sub.Profile.Email.Value != "jos\u00e9.nu\u00f1ez@example.com" || sub.Profile.Username.Value != "jose_n" {
		t.Fatalf("stored email %q, username %q", sub.Profile.Email.Value, sub.Profile.Username.Value)
	}
	other := MustSubject(t, h.Store, a, "someone.else@example.com", "Someone Else")

	t.Run("OK", func(t *testing.T) {
		for _, by := range []steward.SubjectLookup{
			{Email: "jos\u00e9.nu\u00f1ez@example.com"},
			{Email: "JOS\u00c9.NU\u00d1EZ@EXAMPLE.COM"},
			{Email: "  jose\u0301.nun\u0303ez@example.com\t"},
			{Email: "Jose\u0301.Nun\u0303ez@Example.COM"},
			{Username: "jose_n"},
			{Username: " JOSE_N "},
		} {
			size := auditSize(t, h.Store, a.TenantID)
			got, err := h.Store.FindSubject(ctx, a, by)
			if err != nil {
				t.Fatalf("find %+q: %v", by, err)
			}
			if got.ID != sub.ID {
				t.Fatalf("find %+q = %s, want %s", by, got.ID, sub.ID)
			}
			if n := auditSize(t, h.Store, a.TenantID); n != size+1 {
				t.Fatalf("find appended %d audit entries, want 1", n-size)
			}
		}
		got, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: "Someone.Else@example.com"})
		if err != nil || got.ID != other.ID {
			t.Fatalf("find other = %v, %v", got, err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		size := auditSize(t, h.Store, a.TenantID)
		for _, by := range []steward.SubjectLookup{
			{Email: "nobody@example.com"},
			{Email: "jose.nunez@example.com"}, // Without the accents: a different address.
			{Username: "jose_m"},
			{Username: "jos\u00e9.nu\u00f1ez"}, // Lookups of one kind never match the other.
		} {
			_, err := h.Store.FindSubject(ctx, a, by)
			wantCode(t, err, steward.ENotFound)
		}
		if n := auditSize(t, h.Store, a.TenantID); n != size {
			t.Fatalf("failed lookups appended %d audit entries", n-size)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{})
		wantCode(t, err, steward.EInvalid)
	})
}

func testListSubjects(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Other")
	MustSubject(t, h.Store, b, "b@example.com", "Not Listed")
	const n = 23
	want := map[string]bool{}
	var created []string
	for i := range n {
		s := MustSubject(t, h.Store, a, "user"+string(rune('a'+i))+"@example.com", "User")
		want[s.ID] = true
		created = append(created, s.ID)
	}

	t.Run("OK", func(t *testing.T) {
		size := auditSize(t, h.Store, a.TenantID)
		var got []string
		after, pages := "", 0
		for {
			subs, next, err := h.Store.Subjects(ctx, a, steward.Page{After: after, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(subs) > 5 || (next != "" && len(subs) != 5) {
				t.Fatalf("page %d has %d subjects, next %q", pages, len(subs), next)
			}
			for _, s := range subs {
				if s.Profile.Name == nil || s.Profile.Name.Value != "User" {
					t.Fatalf("listed subject without its profile: %+v", s)
				}
			}
			got = append(got, ids(subs)...)
			if next == "" {
				break
			}
			if next != subs[len(subs)-1].ID {
				t.Fatalf("next cursor %q is not the page's last id", next)
			}
			after = next
		}
		if pages != 5 || len(got) != n || !strictlyIncreasing(got) {
			t.Fatalf("%d pages, %d ids, in order %v", pages, len(got), strictlyIncreasing(got))
		}
		for _, id := range got {
			if !want[id] {
				t.Fatalf("listed %s, which is not the tenant's", id)
			}
		}
		// Creation order, every subject exactly once, even for subjects
		// created within one millisecond.
		if strings.Join(got, ",") != strings.Join(created, ",") {
			t.Fatalf("listed %v, created %v", got, created)
		}
		if got := auditSize(t, h.Store, a.TenantID); got != size+n {
			t.Fatalf("listing %d subjects appended %d audit entries", n, got-size)
		}
	})

	t.Run("Limits", func(t *testing.T) {
		for _, tc := range []struct {
			limit, want int
			next        bool
		}{{0, n, false}, {1, 1, true}, {n, n, false}, {n - 1, n - 1, true}, {steward.MaxPageLimit, n, false}} {
			subs, next, err := h.Store.Subjects(ctx, a, steward.Page{Limit: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(subs) != tc.want || (next != "") != tc.next {
				t.Fatalf("limit %d: %d subjects, next %q", tc.limit, len(subs), next)
			}
		}
		subs, next, err := h.Store.Subjects(ctx, a, steward.Page{After: created[n-1], Limit: 5})
		if err != nil || len(subs) != 0 || next != "" {
			t.Fatalf("page after the last = %d subjects, %q, %v", len(subs), next, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		size := auditSize(t, h.Store, a.TenantID)
		for _, p := range []steward.Page{
			{Limit: -1}, {Limit: steward.MaxPageLimit + 1}, {After: "garbage"}, {After: "msg_" + created[0][4:]},
			{After: strings.Repeat("a", 129)},
		} {
			_, _, err := h.Store.Subjects(ctx, a, p)
			wantCode(t, err, steward.EInvalid)
		}
		if got := auditSize(t, h.Store, a.TenantID); got != size {
			t.Fatalf("refused listings appended %d audit entries", got-size)
		}
	})
}

func testUpdateSubject(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	p := distinctive("u1")
	sub := MustCreate(t, h.Store, a, p.input())

	t.Run("OK", func(t *testing.T) {
		time.Sleep(2 * time.Millisecond) // So updated_at moves.
		kind := steward.KindPersonnel
		patch := &steward.SubjectPatch{
			Kind:     &kind,
			Source:   steward.SourceForm,
			Name:     steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "Zelda Renamed"}},
			Email:    steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "Zelda.New@Example.org"}},
			Username: steward.Patch[steward.Field[string]]{Set: true}, // null: remove.
			Attributes: map[string]*steward.Field[string]{
				p.AttrKey: nil,                             // Remove.
				"shoe":    {Value: "44", Source: "survey"}, // Add.
			},
		}
		size := auditSize(t, h.Store, a.TenantID)
		up, err := h.Store.UpdateSubject(ctx, a, sub.ID, patch)
		if err != nil {
			t.Fatal(err)
		}
		got, err := h.Store.Subject(ctx, a, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*steward.Subject{up, got} {
			pr := s.Profile
			switch {
			case s.Kind != steward.KindPersonnel:
				t.Fatalf("kind %q", s.Kind)
			case pr.Name == nil || pr.Name.Value != "Zelda Renamed" || pr.Name.Source != steward.SourceForm:
				t.Fatalf("name %+v", pr.Name)
			case pr.Email == nil || pr.Email.Value != "zelda.new@example.org":
				t.Fatalf("email %+v", pr.Email)
			case pr.Username != nil:
				t.Fatalf("username not removed: %+v", pr.Username)
			case pr.BillingAddress == nil || pr.BillingAddress.Value.City != p.City:
				t.Fatalf("an absent member changed the address: %+v", pr.BillingAddress)
			case len(pr.Attributes) != 1 || pr.Attributes["shoe"].Value != "44":
				t.Fatalf("attributes %+v", pr.Attributes)
			case !s.CreatedAt.Equal(sub.CreatedAt) || !s.UpdatedAt.After(sub.UpdatedAt):
				t.Fatalf("created_at %v -> %v, updated_at %v -> %v", sub.CreatedAt, s.CreatedAt, sub.UpdatedAt, s.UpdatedAt)
			}
		}
		// The email lookup moved; the removed username's is gone.
		_, err = h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: p.Email})
		wantCode(t, err, steward.ENotFound)
		_, err = h.Store.FindSubject(ctx, a, steward.SubjectLookup{Username: p.Username})
		wantCode(t, err, steward.ENotFound)
		found, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: "zelda.new@example.org"})
		if err != nil || found.ID != sub.ID {
			t.Fatalf("find by new email = %v, %v", found, err)
		}
		if n := h.count(t, `SELECT COUNT(*) FROM subject_lookups WHERE tenant_id = ? AND subject_id = ?`, a.TenantID, sub.ID); n != 1 {
			t.Fatalf("%d lookups, want 1 (the new email)", n)
		}
		es := allEntries(t, h.Store, a.TenantID, sub.ID)
		var upd *steward.AuditEntry
		for _, e := range es {
			if e.Index == size {
				upd = e
			}
		}
		want := []string{"attributes." + p.AttrKey, "attributes.shoe", "email", "kind", "name", "username"}
		if upd == nil || upd.Action != steward.ActionUpdate || strings.Join(upd.Fields, ",") != strings.Join(want, ",") {
			t.Fatalf("update audit entry = %+v, want fields %v", upd, want)
		}
	})

	t.Run("Replace", func(t *testing.T) {
		// A value replaces a whole member: a new address drops old parts.
		up, err := h.Store.UpdateSubject(ctx, a, sub.ID, &steward.SubjectPatch{
			Source:         steward.SourceOrder,
			BillingAddress: steward.Patch[steward.Field[steward.Address]]{Set: true, Value: &steward.Field[steward.Address]{Value: steward.Address{City: "Berlin"}}},
			Username:       steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "zelda2"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.Profile.BillingAddress.Value != (steward.Address{City: "Berlin"}) || up.Profile.Name.Value != "Zelda Renamed" {
			t.Fatalf("after replace: %+v, name %+v", up.Profile.BillingAddress, up.Profile.Name)
		}
		found, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Username: "zelda2"})
		if err != nil || found.ID != sub.ID {
			t.Fatalf("find by new username = %v, %v", found, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		before, err := h.Store.Subject(ctx, a, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		size := auditSize(t, h.Store, a.TenantID)
		for _, patch := range []*steward.SubjectPatch{
			{Source: steward.SourceForm, Email: steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "not an email"}}},
			{Source: "carrier pigeon"},
			{Name: steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "No Source"}}},
			{Source: steward.SourceForm, Attributes: map[string]*steward.Field[string]{"Bad Key": {Value: "x"}}},
		} {
			_, err := h.Store.UpdateSubject(ctx, a, sub.ID, patch)
			wantCode(t, err, steward.EInvalid)
		}
		after, err := h.Store.Subject(ctx, a, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameProfile(t, &after.Profile, &before.Profile)
		if !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("a refused update moved updated_at")
		}
		if got := auditSize(t, h.Store, a.TenantID); got != size+1 { // The read above.
			t.Fatalf("refused updates appended %d audit entries", got-size-1)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := h.Store.UpdateSubject(ctx, a, steward.NewID("sub"), &steward.SubjectPatch{Source: steward.SourceForm})
		wantCode(t, err, steward.ENotFound)
	})
}

func testConflicts(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Other")
	first := MustCreate(t, h.Store, a, &steward.SubjectInput{
		Kind: steward.KindEndUser, Source: steward.SourceForm,
		Email:    &steward.Field[string]{Value: "taken@example.com"},
		Username: &steward.Field[string]{Value: "taken"},
	})
	second := MustSubject(t, h.Store, a, "second@example.com", "Second")
	stored := func() [3]int64 {
		return [3]int64{
			h.count(t, `SELECT COUNT(*) FROM subjects WHERE tenant_id = ?`, a.TenantID),
			h.count(t, `SELECT COUNT(*) FROM subject_lookups WHERE tenant_id = ?`, a.TenantID),
			auditSize(t, h.Store, a.TenantID),
		}
	}

	t.Run("ErrConflict", func(t *testing.T) {
		before := stored()
		for _, tc := range []struct {
			in    *steward.SubjectInput
			field string
		}{
			{&steward.SubjectInput{Email: &steward.Field[string]{Value: " TAKEN@example.com"}}, "email"},
			{&steward.SubjectInput{Username: &steward.Field[string]{Value: "Taken"}}, "username"},
			// Fresh email, taken username: the email must not stay behind.
			{&steward.SubjectInput{Email: &steward.Field[string]{Value: "fresh@example.com"}, Username: &steward.Field[string]{Value: "taken"}}, "username"},
		} {
			tc.in.Kind, tc.in.Source = steward.KindEndUser, steward.SourceForm
			s, err := tc.in.Subject(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = h.Store.CreateSubject(ctx, a, s, nil)
			wantCode(t, err, steward.EConflict)
			if f := steward.ErrorField(err); f != tc.field {
				t.Fatalf("conflict on field %q, want %q", f, tc.field)
			}
		}
		// An update onto another subject's email leaves both untouched.
		_, err := h.Store.UpdateSubject(ctx, a, second.ID, &steward.SubjectPatch{
			Source: steward.SourceForm,
			Email:  steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "taken@example.com"}},
		})
		wantCode(t, err, steward.EConflict)
		if after := stored(); after != before {
			t.Fatalf("refused writes changed (subjects, lookups, audit) from %v to %v", before, after)
		}
		for email, id := range map[string]string{"taken@example.com": first.ID, "second@example.com": second.ID} {
			got, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: email})
			if err != nil || got.ID != id {
				t.Fatalf("find %s = %v, %v; want %s", email, got, err, id)
			}
		}
		_, err = h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: "fresh@example.com"})
		wantCode(t, err, steward.ENotFound)
	})

	t.Run("Concurrent", func(t *testing.T) {
		// Racing creates of one email: one wins, the rest conflict, and the
		// losers leave nothing behind even when they share a commit.
		before := stored()
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				in := &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm, Email: &steward.Field[string]{Value: "race@example.com"}}
				s, err := in.Subject(time.Now())
				if err == nil {
					_, _, err = h.Store.CreateSubject(ctx, a, s, nil)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch steward.ErrorCode(err) {
			case "":
				won++
			case steward.EConflict:
			default:
				t.Fatalf("racing create: %v", err)
			}
		}
		after := stored()
		if won != 1 || after != [3]int64{before[0] + 1, before[1] + 1, before[2] + 1} {
			t.Fatalf("%d creates won; (subjects, lookups, audit) went from %v to %v", won, before, after)
		}
		MustVerify(t, h.Store)
	})

	t.Run("OtherTenant", func(t *testing.T) {
		// Uniqueness is per tenant: another tenant may hold the same email.
		s := MustSubject(t, h.Store, b, "taken@example.com", "Elsewhere")
		got, err := h.Store.FindSubject(ctx, b, steward.SubjectLookup{Email: "taken@example.com"})
		if err != nil || got.ID != s.ID {
			t.Fatalf("find in other tenant = %v, %v", got, err)
		}
	})
}
