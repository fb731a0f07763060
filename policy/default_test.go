package policy

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"testing"

	"github.com/stewardhq/steward"
)

var update = flag.Bool("update", false, "rewrite default.json in canonical form")

func TestDefault(t *testing.T) {
	t.Run("Validates", func(t *testing.T) {
		d, ps := Check(defaultJSON)
		for _, p := range ps {
			t.Errorf("%s [%s]", p, p.Code)
		}
		if d == nil || len(Validate(Default())) != 0 {
			t.Fatal("Default() does not validate")
		}
	})
	t.Run("Canonical", func(t *testing.T) {
		// default.json is kept exactly as Marshal writes it, so `steward
		// policy init` prints the file byte for byte and diffs stay small.
		d, ps := Check(defaultJSON)
		if d == nil {
			t.Fatalf("default.json does not decode: %v", ps)
		}
		b, err := Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile("default.json", b, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		if !bytes.Equal(b, defaultJSON) {
			t.Fatal("default.json is not in canonical form; run go test ./policy -run TestDefault/Canonical -update")
		}
	})
	t.Run("FreshCopy", func(t *testing.T) {
		a := Default()
		a.Categories[0].Key = "changed"
		if Default().Categories[0].Key == "changed" {
			t.Fatal("Default shares state between calls")
		}
	})
}

// TestDefaultSeedPromises checks the seed's concrete promises one by one,
// so a later edit cannot quietly weaken them.
func TestDefaultSeedPromises(t *testing.T) {
	d := Default()
	category := func(key string) *Category {
		for i := range d.Categories {
			if d.Categories[i].Key == key {
				return &d.Categories[i]
			}
		}
		t.Fatalf("no category %s", key)
		return nil
	}
	rulesFor := func(key string) []RetentionRule {
		var rs []RetentionRule
		for _, r := range d.Retention {
			if slices.Contains(r.Categories, key) {
				rs = append(rs, r)
			}
		}
		return rs
	}
	hasRule := func(key string, dur Duration, clock Clock) bool {
		return slices.ContainsFunc(rulesFor(key), func(r RetentionRule) bool { return r.Duration == dur && r.Clock == clock })
	}

	t.Run("Operator", func(t *testing.T) {
		o := d.Operator
		if o.LegalName != "JSC MST" || o.Country != "RU" || o.GoverningLaw != "RU" || o.Address.City != "Nizhnij Novgorod" {
			t.Errorf("operator = %+v", o)
		}
		want := []Contact{{"email", "support@mst.software"}, {"url", "https://mst.software/contacts"}}
		if !slices.Equal(o.Contact, want) {
			t.Errorf("contact = %v, want %v", o.Contact, want)
		}
	})
	t.Run("Categories", func(t *testing.T) {
		for key, f := range map[string]string{"user.name": "name", "user.account.username": "username", "user.contact.email": "email", "user.contact.address": "billing_address", "user.content.private": "messages"} {
			if c := category(key); !slices.Contains(c.Fields, f) {
				t.Errorf("%s fields = %v, want %s", key, c.Fields, f)
			}
		}
		for _, key := range []string{"user.device", "user.behavior.browsing_history", "user.financial.credit_card"} {
			category(key)
		}
	})
	t.Run("Sources", func(t *testing.T) {
		for _, s := range []string{"registration", "order", "newsletter", "survey", "form", "social_network"} {
			if !slices.Contains(category("user.name").Sources, steward.Source(s)) {
				t.Errorf("user.name does not allow source %s", s)
			}
		}
		if !slices.Contains(category("user.contact.email").Sources, SourceFraudDetection) {
			t.Error("email does not allow the fraud-detection provider")
		}
	})
	t.Run("OrderEmailOnlyForTheOrder", func(t *testing.T) {
		c := category("user.contact.email")
		i := slices.IndexFunc(c.Limits, func(l SourceLimit) bool { return l.Source == "order" })
		if i < 0 || slices.Contains(c.Limits[i].Purposes, "marketing.communications.email") || !slices.Contains(c.Limits[i].Purposes, "essential.service.notifications.email") {
			t.Errorf("email limits = %+v", c.Limits)
		}
	})
	t.Run("SixPurposes", func(t *testing.T) {
		for _, key := range []string{"personalize", "functional.service.improve", "essential.service.operations.improve", "essential.service.payment_processing", "marketing", "marketing.communications.email"} {
			if !slices.ContainsFunc(d.Purposes, func(p Purpose) bool { return p.Key == key }) {
				t.Errorf("purpose %s missing", key)
			}
		}
	})
	t.Run("RecipientKinds", func(t *testing.T) {
		for _, k := range RecipientKinds {
			if !slices.ContainsFunc(d.Recipients, func(r Recipient) bool { return r.Kind == k }) {
				t.Errorf("no recipient of kind %s", k)
			}
		}
	})
	t.Run("Retention", func(t *testing.T) {
		for _, key := range []string{"user.name", "user.account.username", "user.contact.email", "user.contact.address", "user.content.private"} {
			if !hasRule(key, "P6Y", ClockCollection) || !hasRule(key, "P60D", ClockAccountDeletion) {
				t.Errorf("%s rules = %+v", key, rulesFor(key))
			}
		}
		for _, key := range []string{"user.financial.credit_card", "user.financial.bank_account", "user.government_id.national_identification_number"} {
			if rs := rulesFor(key); len(rs) != 1 || !neverKept(rs[0]) {
				t.Errorf("%s rules = %+v, want only never kept", key, rs)
			}
		}
	})
	t.Run("Numbers", func(t *testing.T) {
		if d.MinimumAge != 13 || d.Requests.Deadline != "P1M" || d.Changes.NoticePeriod == "" || d.SellsPersonalData {
			t.Errorf("minimum_age %d, deadline %s, notice %s, sells %v", d.MinimumAge, d.Requests.Deadline, d.Changes.NoticePeriod, d.SellsPersonalData)
		}
	})
	t.Run("Tracking", func(t *testing.T) {
		for _, k := range TrackingKinds {
			if !slices.ContainsFunc(d.Tracking, func(tr Tracker) bool { return tr.Kind == k }) {
				t.Errorf("no tracker of kind %s", k)
			}
		}
	})
	t.Run("Assumptions", func(t *testing.T) {
		// Every value the seed did not state is declared as an assumption.
		for _, ref := range []string{"changes.notice_period", "requests.extension", "transfers.storage_countries", "retention/personal-data"} {
			if !slices.ContainsFunc(d.Assumptions, func(a Assumption) bool { return a.Ref == ref }) {
				t.Errorf("no assumption recorded for %s", ref)
			}
		}
	})
}

// BenchmarkParseDefault measures what publishing a policy of the seed's size
// costs: strict decoding plus every validation check.
func BenchmarkParseDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Parse(defaultJSON); err != nil {
			b.Fatal(err)
		}
	}
}
