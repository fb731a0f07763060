package main

import (
	"testing"

	"github.com/stewardhq/steward"
)

// TestPolicyEnforcement checks through HTTP that the tenant's policy in
// force (the built-in default) decides what may be stored and for which
// purposes a subject may be read.
func TestPolicyEnforcement(t *testing.T) {
	ts := MustServe(t, "")
	_, token := MustTenant(t, ts.Data, "Enforced Corp")
	sub := MustCreateSubject(t, ts.URL, token, map[string]any{
		"kind": "end_user", "source": "registration",
		"email":      map[string]any{"value": "erin@example.com"},
		"attributes": map[string]any{"shoe_size": map[string]any{"value": "41", "source": "survey"}},
	})
	path := ts.URL + "/v1/subjects/" + sub.ID

	t.Run("ErrSourceNotAllowed", func(t *testing.T) {
		r := Do(t, "POST", ts.URL+"/v1/subjects", token, map[string]any{
			"kind": "end_user", "source": "form",
			"email":           map[string]any{"value": "frank@example.com"},
			"billing_address": map[string]any{"value": map[string]any{"city": "Springfield"}, "source": "fraud_detection_provider"},
		})
		env := MustError(t, r, 422, "unprocessable")
		if env.Error.Field != "billing_address.source" {
			t.Fatalf("field %q, want billing_address.source", env.Error.Field)
		}
		found := Do(t, "POST", ts.URL+"/v1/subjects/lookup", token, map[string]any{"email": "frank@example.com"})
		MustStatus(t, found, 200, "lookup of the refused subject")
		var l struct{ Data []*steward.Subject }
		if found.JSON(t, &l); len(l.Data) != 0 {
			t.Fatalf("refused subject was stored: %s", found.Body)
		}
	})
	t.Run("ErrSourceNotAllowedOnPatch", func(t *testing.T) {
		r := Do(t, "PATCH", path, token, `{"name":{"value":"Erin","source":"visit"}}`, "Content-Type", "application/merge-patch+json")
		env := MustError(t, r, 422, "unprocessable")
		if env.Error.Field != "name.source" {
			t.Fatalf("field %q, want name.source", env.Error.Field)
		}
	})
	t.Run("ErrUndeclaredPurpose", func(t *testing.T) {
		before := len(mustAuditEntries(t, ts.URL, token, sub.ID))
		env := MustError(t, Do(t, "GET", path, token, nil, "X-Purpose", "mind.reading"), 422, "unprocessable")
		if env.Error.Field != "purpose" {
			t.Fatalf("field %q, want purpose", env.Error.Field)
		}
		MustError(t, Do(t, "GET", path+"?purpose=mind.reading", token, nil), 422, "unprocessable")
		if after := len(mustAuditEntries(t, ts.URL, token, sub.ID)); after != before {
			t.Fatalf("refused reads audited: %d entries, want %d", after, before)
		}
	})
	t.Run("OK", func(t *testing.T) {
		r := Do(t, "GET", path, token, nil, "X-Purpose", "essential.service.operations.support")
		MustStatus(t, r, 200, "read with a declared purpose")
		es := mustAuditEntries(t, ts.URL, token, sub.ID)
		if last := es[len(es)-1]; last.Action != steward.ActionRead || last.Purpose != "essential.service.operations.support" {
			t.Fatalf("last audit entry %+v, want the read with its purpose", last)
		}
	})
}
