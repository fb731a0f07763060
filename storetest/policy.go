package storetest

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// testPolicyVersions checks publishing policy versions: the notice period,
// refusal of invalid documents, the switch from one version to the next
// over time, and tenant isolation.
func testPolicyVersions(t *testing.T, open Opener) {
	h := open(t)
	s := h.Store
	ctx := context.Background()
	a, _ := MustTenant(t, s, "Acme")
	b, _ := MustTenant(t, s, "Globex")
	now := time.Now()

	t.Run("DefaultInForce", func(t *testing.T) {
		v, err := s.PolicyInForce(ctx, a.TenantID, now)
		if err != nil {
			t.Fatal(err)
		}
		if v.Version != 0 || v.Document == nil || v.Document.Operator.LegalName != policy.Default().Operator.LegalName {
			t.Fatalf("in force before any publication = version %d, want the default as version 0", v.Version)
		}
		if up, err := s.UpcomingPolicy(ctx, a.TenantID, now); err != nil || up != nil {
			t.Fatalf("upcoming = %v, %v; want none", up, err)
		}
	})

	t.Run("ErrNoticePeriod", func(t *testing.T) {
		before := time.Now()
		_, err := s.PublishPolicy(ctx, a.TenantID, policy.Default(), before.Add(24*time.Hour))
		after := time.Now()
		wantCode(t, err, steward.EInvalid)
		if f := steward.ErrorField(err); f != "effective_at" {
			t.Fatalf("field = %q, want effective_at", f)
		}
		m := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`).FindString(steward.ErrorMessage(err))
		earliest, perr := time.Parse(time.RFC3339, m)
		if perr != nil {
			t.Fatalf("message %q names no RFC 3339 time", steward.ErrorMessage(err))
		}
		// The default promises 30 days' notice.
		lo, hi := before.AddDate(0, 0, 30).Add(-time.Second), after.AddDate(0, 0, 30).Add(time.Second)
		if earliest.Before(lo) || earliest.After(hi) {
			t.Fatalf("earliest = %s, want between %s and %s", earliest, lo, hi)
		}
		if n := h.count(t, `SELECT COUNT(*) FROM policy_versions WHERE tenant_id = ?`, a.TenantID); n != 0 {
			t.Fatalf("%d versions stored after a refusal", n)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		d := policy.Default()
		d.Categories = nil
		d.Operator.LegalName = "[COMPANY]"
		_, err := s.PublishPolicy(ctx, a.TenantID, d, now.AddDate(0, 0, 40))
		wantCode(t, err, steward.EInvalid)
		var ps policy.Problems
		if !errors.As(err, &ps) || len(ps) < 2 {
			t.Fatalf("error = %v, want every problem listed", err)
		}
		if n := h.count(t, `SELECT COUNT(*) FROM policy_versions WHERE tenant_id = ?`, a.TenantID); n != 0 {
			t.Fatalf("%d versions stored after a refusal", n)
		}
	})

	t.Run("OK", func(t *testing.T) {
		at1 := now.AddDate(0, 0, 31).Truncate(time.Second)
		v1, err := s.PublishPolicy(ctx, a.TenantID, policy.Default(), at1)
		if err != nil {
			t.Fatal(err)
		}
		if v1.Version != 1 || !v1.EffectiveAt.Equal(at1) || v1.Document.Version != 1 {
			t.Fatalf("first version = %d at %s, want 1 at %s", v1.Version, v1.EffectiveAt, at1)
		}
		d2 := policy.Default()
		d2.MinimumAge = 16
		at2 := now.AddDate(0, 0, 60).Truncate(time.Second)
		v2, err := s.PublishPolicy(ctx, a.TenantID, d2, at2)
		if err != nil {
			t.Fatal(err)
		}
		if v2.Version != 2 {
			t.Fatalf("second version = %d, want 2", v2.Version)
		}

		for _, tc := range []struct {
			at                time.Time
			inForce, upcoming int
		}{
			{now, 0, 2},
			{at1.Add(-time.Second), 0, 2},
			{at1, 1, 2},
			{now.AddDate(0, 0, 45), 1, 2},
			{at2, 2, 0},
			{now.AddDate(1, 0, 0), 2, 0},
		} {
			v, err := s.PolicyInForce(ctx, a.TenantID, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if v.Version != tc.inForce || v.Document.Version != tc.inForce {
				t.Errorf("in force at %s = %d, want %d", tc.at, v.Version, tc.inForce)
			}
			up, err := s.UpcomingPolicy(ctx, a.TenantID, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if got := 0; up != nil {
				got = up.Version
				if got != tc.upcoming {
					t.Errorf("upcoming at %s = %d, want %d", tc.at, got, tc.upcoming)
				}
			} else if tc.upcoming != 0 {
				t.Errorf("upcoming at %s = none, want %d", tc.at, tc.upcoming)
			}
		}
		v, err := s.PolicyInForce(ctx, a.TenantID, at2)
		if err != nil {
			t.Fatal(err)
		}
		if v.Document.MinimumAge != 16 || v.Document.EffectiveAt == nil || !v.Document.EffectiveAt.Equal(at2) {
			t.Fatalf("version 2 read back with minimum age %d, effective %v", v.Document.MinimumAge, v.Document.EffectiveAt)
		}
		vs, err := s.PolicyVersions(ctx, a.TenantID)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || !vs[1].EffectiveAt.Equal(at2) || vs[0].CreatedAt.IsZero() {
			t.Fatalf("versions = %+v", vs)
		}
		if got, err := s.PolicyVersion(ctx, a.TenantID, 1); err != nil || got.Version != 1 {
			t.Fatalf("version 1 = %v, %v", got, err)
		}
		_, err = s.PolicyVersion(ctx, a.TenantID, 3)
		wantCode(t, err, steward.ENotFound)
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		v, err := s.PolicyInForce(ctx, b.TenantID, now.AddDate(1, 0, 0))
		if err != nil || v.Version != 0 {
			t.Fatalf("other tenant's policy in force = %v, %v; want the default", v, err)
		}
		vs, err := s.PolicyVersions(ctx, b.TenantID)
		if err != nil || len(vs) != 0 {
			t.Fatalf("other tenant's versions = %v, %v; want none", vs, err)
		}
		_, err = s.PolicyVersion(ctx, b.TenantID, 1)
		wantCode(t, err, steward.ENotFound)
		_, err = s.PolicyInForce(ctx, "ten_unknown", now)
		wantCode(t, err, steward.ENotFound)
		_, err = s.PublishPolicy(ctx, "ten_unknown", policy.Default(), now.AddDate(0, 0, 40))
		wantCode(t, err, steward.ENotFound)
		_, err = s.Tenant(ctx, "ten_unknown")
		wantCode(t, err, steward.ENotFound)
		ten, err := s.Tenant(ctx, b.TenantID)
		if err != nil || ten.Name != "Globex" {
			t.Fatalf("tenant = %v, %v", ten, err)
		}
	})
}
