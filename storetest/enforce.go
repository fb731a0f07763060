package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// testEnforcement checks that writes and reads obey the tenant's policy in
// force (here the built-in default, since a published version cannot take
// effect before its notice period ends): a value from a source its
// category does not allow and a purpose the policy does not declare are
// refused with "unprocessable" naming the field, nothing is stored and
// nothing is audited.
func testEnforcement(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	sub := MustSubject(t, h.Store, a, "ada@example.com", "Ada")
	before := len(allEntries(t, h.Store, a.TenantID, ""))

	refused := func(t *testing.T, err error, field string) {
		t.Helper()
		var e *steward.Error
		if err == nil || steward.ErrorCode(err) != steward.EUnprocessable {
			t.Fatalf("err = %v, want unprocessable", err)
		}
		if e = err.(*steward.Error); e.Field != field {
			t.Fatalf("field = %q, want %q", e.Field, field)
		}
	}
	bad := steward.Actor{TenantID: a.TenantID, KeyID: a.KeyID, Purpose: "mind.reading"}

	t.Run("ErrSourceOnCreate", func(t *testing.T) {
		in := steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceRegistration,
			Email:          &steward.Field[string]{Value: "grace@example.com"},
			BillingAddress: &steward.Field[steward.Address]{Value: steward.Address{City: "Arlington"}, Source: steward.SourceFraudDetection}}
		s, err := in.Subject(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = h.Store.CreateSubject(ctx, a, s, nil)
		refused(t, err, "billing_address.source")
		if _, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: "grace@example.com"}); steward.ErrorCode(err) != steward.ENotFound {
			t.Fatalf("refused subject was stored: %v", err)
		}
	})
	t.Run("ErrSourceOnUpdate", func(t *testing.T) {
		_, err := h.Store.UpdateSubject(ctx, a, sub.ID, &steward.SubjectPatch{
			Name: steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "Ada King", Source: steward.SourcePaymentProvider}},
		})
		refused(t, err, "name.source")
	})
	t.Run("ErrPurposeOnCreate", func(t *testing.T) {
		in := steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm, Email: &steward.Field[string]{Value: "hedy@example.com"}}
		s, err := in.Subject(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = h.Store.CreateSubject(ctx, bad, s, nil)
		refused(t, err, "purpose")
	})
	t.Run("ErrPurposeOnRead", func(t *testing.T) {
		_, err := h.Store.Subject(ctx, bad, sub.ID)
		refused(t, err, "purpose")
		_, err = h.Store.FindSubject(ctx, bad, steward.SubjectLookup{Email: "ada@example.com"})
		refused(t, err, "purpose")
		_, _, err = h.Store.Subjects(ctx, bad, steward.Page{})
		refused(t, err, "purpose")
		_, _, err = h.Store.Messages(ctx, bad, sub.ID, steward.Page{})
		refused(t, err, "purpose")
	})
	t.Run("NothingStoredOrAudited", func(t *testing.T) {
		got, err := h.Store.Subject(ctx, a, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Profile.Name.Value != "Ada" {
			t.Fatalf("refused update was stored: name %q", got.Profile.Name.Value)
		}
		// The read just made is the one new entry.
		if n := len(allEntries(t, h.Store, a.TenantID, "")); n != before+1 {
			t.Fatalf("%d audit entries after refusals, want %d", n, before+1)
		}
	})
	t.Run("OK", func(t *testing.T) {
		ok := a
		ok.Purpose = "essential.service.operations.support"
		if _, err := h.Store.Subject(ctx, ok, sub.ID); err != nil {
			t.Fatal(err)
		}
		es := allEntries(t, h.Store, a.TenantID, sub.ID)
		if last := es[len(es)-1]; last.Action != steward.ActionRead || last.Purpose != ok.Purpose {
			t.Fatalf("last entry %+v, want a read with the purpose", last)
		}
		up, err := h.Store.UpdateSubject(ctx, ok, sub.ID, &steward.SubjectPatch{
			Source:     steward.SourceSocialNetwork,
			Username:   steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "ada_l"}},
			Attributes: map[string]*steward.Field[string]{"shoe_size": {Value: "38", Source: steward.SourceSurvey}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.Profile.Username.Source != steward.SourceSocialNetwork {
			t.Fatalf("username source %q", up.Profile.Username.Source)
		}
	})
}

// testEnforcementPublished checks that a tenant's own version, once in
// force, replaces the default's rules: an attribute its categories do not
// name is refused. The store only lets a version take effect after the
// notice period, so the test writes one that took effect an hour ago
// straight into the database.
func testEnforcementPublished(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	d := policy.Default()
	for i := range d.Categories {
		if d.Categories[i].Key == "user.demographic.profile" {
			d.Categories[i].Fields = []string{"attributes.plan"}
		}
	}
	past := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	d.Version, d.EffectiveAt = 1, &past
	if ps := policy.Validate(d); len(ps) > 0 {
		t.Fatal(policy.Problems(ps))
	}
	b, err := policy.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Raw.ExecContext(ctx, h.Rebind(`INSERT INTO policy_versions (tenant_id, version, document, effective_at, created_at) VALUES (?, ?, ?, ?, ?)`),
		a.TenantID, 1, b, past.UnixMicro(), past.UnixMicro()); err != nil {
		t.Fatal(err)
	}
	v, err := h.Store.PolicyInForce(ctx, a.TenantID, time.Now())
	if err != nil || v.Version != 1 {
		t.Fatalf("policy in force: %v, %v", v, err)
	}
	attrs := func(names ...string) *steward.SubjectInput {
		in := &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm, Attributes: map[string]steward.Field[string]{}}
		for _, n := range names {
			in.Attributes[n] = steward.Field[string]{Value: "x"}
		}
		return in
	}
	t.Run("OK", func(t *testing.T) {
		MustCreate(t, h.Store, a, attrs("plan"))
	})
	t.Run("ErrUndeclaredAttribute", func(t *testing.T) {
		before := len(allEntries(t, h.Store, a.TenantID, ""))
		s, err := attrs("plan", "shoe_size").Subject(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = h.Store.CreateSubject(ctx, a, s, nil)
		var e *steward.Error
		if !errors.As(err, &e) || e.Code != steward.EUnprocessable || e.Field != "attributes.shoe_size" {
			t.Fatalf("err = %v, want unprocessable naming attributes.shoe_size", err)
		}
		if after := len(allEntries(t, h.Store, a.TenantID, "")); after != before {
			t.Fatalf("%d audit entries after the refusal, want %d", after, before)
		}
	})
}
