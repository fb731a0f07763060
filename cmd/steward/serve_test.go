package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/httpapi"
	"github.com/stewardhq/steward/keyring"
)

func TestServeSubjectLifecycle(t *testing.T) {
	ts := MustServe(t, "")
	_, token := MustTenant(t, ts.Data, "Acme")
	_, other := MustTenant(t, ts.Data, "Other")

	create := Do(t, "POST", ts.URL+"/v1/subjects", token, map[string]any{
		"kind": "end_user", "source": "registration",
		"email": map[string]any{"value": "Ada@Example.com"},
		"name":  map[string]any{"value": "Ada Lovelace"},
	})
	if create.Status != 201 {
		t.Fatalf("create: %d %s", create.Status, create.Body)
	}
	var sub struct{ ID string }
	create.JSON(t, &sub)

	if r := Do(t, "GET", ts.URL+"/v1/subjects/"+sub.ID, token, nil); r.Status != 200 || !strings.Contains(string(r.Body), "Ada Lovelace") {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	// Another tenant's key sees exactly what an unknown id shows.
	cross := Do(t, "GET", ts.URL+"/v1/subjects/"+sub.ID, other, nil)
	unknown := Do(t, "GET", ts.URL+"/v1/subjects/sub_00000000000000000000000000", other, nil)
	if cross.Status != 404 || unknown.Status != 404 || cross.ErrorCode() != unknown.ErrorCode() {
		t.Fatalf("cross-tenant %d %s, unknown %d %s", cross.Status, cross.Body, unknown.Status, unknown.Body)
	}
	find := Do(t, "GET", ts.URL+"/v1/subjects?email=%20ADA@example.COM", token, nil)
	if find.Status != 200 || !strings.Contains(string(find.Body), sub.ID) {
		t.Fatalf("find: %d %s", find.Status, find.Body)
	}
	del := Do(t, "DELETE", ts.URL+"/v1/subjects/"+sub.ID, token, nil)
	if del.Status != 200 || !strings.Contains(string(del.Body), "destroyed") {
		t.Fatalf("erase: %d %s", del.Status, del.Body)
	}
	if r := Do(t, "GET", ts.URL+"/v1/subjects/"+sub.ID, token, nil); r.Status != 410 || r.ErrorCode() != "gone" {
		t.Fatalf("after erase: %d %s", r.Status, r.Body)
	}
	ts.Stop(t)
	out := MustCLI(t, nil, "audit", "verify", "--data", ts.Data)
	if n := len(regexp.MustCompile(`(?m)^ok +ten_`).FindAllString(out, -1)); n != 2 {
		t.Fatalf("audit verify: %s", out)
	}
}

func TestWrongMasterKeyChangesNothing(t *testing.T) {
	dir := t.TempDir()
	MustTenant(t, dir, "Acme")
	db := filepath.Join(dir, "steward.db")
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	_, text, err := keyring.GenerateMaster()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = runCLI(envFunc("STEWARD_MASTER_KEY", text), "tenant", "list", "--data", dir)
	if !errors.Is(err, keyring.ErrWrongMasterKey) {
		t.Fatalf("err = %v, want wrong master key", err)
	}
	after, _ := os.ReadFile(db)
	if string(before) != string(after) {
		t.Fatal("the store changed after a start with the wrong key")
	}
	// A store whose key file went missing is refused, not given a new key.
	os.Rename(filepath.Join(dir, "master.key"), filepath.Join(dir, "moved.key"))
	if _, _, err := runCLI(nil, "tenant", "list", "--data", dir); err == nil || !strings.Contains(err.Error(), "no master key") {
		t.Fatalf("missing key: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "master.key")); err == nil {
		t.Fatal("a new master key was created for an existing store")
	}
}

// The POST lookup keeps the value out of the URL and answers like the GET.
func TestLookupByBody(t *testing.T) {
	ts := MustServe(t, "")
	_, token := MustTenant(t, ts.Data, "Acme")
	create := Do(t, "POST", ts.URL+"/v1/subjects", token, map[string]any{
		"kind": "end_user", "source": "registration",
		"email": map[string]any{"value": "grace@example.com"}, "username": map[string]any{"value": "grace"},
	})
	if create.Status != 201 {
		t.Fatalf("create: %d %s", create.Status, create.Body)
	}
	var sub struct{ ID string }
	create.JSON(t, &sub)
	for _, tc := range []struct {
		name string
		body string
		code int
		want string
	}{
		{"OK/Email", `{"email": " GRACE@example.com "}`, 200, sub.ID},
		{"OK/Username", `{"username": "Grace"}`, 200, sub.ID},
		{"OK/NoMatch", `{"email": "nobody@example.com"}`, 200, `"data":[]`},
		{"ErrBoth", `{"email": "grace@example.com", "username": "grace"}`, 400, `"invalid"`},
		{"ErrNeither", `{}`, 400, `"invalid"`},
		{"ErrUnknownField", `{"phone": "1"}`, 400, `"unknown_field"`},
		{"ErrBadEmail", `{"email": "not-an-email"}`, 400, `"field":"email"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Do(t, "POST", ts.URL+"/v1/subjects/lookup", token, tc.body)
			if r.Status != tc.code || !strings.Contains(string(r.Body), tc.want) {
				t.Fatalf("%d %s, want %d containing %s", r.Status, r.Body, tc.code, tc.want)
			}
			if tc.code != 200 && strings.Contains(string(r.Body), "not-an-email") {
				t.Fatalf("error echoes the value: %s", r.Body)
			}
		})
	}
	// The client uses the POST lookup.
	c := httpapi.NewClient(ts.URL, token, nil)
	got, err := c.FindSubjectByEmail(context.Background(), "grace@example.com")
	if err != nil || got.ID != sub.ID {
		t.Fatalf("client find = %v, %v", got, err)
	}
	if _, err := c.FindSubjectByUsername(context.Background(), "nobody"); steward.ErrorCode(err) != steward.ENotFound {
		t.Fatalf("client find missing: %v", err)
	}
}
