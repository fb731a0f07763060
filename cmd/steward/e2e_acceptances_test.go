package main

import (
	"testing"
	"time"

	"github.com/stewardhq/steward/policy"
)

// acceptanceList is the body of a subject's acceptance listing.
type acceptanceList struct {
	Data []policy.Acceptance `json:"data"`
	Next string              `json:"next"`
}

// latestList is the body of GET /v1/policy/acceptances.
type latestList struct {
	Data []struct {
		SubjectID  string    `json:"subject_id"`
		Version    int       `json:"version"`
		AcceptedAt time.Time `json:"accepted_at"`
		Source     string    `json:"source"`
		Current    bool      `json:"current"`
	} `json:"data"`
	Next string `json:"next"`
}

// TestAcceptancesAPI records policy acceptances through HTTP: the default
// version, then a newly published one, lists them per subject and reads
// each subject's latest, and refuses bad input.
func TestAcceptancesAPI(t *testing.T) {
	ts := MustServe(t, "")
	_, token := MustTenant(t, ts.Data, "Accept Corp")
	_, other := MustTenant(t, ts.Data, "Other Accept Corp")
	sub := MustCreateSubject(t, ts.URL, token, map[string]any{
		"kind": "end_user", "source": "registration",
		"email": map[string]any{"value": "ada@example.com"},
	})
	late := MustCreateSubject(t, ts.URL, token, map[string]any{
		"kind": "end_user", "source": "registration",
		"email": map[string]any{"value": "late@example.com"},
	})
	theirs := MustCreateSubject(t, ts.URL, other, map[string]any{
		"kind": "end_user", "source": "registration",
		"email": map[string]any{"value": "theirs@example.com"},
	})
	url := ts.URL + "/v1/subjects/" + sub.ID + "/policy-acceptances"
	MustStatus(t, Do(t, "PUT", ts.URL+"/v1/policy", token, policyBody(t, nil, time.Now().AddDate(0, 0, 40))), 201, "publish")

	var first, second policy.Acceptance
	t.Run("OK", func(t *testing.T) {
		at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		r := Do(t, "POST", url, token, map[string]any{"version": 0, "accepted_at": at, "source": "paper"}, "Idempotency-Key", "acc-ok-1")
		MustStatus(t, r, 201, "accept version 0")
		r.JSON(t, &first)
		if first.Version != 0 || first.SubjectID != sub.ID || first.Source != "paper" || !first.AcceptedAt.Equal(at) {
			t.Fatalf("recorded %s", r.Body)
		}
		again := Do(t, "POST", url, token, map[string]any{"version": 0, "accepted_at": at, "source": "paper"}, "Idempotency-Key", "acc-ok-1")
		MustStatus(t, again, 201, "replay")
		var replay policy.Acceptance
		again.JSON(t, &replay)
		if again.Header.Get("Idempotent-Replayed") != "true" || replay.ID != first.ID {
			t.Fatalf("replay answered %s", again.Body)
		}
		r = Do(t, "POST", url, token, map[string]any{"version": 1, "source": "web"})
		MustStatus(t, r, 201, "accept version 1")
		r.JSON(t, &second)
		if second.Version != 1 || second.AcceptedAt.Before(first.AcceptedAt) {
			t.Fatalf("recorded %s", r.Body)
		}
		MustStatus(t, Do(t, "POST", ts.URL+"/v1/subjects/"+late.ID+"/policy-acceptances", token, map[string]any{"version": 0, "source": "app"}), 201, "accept default")
	})

	t.Run("List", func(t *testing.T) {
		r := Do(t, "GET", url, token, nil)
		MustStatus(t, r, 200, "list acceptances")
		var got acceptanceList
		r.JSON(t, &got)
		if len(got.Data) != 2 || got.Data[0].ID != second.ID || got.Data[1].ID != first.ID || got.Next != "" {
			t.Fatalf("listed %s", r.Body)
		}
		MustError(t, Do(t, "GET", url, other, nil), 404, "not_found")
	})

	t.Run("Latest", func(t *testing.T) {
		r := Do(t, "GET", ts.URL+"/v1/policy/acceptances", token, nil)
		MustStatus(t, r, 200, "latest acceptances")
		var got latestList
		r.JSON(t, &got)
		if len(got.Data) != 2 {
			t.Fatalf("latest %s", r.Body)
		}
		for _, l := range got.Data {
			switch l.SubjectID {
			case sub.ID:
				// Version 1 is published but not yet in force.
				if l.Version != 1 || l.Source != "web" || l.Current {
					t.Fatalf("latest of the subject %+v", l)
				}
			case late.ID:
				if l.Version != 0 || l.Source != "app" || !l.Current {
					t.Fatalf("latest of the late subject %+v", l)
				}
			default:
				t.Fatalf("unexpected subject %s", l.SubjectID)
			}
		}
		r = Do(t, "GET", ts.URL+"/v1/policy/acceptances", other, nil)
		MustStatus(t, r, 200, "other tenant's latest")
		var none latestList
		r.JSON(t, &none)
		if len(none.Data) != 0 {
			t.Fatalf("other tenant sees %s", r.Body)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			name, field string
			body        map[string]any
		}{
			{"UnknownVersion", "version", map[string]any{"version": 9, "source": "web"}},
			{"MissingVersion", "version", map[string]any{"source": "web"}},
			{"Future", "accepted_at", map[string]any{"version": 0, "source": "web", "accepted_at": time.Now().Add(time.Hour).UTC()}},
			{"BeforePublished", "accepted_at", map[string]any{"version": 1, "source": "web", "accepted_at": time.Now().Add(-time.Hour).UTC()}},
			{"UnknownSource", "source", map[string]any{"version": 0, "source": "fax"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				env := MustError(t, Do(t, "POST", url, token, tc.body), 400, "invalid")
				if env.Error.Field != tc.field {
					t.Fatalf("field = %q, want %q", env.Error.Field, tc.field)
				}
			})
		}
		MustError(t, Do(t, "POST", url, token, `{"version": `), 400, "malformed_json")
		MustError(t, Do(t, "POST", url, token, map[string]any{"version": 0, "source": "web", "extra": 1}), 400, "unknown_field")
		r := Do(t, "GET", url, token, nil)
		var got acceptanceList
		r.JSON(t, &got)
		if len(got.Data) != 2 {
			t.Fatalf("refusals stored acceptances: %s", r.Body)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		MustError(t, Do(t, "POST", ts.URL+"/v1/subjects/"+theirs.ID+"/policy-acceptances", token, map[string]any{"version": 0, "source": "web"}), 404, "not_found")
		MustError(t, Do(t, "POST", ts.URL+"/v1/subjects/nope/policy-acceptances", token, map[string]any{"version": 0, "source": "web"}), 404, "not_found")
	})

	t.Run("ErrGone", func(t *testing.T) {
		MustStatus(t, Do(t, "DELETE", ts.URL+"/v1/subjects/"+late.ID, token, nil), 200, "erase")
		MustError(t, Do(t, "POST", ts.URL+"/v1/subjects/"+late.ID+"/policy-acceptances", token, map[string]any{"version": 0, "source": "web"}), 410, "gone")
		MustError(t, Do(t, "GET", ts.URL+"/v1/subjects/"+late.ID+"/policy-acceptances", token, nil), 410, "gone")
	})
}
