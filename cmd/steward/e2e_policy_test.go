package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/httpapi"
	"github.com/stewardhq/steward/notice"
	"github.com/stewardhq/steward/policy"
)

// policyBody returns the default policy as a PUT /v1/policy body taking
// effect at at.
func policyBody(tb testing.TB, edit func(*policy.Document), at time.Time) []byte {
	tb.Helper()
	d := policy.Default()
	if edit != nil {
		edit(d)
	}
	d.EffectiveAt = &at
	b, err := policy.Marshal(d)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestPolicyAPI publishes policy versions through HTTP: the default in
// force, the notice period, a refused document with every problem listed,
// and the versions list.
func TestPolicyAPI(t *testing.T) {
	ts := MustServe(t, "")
	_, token := MustTenant(t, ts.Data, "Policy Corp")
	_, other := MustTenant(t, ts.Data, "Other Corp")

	t.Run("Schema", func(t *testing.T) {
		MustStatus(t, Do(t, "GET", ts.URL+"/v1/policy/schema", "", nil), 401, "schema without a key")
		r := Do(t, "GET", ts.URL+"/v1/policy/schema", token, nil)
		MustStatus(t, r, 200, "schema")
		if string(r.Body) != string(policy.Schema()) {
			t.Error("served schema differs from policy.Schema()")
		}
	})

	t.Run("Default", func(t *testing.T) {
		r := Do(t, "GET", ts.URL+"/v1/policy", token, nil)
		MustStatus(t, r, 200, "get policy")
		d, err := policy.Parse(r.Body)
		if err != nil {
			t.Fatalf("GET /v1/policy is not a valid policy document: %v", err)
		}
		if d.Version != 0 || d.EffectiveAt != nil {
			t.Fatalf("default answered as version %d effective %v", d.Version, d.EffectiveAt)
		}
		MustError(t, Do(t, "GET", ts.URL+"/v1/policy", "", nil), 401, "unauthorized")
	})

	t.Run("ErrNoticePeriod", func(t *testing.T) {
		r := Do(t, "PUT", ts.URL+"/v1/policy", token, policyBody(t, nil, time.Now().Add(time.Hour)))
		env := MustError(t, r, 400, "invalid")
		if env.Error.Field != "effective_at" || !strings.Contains(env.Error.Message, time.Now().AddDate(0, 0, 30).Format("2006-01-02")) {
			t.Fatalf("refusal does not name the earliest date: %s", r.Body)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		body := policyBody(t, func(d *policy.Document) {
			d.Operator.LegalName = "[COMPANY]"
			d.MinimumAge = -1
		}, time.Now().AddDate(0, 0, 40))
		r := Do(t, "PUT", ts.URL+"/v1/policy", token, body)
		MustError(t, r, 400, "invalid")
		var env struct {
			Error struct {
				Field    string           `json:"field"`
				Problems []policy.Problem `json:"problems"`
			} `json:"error"`
		}
		r.JSON(t, &env)
		if len(env.Error.Problems) < 2 || env.Error.Field != env.Error.Problems[0].Path {
			t.Fatalf("problems not all listed: %s", r.Body)
		}
		MustError(t, Do(t, "PUT", ts.URL+"/v1/policy", token, `{"operator": `), 400, "malformed_json")
		noDate := policyBody(t, nil, time.Now())
		var m map[string]any
		json.Unmarshal(noDate, &m)
		delete(m, "effective_at")
		env2 := MustError(t, Do(t, "PUT", ts.URL+"/v1/policy", token, m), 400, "invalid")
		if env2.Error.Field != "effective_at" {
			t.Fatalf("missing effective_at: field %q", env2.Error.Field)
		}
	})

	t.Run("OK", func(t *testing.T) {
		at := time.Now().AddDate(0, 0, 31).UTC().Truncate(time.Second)
		r := Do(t, "PUT", ts.URL+"/v1/policy", token, policyBody(t, func(d *policy.Document) {
			d.MinimumAge = 16
			d.Retention[0].Duration = "P5Y"
		}, at))
		MustStatus(t, r, 201, "publish")
		var d policy.Document
		r.JSON(t, &d)
		if d.Version != 1 || d.EffectiveAt == nil || !d.EffectiveAt.Equal(at) || d.MinimumAge != 16 {
			t.Fatalf("published version %d effective %v", d.Version, d.EffectiveAt)
		}
		// Not yet in force.
		r = Do(t, "GET", ts.URL+"/v1/policy", token, nil)
		MustStatus(t, r, 200, "get policy")
		var cur policy.Document
		r.JSON(t, &cur)
		if cur.Version != 0 {
			t.Fatalf("in force = version %d, want the default until %s", cur.Version, at)
		}
		r = Do(t, "GET", ts.URL+"/v1/policy/versions", token, nil)
		MustStatus(t, r, 200, "versions")
		var list struct {
			Data []policy.VersionInfo `json:"data"`
		}
		r.JSON(t, &list)
		if len(list.Data) != 1 || list.Data[0].Version != 1 || !list.Data[0].EffectiveAt.Equal(at) {
			t.Fatalf("versions = %s", r.Body)
		}
		r = Do(t, "GET", ts.URL+"/v1/policy/diff?from=0&to=1", token, nil)
		MustStatus(t, r, 200, "diff")
		var diff httpapi.PolicyDiffResponse
		r.JSON(t, &diff)
		if diff.From != 0 || diff.To != 1 || len(diff.Retention.Changed) != 1 || diff.Retention.Changed[0].Key != "personal-data" ||
			len(diff.Categories.Added)+len(diff.Categories.Removed)+len(diff.Categories.Changed) != 0 {
			t.Fatalf("diff = %s", r.Body)
		}
		MustError(t, Do(t, "GET", ts.URL+"/v1/policy/diff?from=0&to=2", token, nil), 404, "not_found")
		MustError(t, Do(t, "GET", ts.URL+"/v1/policy/diff?from=0&to=1", other, nil), 404, "not_found")
		MustError(t, Do(t, "GET", ts.URL+"/v1/policy/diff?from=x&to=1", token, nil), 400, "invalid")
		MustError(t, Do(t, "GET", ts.URL+"/v1/policy/diff?to=1", token, nil), 400, "invalid")
		r = Do(t, "GET", ts.URL+"/v1/policy/versions", other, nil)
		MustStatus(t, r, 200, "other tenant's versions")
		r.JSON(t, &list)
		if len(list.Data) != 0 {
			t.Fatalf("other tenant sees versions: %s", r.Body)
		}
	})

	t.Run("Disposals", func(t *testing.T) {
		// A version that drops a category flags it for disposal and leaves
		// the data already stored as it was.
		const dropped = "user.financial.bank_account"
		sub := MustCreateSubject(t, ts.URL, token, map[string]any{
			"kind": "end_user", "source": "registration",
			"email": map[string]any{"value": "kept@example.com"},
		})
		r := Do(t, "GET", ts.URL+"/v1/policy/disposals", token, nil)
		MustStatus(t, r, 200, "disposals before")
		var list struct {
			Data []policy.DisposalFlag `json:"data"`
			Next *string               `json:"next"`
		}
		r.JSON(t, &list)
		if len(list.Data) != 0 || list.Next == nil || *list.Next != "" {
			t.Fatalf("disposals before = %s", r.Body)
		}
		at := time.Now().AddDate(0, 0, 32).UTC().Truncate(time.Second)
		r = Do(t, "PUT", ts.URL+"/v1/policy", token, policyBody(t, func(d *policy.Document) {
			drop := func(keys []string) []string {
				return slices.DeleteFunc(keys, func(k string) bool { return k == dropped })
			}
			d.Categories = slices.DeleteFunc(d.Categories, func(c policy.Category) bool { return c.Key == dropped })
			for i := range d.Purposes {
				d.Purposes[i].Categories = drop(d.Purposes[i].Categories)
			}
			for i := range d.Recipients {
				d.Recipients[i].Categories = drop(d.Recipients[i].Categories)
			}
			for i := range d.Retention {
				d.Retention[i].Categories = drop(d.Retention[i].Categories)
			}
			for i := range d.Tracking {
				d.Tracking[i].Categories = drop(d.Tracking[i].Categories)
			}
		}, at))
		MustStatus(t, r, 201, "publish a version dropping "+dropped)
		var v policy.Document
		r.JSON(t, &v)
		r = Do(t, "GET", ts.URL+"/v1/policy/disposals", token, nil)
		MustStatus(t, r, 200, "disposals")
		r.JSON(t, &list)
		if len(list.Data) != 1 {
			t.Fatalf("disposals = %s, want one", r.Body)
		}
		f := list.Data[0]
		if !strings.HasPrefix(f.ID, "dsp_") || f.Category != dropped || f.DroppedInVersion != v.Version || !f.EffectiveAt.Equal(at) ||
			f.FlaggedAt.IsZero() || f.ResolvedAt != nil || !strings.Contains(string(r.Body), `"resolved_at":null`) {
			t.Fatalf("disposal = %s", r.Body)
		}
		got := Do(t, "GET", ts.URL+"/v1/subjects/"+sub.ID, token, nil)
		MustStatus(t, got, 200, "subject after the publication")
		if !strings.Contains(string(got.Body), "kept@example.com") {
			t.Fatalf("subject after the publication = %s", got.Body)
		}
		r = Do(t, "GET", ts.URL+"/v1/policy/disposals", other, nil)
		MustStatus(t, r, 200, "other tenant's disposals")
		r.JSON(t, &list)
		if len(list.Data) != 0 {
			t.Fatalf("other tenant sees disposals: %s", r.Body)
		}
		MustError(t, Do(t, "GET", ts.URL+"/v1/policy/disposals", "", nil), 401, "unauthorized")
	})
}

// TestPrivacyNotice serves the public notice pages: the version in force,
// the announcement of a scheduled one, Markdown, and 404 for anyone else.
func TestPrivacyNotice(t *testing.T) {
	ts := MustServe(t, "")
	id, token := MustTenant(t, ts.Data, "Notice Corp")

	t.Run("OK", func(t *testing.T) {
		r := Do(t, "GET", ts.URL+"/privacy/"+id, "", nil)
		MustStatus(t, r, 200, "notice")
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if !strings.Contains(string(r.Body), "Notice Corp") || strings.Contains(string(r.Body), `id="`+notice.UpcomingID+`"`) {
			t.Fatalf("notice before any publication lacks the tenant or announces a change")
		}
		r = Do(t, "GET", ts.URL+"/privacy/"+id+".md", "", nil)
		MustStatus(t, r, 200, "markdown notice")
		if ct := r.Header.Get("Content-Type"); ct != "text/markdown; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if !strings.HasPrefix(string(r.Body), "#") {
			t.Errorf("markdown notice starts %q", string(r.Body[:min(40, len(r.Body))]))
		}
	})

	t.Run("Upcoming", func(t *testing.T) {
		at := time.Now().AddDate(0, 0, 45).UTC().Truncate(time.Second)
		MustStatus(t, Do(t, "PUT", ts.URL+"/v1/policy", token, policyBody(t, func(d *policy.Document) { d.MinimumAge = 16 }, at)), 201, "publish")
		r := Do(t, "GET", ts.URL+"/privacy/"+id, "", nil)
		MustStatus(t, r, 200, "notice")
		page := string(r.Body)
		if !strings.Contains(page, `id="`+notice.UpcomingID+`"`) {
			t.Fatalf("the scheduled version is not announced")
		}
		// The page still shows the default's minimum age, 13, not 16.
		var want, got bytes.Buffer
		notice.RenderHTML(&want, policy.Default(), notice.Options{TenantName: "Notice Corp", Upcoming: &notice.Upcoming{Version: 1, EffectiveAt: at}})
		got.WriteString(page)
		if got.String() != want.String() {
			t.Fatalf("served notice differs from the default rendered with the announcement")
		}
		md := Do(t, "GET", ts.URL+"/privacy/"+id+".md", "", nil)
		MustStatus(t, md, 200, "markdown notice")
		if !strings.Contains(string(md.Body), "{#"+notice.UpcomingID+"}") {
			t.Fatalf("the markdown notice does not announce the scheduled version")
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		for _, p := range []string{"/privacy/ten_00000000000000000000000000", "/privacy/ten_00000000000000000000000000.md", "/privacy/nonsense", "/privacy/" + id + ".html"} {
			MustError(t, Do(t, "GET", ts.URL+p, "", nil), 404, "not_found")
		}
	})
}
