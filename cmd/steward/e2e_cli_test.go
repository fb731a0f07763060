package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/httpapi"
)

func TestCLITenants(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := MustCLI(t, nil, "tenant", "create", "--name", "Text Tenant", "--data", dir)
	m := regexp.MustCompile(`(?m)^tenant +(ten_[0-9a-v]{26}) \(Text Tenant\)\napi key +(stw_\S+)$`).FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, "shown only this once") {
		t.Fatalf("tenant create printed:\n%s", text)
	}
	textID := m[1]
	jsonID, _, keyID := MustTenantArgs(t, "JSON Tenant", "--data", dir)
	if !steward.ValidID("key", keyID) {
		t.Errorf("api_key_id %q", keyID)
	}

	list := MustCLI(t, nil, "tenant", "list", "--data", dir)
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^ID +NAME +CREATED$`).MatchString(lines[0]) {
		t.Fatalf("tenant list printed:\n%s", list)
	}
	for _, want := range []string{textID + "  Text Tenant", jsonID + "  JSON Tenant"} {
		if !strings.Contains(list, want) {
			t.Errorf("tenant list lacks %q:\n%s", want, list)
		}
	}
	var ts []steward.Tenant
	if err := json.Unmarshal([]byte(MustCLI(t, nil, "tenant", "list", "--json", "--data", dir)), &ts); err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].ID != textID || ts[1].ID != jsonID || ts[1].Name != "JSON Tenant" || ts[0].CreatedAt.IsZero() {
		t.Errorf("tenant list --json: %+v", ts)
	}
	// A missing name and a bad one are refused, and create nothing.
	if _, _, err := runCLI(nil, "tenant", "create", "--data", dir); err == nil {
		t.Error("tenant create without --name succeeded")
	}
	if _, _, err := runCLI(nil, "tenant", "create", "--name", "bad\u202Ename", "--data", dir); steward.ErrorCode(err) != steward.EInvalid {
		t.Errorf("tenant create with a bidi override: %v", err)
	}
	if _, _, err := runCLI(nil, "tenant", "frobnicate", "--data", dir); err == nil {
		t.Error("an unknown tenant command succeeded")
	}
	json.Unmarshal([]byte(MustCLI(t, nil, "tenant", "list", "--json", "--data", dir)), &ts)
	if len(ts) != 2 {
		t.Errorf("%d tenants after refused creates, want 2", len(ts))
	}
}

func TestCLIKeys(t *testing.T) {
	t.Parallel()
	ts := MustServe(t, "")
	tenantID, first, firstID := MustTenantArgs(t, "Keyed", "--data", ts.Data)
	var k struct {
		ID       string `json:"id"`
		TenantID string `json:"tenant_id"`
		Name     string `json:"name"`
		APIKey   string `json:"api_key"`
	}
	out := MustCLI(t, nil, "key", "create", "--tenant", tenantID, "--name", "ci-deploy", "--json", "--data", ts.Data)
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.TenantID != tenantID || k.Name != "ci-deploy" || !strings.HasPrefix(k.APIKey, "stw_") {
		t.Fatalf("key create --json printed %q", out)
	}
	for _, tok := range []string{first, k.APIKey} {
		MustStatus(t, Do(t, "GET", ts.URL+"/v1/subjects", tok, nil), 200, "a fresh key")
	}
	var keys []steward.APIKey
	if err := json.Unmarshal([]byte(MustCLI(t, nil, "key", "list", "--tenant", tenantID, "--json", "--data", ts.Data)), &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != firstID || keys[1].ID != k.ID || keys[0].RevokedAt != nil || keys[1].RevokedAt != nil {
		t.Fatalf("key list --json: %+v", keys)
	}
	if strings.Contains(MustCLI(t, nil, "key", "list", "--tenant", tenantID, "--json", "--data", ts.Data), "stw_") {
		t.Error("key list shows a secret")
	}

	var rev struct {
		ID      string `json:"id"`
		Revoked bool   `json:"revoked"`
	}
	out = MustCLI(t, nil, "key", "revoke", "--tenant", tenantID, "--key", k.ID, "--json", "--data", ts.Data)
	if err := json.Unmarshal([]byte(out), &rev); err != nil || rev.ID != k.ID || !rev.Revoked {
		t.Fatalf("key revoke --json printed %q", out)
	}
	// Revocation holds from the very next request; the other key works on.
	MustError(t, Do(t, "GET", ts.URL+"/v1/subjects", k.APIKey, nil), 401, "unauthorized")
	MustStatus(t, Do(t, "GET", ts.URL+"/v1/subjects", first, nil), 200, "the other key")
	json.Unmarshal([]byte(MustCLI(t, nil, "key", "list", "--tenant", tenantID, "--json", "--data", ts.Data)), &keys)
	if len(keys) != 2 || keys[0].RevokedAt != nil || keys[1].RevokedAt == nil {
		t.Errorf("key list after revoke: %+v", keys)
	}
	text := MustCLI(t, nil, "key", "list", "--tenant", tenantID, "--data", ts.Data)
	if !regexp.MustCompile(`(?m)^ID +NAME +CREATED +REVOKED$`).MatchString(text) ||
		!regexp.MustCompile(`(?m)^`+k.ID+` +ci-deploy +\S+ +\d{4}-\d\d-\d\dT`).MatchString(text) ||
		!regexp.MustCompile(`(?m)^`+firstID+` +default +\S+ +-$`).MatchString(text) {
		t.Errorf("key list printed:\n%s", text)
	}

	// Unknown keys and tenants are errors, not silent successes.
	if _, _, err := runCLI(nil, "key", "revoke", "--tenant", tenantID, "--key", steward.NewID("key"), "--data", ts.Data); steward.ErrorCode(err) != steward.ENotFound {
		t.Errorf("revoking an unknown key: %v", err)
	}
	if _, _, err := runCLI(nil, "key", "create", "--tenant", steward.NewID("ten"), "--data", ts.Data); steward.ErrorCode(err) != steward.ENotFound {
		t.Errorf("a key for an unknown tenant: %v", err)
	}
	if _, _, err := runCLI(nil, "key", "list", "--data", ts.Data); err == nil {
		t.Error("key list without --tenant succeeded")
	}
	if _, _, err := runCLI(nil, "key", "revoke", "--tenant", tenantID, "--data", ts.Data); err == nil {
		t.Error("key revoke without --key succeeded")
	}
}

// TestCLIRotateWhileServing rotates every tenant key while a client keeps
// creating and reading subjects: no request may fail, and every subject
// reads back afterwards.
func TestCLIRotateWhileServing(t *testing.T) {
	t.Parallel()
	ts := MustServe(t, "")
	_, token, _ := MustTenantArgs(t, "Rotating", "--data", ts.Data)
	_, other, _ := MustTenantArgs(t, "Rotating Too", "--data", ts.Data)
	var mu sync.Mutex
	subjects := map[string]string{} // id → email, across both tenants' tokens
	tokens := map[string]string{}
	// Enough subjects that the rotation re-wraps them in several batches,
	// between which the server's writes go on.
	const preload = 1200
	var wg sync.WaitGroup
	var preloadErr atomic.Value
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < preload; i += 8 {
				tok := token
				if i%4 == 0 {
					tok = other
				}
				email := fmt.Sprintf("before%04d@rotate.example", i)
				r, err := tryDo("POST", ts.URL+"/v1/subjects", tok, map[string]any{"kind": "end_user", "source": "form", "email": map[string]any{"value": email}})
				var s steward.Subject
				if err != nil || r.Status != 201 || json.Unmarshal(r.Body, &s) != nil {
					preloadErr.Store(fmt.Sprintf("preload %s: %v %v", email, err, r))
					return
				}
				mu.Lock()
				subjects[s.ID], tokens[s.ID] = email, tok
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if v := preloadErr.Load(); v != nil {
		t.Fatal(v)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var failures []string
	var rounds [][2]time.Time // Start and end of each client round.
	for w := range 2 {
		wg.Go(func() {
			fail := func(what string, r *apiResponse, err error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failures = append(failures, fmt.Sprintf("%s: %v", what, err))
				} else {
					failures = append(failures, fmt.Sprintf("%s: %d %s", what, r.Status, r.Body))
				}
			}
			for i := 0; ctx.Err() == nil; i++ {
				start := time.Now()
				email := fmt.Sprintf("during-w%d-%04d@rotate.example", w, i)
				r, err := tryDo("POST", ts.URL+"/v1/subjects", token, map[string]any{"kind": "end_user", "source": "form", "email": map[string]any{"value": email}})
				var s steward.Subject
				if err != nil || r.Status != 201 || json.Unmarshal(r.Body, &s) != nil {
					fail("create", r, err)
					continue
				}
				if g, err := tryDo("GET", ts.URL+"/v1/subjects/"+s.ID, token, nil); err != nil || g.Status != 200 {
					fail("read back", g, err)
				}
				mu.Lock()
				subjects[s.ID], tokens[s.ID] = email, token
				var old string
				for id := range subjects {
					old = id // Map order makes this a random earlier subject.
					break
				}
				oldToken := tokens[old]
				mu.Unlock()
				if r, err := tryDo("GET", ts.URL+"/v1/subjects/"+old, oldToken, nil); err != nil || r.Status != 200 {
					fail("read old", r, err)
				}
				mu.Lock()
				rounds = append(rounds, [2]time.Time{start, time.Now()})
				mu.Unlock()
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	rotStart := time.Now()
	out := MustCLI(t, nil, "keys", "rotate", "--json", "--data", ts.Data)
	rotEnd := time.Now()
	time.Sleep(200 * time.Millisecond)
	cancel()
	wg.Wait()

	var rep steward.RotationReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("keys rotate --json printed %q", out)
	}
	if rep.Tenants != 2 || rep.SubjectsRewrapped < preload {
		t.Errorf("rotation report %+v, want 2 tenants and at least %d subject keys", rep, preload)
	}
	if len(failures) > 0 {
		t.Errorf("%d requests failed during the rotation, e.g. %s", len(failures), failures[0])
	}
	// Rounds that overlap the rotation prove it ran against a serving
	// server. How many complete inside it varies: SQLite lets one writer
	// at a time, and the two processes' writers contend for the lock.
	overlapping, inside := 0, 0
	for _, r := range rounds {
		if r[0].Before(rotEnd) && r[1].After(rotStart) {
			overlapping++
		}
		if r[1].After(rotStart) && r[1].Before(rotEnd) {
			inside++
		}
	}
	if overlapping == 0 || len(rounds) < 10 {
		t.Errorf("%d client rounds, none overlapping the rotation; it did not meet traffic", len(rounds))
	}
	t.Logf("%d client rounds; %d overlap the %v rotation, %d completed inside it; %d subjects",
		len(rounds), overlapping, rotEnd.Sub(rotStart).Round(time.Millisecond), inside, len(subjects))
	for id, email := range subjects {
		r := Do(t, "GET", ts.URL+"/v1/subjects/"+id, tokens[id], nil)
		var s steward.Subject
		if r.Status != 200 || json.Unmarshal(r.Body, &s) != nil || s.Profile.Email.Value != email {
			t.Errorf("after rotation %s reads %d %s", id, r.Status, r.Body)
		}
	}
	// A second rotation works too, with the server still serving.
	MustCLI(t, nil, "keys", "rotate", "--data", ts.Data)
	for id := range subjects {
		MustStatus(t, Do(t, "GET", ts.URL+"/v1/subjects/"+id, tokens[id], nil), 200, "after a second rotation")
		break
	}
	ts.Stop(t)
	var v struct {
		OK bool `json:"ok"`
	}
	if err := json.Unmarshal([]byte(MustCLI(t, nil, "audit", "verify", "--json", "--data", ts.Data)), &v); err != nil || !v.OK {
		t.Errorf("audit verify after rotation: %v %+v", err, v)
	}
}

// TestCLIAuditVerifyDetectsTampering alters stored audit rows behind the
// server's back; audit verify must fail and name the entry.
func TestCLIAuditVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		index   int64
		tamper  func(t *testing.T, db *sql.DB, tenant string, index int64)
		problem string
	}{
		{"AlteredEntry", 3, func(t *testing.T, db *sql.DB, tenant string, index int64) {
			var entry []byte
			if err := db.QueryRow(`SELECT entry FROM audit_log WHERE tenant_id = ? AND idx = ?`, tenant, index).Scan(&entry); err != nil {
				t.Fatal(err)
			}
			// Make the read look like it never touched the email.
			altered := strings.Replace(string(entry), `"read"`, `"list"`, 1)
			if altered == string(entry) {
				t.Fatalf("entry %d is not a read: %s", index, entry)
			}
			mustExec(t, db, `UPDATE audit_log SET entry = ? WHERE tenant_id = ? AND idx = ?`, []byte(altered), tenant, index)
		}, "altered"},
		{"DeletedEntry", 2, func(t *testing.T, db *sql.DB, tenant string, index int64) {
			mustExec(t, db, `DELETE FROM audit_log WHERE tenant_id = ? AND idx = ?`, tenant, index)
		}, "missing"},
		{"TruncatedLog", 5, func(t *testing.T, db *sql.DB, tenant string, index int64) {
			mustExec(t, db, `DELETE FROM audit_log WHERE tenant_id = ? AND idx >= ?`, tenant, index)
		}, "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := MustServe(t, "")
			tenant, token, _ := MustTenantArgs(t, "Audited", "--data", ts.Data)
			_, other, _ := MustTenantArgs(t, "Bystander", "--data", ts.Data)
			s := MustCreateSubject(t, ts.URL, token, map[string]any{"kind": "end_user", "source": "form", "email": map[string]any{"value": "audited@example.com"}})
			MustCreateSubject(t, ts.URL, other, map[string]any{"kind": "end_user", "source": "form", "email": map[string]any{"value": "bystander@example.com"}})
			for range 6 {
				MustStatus(t, Do(t, "GET", ts.URL+"/v1/subjects/"+s.ID, token, nil), 200, "read")
			}
			ts.Stop(t)
			if out, errOut, err := runCLI(nil, "audit", "verify", "--data", ts.Data); err != nil || len(regexp.MustCompile(`(?m)^ok +ten_`).FindAllString(out, -1)) != 2 {
				t.Fatalf("audit verify before tampering: %v\n%s%s", err, out, errOut)
			}

			db, err := sql.Open("sqlite", filepath.Join(ts.Data, "steward.db"))
			if err != nil {
				t.Fatal(err)
			}
			tc.tamper(t, db, tenant, tc.index)
			db.Close()

			out, errOut, err := runCLI(nil, "audit", "verify", "--data", ts.Data)
			var ex exitError
			if !errors.As(err, &ex) || ex == 0 {
				t.Fatalf("audit verify of a tampered log returned %v, want a non-zero exit\n%s", err, out)
			}
			want := fmt.Sprintf("BAD   %s  first bad entry %d: ", tenant, tc.index)
			if !strings.Contains(out, want) || !strings.Contains(out, tc.problem) {
				t.Errorf("audit verify printed\n%s\nwant a line starting %q that says %q", out, want, tc.problem)
			}
			if !strings.Contains(errOut, "1 of 2 tenant logs failed") {
				t.Errorf("stderr: %q", errOut)
			}
			out, _, err = runCLI(nil, "audit", "verify", "--json", "--data", ts.Data)
			var rep struct {
				OK      bool                        `json:"ok"`
				Tenants []steward.AuditVerification `json:"tenants"`
			}
			if !errors.As(err, &ex) || json.Unmarshal([]byte(out), &rep) != nil || rep.OK {
				t.Fatalf("audit verify --json: %v\n%s", err, out)
			}
			for _, v := range rep.Tenants {
				switch {
				case v.TenantID == tenant && (v.OK || v.FirstBadIndex != tc.index):
					t.Errorf("tampered tenant reported %+v, want first bad index %d", v, tc.index)
				case v.TenantID != tenant && !v.OK:
					t.Errorf("the untouched tenant fails verification: %+v", v)
				}
			}
		})
	}
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s changed no row", q)
	}
}

// TestCLISubjectCommands drives the API through "steward subject", with the
// token from STEWARD_TOKEN and the server from --url or STEWARD_URL.
func TestCLISubjectCommands(t *testing.T) {
	t.Parallel()
	ts := MustServe(t, "")
	_, token, _ := MustTenantArgs(t, "Subject CLI", "--data", ts.Data)
	env := envFunc("STEWARD_TOKEN", token)

	id := strings.TrimSpace(MustCLI(t, env, "subject", "create", "--url", ts.URL,
		"--email", "Grace.Hopper@Example.com", "--username", "Amazing_Grace", "--name", "Grace Hopper", "--kind", "personnel", "--source", "order"))
	if !steward.ValidID("sub", id) {
		t.Fatalf("subject create printed %q, want the id", id)
	}
	var s steward.Subject
	if err := json.Unmarshal([]byte(MustCLI(t, env, "subject", "get", "--json", "--url", ts.URL, id)), &s); err != nil {
		t.Fatal(err)
	}
	if s.ID != id || s.Kind != steward.KindPersonnel || s.Profile.Email.Value != "grace.hopper@example.com" || s.Profile.Name.Source != steward.SourceOrder {
		t.Errorf("subject get --json: %+v", s)
	}
	text := MustCLI(t, env, "subject", "get", "--url", ts.URL, id)
	for _, want := range []string{"id        " + id, "kind      personnel", "name      Grace Hopper  (order)", "email     grace.hopper@example.com  (order)", "username  amazing_grace  (order)"} {
		if !strings.Contains(text, want) {
			t.Errorf("subject get lacks %q:\n%s", want, text)
		}
	}
	for _, args := range [][]string{{"--email", " GRACE.hopper@example.COM "}, {"--username", "AMAZING_grace"}} {
		out := MustCLI(t, env, append([]string{"subject", "find", "--url", ts.URL}, args...)...)
		if !strings.Contains(out, "id        "+id) {
			t.Errorf("subject find %v printed:\n%s", args, out)
		}
	}
	if _, _, err := runCLI(env, "subject", "find", "--url", ts.URL, "--email", "nobody@example.com"); steward.ErrorCode(err) != steward.ENotFound {
		t.Errorf("find of an unknown email: %v", err)
	}
	if _, _, err := runCLI(env, "subject", "find", "--url", ts.URL, "--email", "a@example.com", "--username", "a"); err == nil {
		t.Error("find with both --email and --username succeeded")
	}
	// Bad input comes back as the server's domain error.
	_, _, err := runCLI(env, "subject", "create", "--url", ts.URL, "--email", "not-an-email")
	var se *httpapi.StatusError
	if !errors.As(err, &se) || se.Status != 400 || se.Err.Field != "email" || se.RequestID == "" {
		t.Errorf("create with a bad email: %v", err)
	}

	out := MustCLI(t, env, "subject", "delete", "--url", ts.URL, id)
	if !regexp.MustCompile(`^erased ` + id + ` at \d{4}-\d\d-\d\dT\S+ \(receipt era_[0-9a-v]{26}\)\n$`).MatchString(out) {
		t.Errorf("subject delete printed %q", out)
	}
	_, _, err = runCLI(env, "subject", "get", "--url", ts.URL, id)
	if !errors.As(err, &se) || se.Status != 410 || steward.ErrorCode(err) != steward.EGone {
		t.Errorf("get after delete: %v", err)
	}
	if _, _, err := runCLI(env, "subject", "delete", "--url", ts.URL, id); steward.ErrorCode(err) != steward.EGone {
		t.Errorf("second delete: %v", err)
	}
	if _, _, err := runCLI(env, "subject", "get", "--url", ts.URL); err == nil {
		t.Error("get without an id succeeded")
	}

	// The token comes only from the environment.
	if _, _, err := runCLI(nil, "subject", "get", "--url", ts.URL, id); err == nil || !strings.Contains(err.Error(), "STEWARD_TOKEN") {
		t.Errorf("without STEWARD_TOKEN: %v", err)
	}
	if _, _, err := runCLI(envFunc("STEWARD_TOKEN", "stw_revoked"), "subject", "get", "--url", ts.URL, id); steward.ErrorCode(err) != steward.EUnauthorized {
		t.Errorf("with a bad token: %v", err)
	}

	// STEWARD_URL stands in for --url; a given --url wins over it.
	id2 := strings.TrimSpace(MustCLI(t, envFunc("STEWARD_TOKEN", token, "STEWARD_URL", ts.URL), "subject", "create", "--email", "env.url@example.com"))
	if !steward.ValidID("sub", id2) {
		t.Fatalf("create with STEWARD_URL printed %q", id2)
	}
	dead := "http://127.0.0.1:1"
	out = MustCLI(t, envFunc("STEWARD_TOKEN", token, "STEWARD_URL", dead), "subject", "get", "--url", ts.URL, id2)
	if !strings.Contains(out, "env.url@example.com") {
		t.Errorf("--url did not win over STEWARD_URL:\n%s", out)
	}
	if _, _, err := runCLI(envFunc("STEWARD_TOKEN", token, "STEWARD_URL", dead), "subject", "get", id2); err == nil {
		t.Error("STEWARD_URL pointing nowhere still reached the server: the environment was ignored")
	}
}

// TestCLIFlagsAndEnvironment checks that STEWARD_* variables stand in for
// absent flags and that a flag on the command line wins.
func TestCLIFlagsAndEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tenantID, _, _ := MustTenantArgs(t, "Env Tenant", "--data", dir)

	// STEWARD_DATA is used when --data is absent (and STEWARD_JSON for --json).
	out := MustCLI(t, envFunc("STEWARD_DATA", dir, "STEWARD_JSON", "true"), "tenant", "list")
	var ts []steward.Tenant
	if err := json.Unmarshal([]byte(out), &ts); err != nil || len(ts) != 1 || ts[0].ID != tenantID {
		t.Errorf("tenant list with STEWARD_DATA and STEWARD_JSON printed %q", out)
	}
	// --data wins over STEWARD_DATA, which then is never touched.
	elsewhere := filepath.Join(t.TempDir(), "never")
	out = MustCLI(t, envFunc("STEWARD_DATA", elsewhere), "tenant", "list", "--json", "--data", dir)
	if err := json.Unmarshal([]byte(out), &ts); err != nil || len(ts) != 1 || ts[0].ID != tenantID {
		t.Errorf("tenant list --data with STEWARD_DATA elsewhere printed %q", out)
	}
	if _, err := os.Stat(elsewhere); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("STEWARD_DATA was used although --data was given: %v", err)
	}
	// A bad value in the environment is reported with the variable's name.
	if _, _, err := runCLI(envFunc("STEWARD_JSON", "maybe"), "tenant", "list", "--data", dir); err == nil || !strings.Contains(err.Error(), "STEWARD_JSON") {
		t.Errorf("STEWARD_JSON=maybe: %v", err)
	}

	// serve takes its address from STEWARD_ADDR when --addr is absent...
	url := serveWithEnv(t, envFunc("STEWARD_ADDR", "127.0.0.1:0", "STEWARD_DATA", t.TempDir()))
	if strings.HasSuffix(url, ":8080") {
		t.Errorf("serve ignored STEWARD_ADDR and listened on %s", url)
	}
	// ...and --addr wins over it: an address that cannot be listened on
	// in the environment does not matter.
	serveWithEnv(t, envFunc("STEWARD_ADDR", "256.0.0.1:bogus"), "--addr", "127.0.0.1:0", "--data", t.TempDir())
	// A bad STEWARD_ADDR alone fails plainly.
	var stderr syncBuffer
	err := run(context.Background(), []string{"serve", "--data", t.TempDir()}, envFunc("STEWARD_ADDR", "256.0.0.1:bogus"), strings.NewReader(""), io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("serve with a bad STEWARD_ADDR: %v", err)
	}

	// Limits given as flags reach the server.
	limited := serveWithEnv(t, envFunc(), "--addr", "127.0.0.1:0", "--data", dir, "--rate-limit", "1", "--rate-burst", "3", "--max-body-bytes", "300")
	_, token := MustTenant(t, dir, "Limited")
	big := map[string]any{"kind": "end_user", "source": "form", "name": map[string]any{"value": strings.Repeat("n", 300)}}
	MustError(t, Do(t, "POST", limited+"/v1/subjects", token, big), 413, "body_too_large")
	MustStatus(t, Do(t, "GET", limited+"/v1/subjects", token, nil), 200, "within the burst")
	MustStatus(t, Do(t, "GET", limited+"/v1/subjects", token, nil), 200, "within the burst")
	r := Do(t, "GET", limited+"/v1/subjects", token, nil)
	MustError(t, r, 429, "rate_limited")
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}

	// Usage errors exit 2 without running anything.
	for _, args := range [][]string{{}, {"frobnicate"}, {"serve", "--no-such-flag"}, {"keys"}, {"audit"}} {
		_, _, err := runCLI(nil, args...)
		var ex exitError
		if !errors.As(err, &ex) || ex != 2 {
			t.Errorf("steward %v: %v, want exit status 2", args, err)
		}
	}
	if out := MustCLI(t, nil, "version"); !strings.HasPrefix(out, "steward ") {
		t.Errorf("version printed %q", out)
	}
}

// serveWithEnv starts serve through run with the given environment and
// returns its base URL once /healthz answers; it stops with the test.
func serveWithEnv(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		err := run(ctx, append([]string{"serve"}, args...), getenv, strings.NewReader(""), pw, logs)
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("serve did not start: %v; logs:\n%s", <-done, logs.String())
	}
	go io.Copy(io.Discard, pr)
	u := strings.TrimSpace(strings.TrimPrefix(line, "steward listening on "))
	waitHealthy(t, u)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve stopped with %v", err)
		}
	})
	return u
}

// TestPublicEndpoints checks the endpoints that need no key and hold no
// personal data.
func TestPublicEndpoints(t *testing.T) {
	t.Parallel()
	ts := MustServe(t, "")
	tenantID, token, _ := MustTenantArgs(t, "Metered", "--data", ts.Data)
	for _, path := range []string{"/healthz", "/readyz"} {
		r := Do(t, "GET", ts.URL+path, "", nil)
		if r.Status != 200 || canonical(t, r.Body) != `{"status":"ok"}` || r.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}

	var ids []string
	for i := range 3 {
		s := MustCreateSubject(t, ts.URL, token, map[string]any{"kind": "end_user", "source": "form",
			"email": map[string]any{"value": fmt.Sprintf("metered%d@example.com", i)}})
		ids = append(ids, s.ID)
		MustStatus(t, Do(t, "GET", ts.URL+"/v1/subjects/"+s.ID, token, nil), 200, "get")
		MustStatus(t, Do(t, "GET", ts.URL+"/v1/subjects/"+s.ID+"/messages", token, nil), 200, "messages")
	}
	Do(t, "GET", ts.URL+"/v1/subjects?email=metered0%40example.com", token, nil)
	Do(t, "GET", ts.URL+"/v1/subjects/"+steward.NewID("sub"), token, nil)
	Do(t, "GET", ts.URL+"/v1/no/such/"+ids[0], token, nil)
	Do(t, "FROB", ts.URL+"/v1/subjects/"+ids[0], token, nil)

	r := Do(t, "GET", ts.URL+"/metrics", "", nil)
	MustStatus(t, r, 200, "metrics")
	metrics := string(r.Body)
	for _, want := range []string{
		`steward_http_requests_total{code="200",method="GET",route="GET /v1/subjects/{id}"} 3`,
		`steward_http_requests_total{code="201",method="POST",route="POST /v1/subjects"} 3`,
		`steward_http_requests_total{code="404",method="GET",route="GET /v1/subjects/{id}"} 1`,
		`steward_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`steward_http_requests_total{code="405",method="other",route="unmatched"} 1`,
		`steward_http_request_duration_seconds_bucket{method="GET",route="GET /v1/subjects/{id}/messages",le=`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Seven reads were audited through the journal (three gets, three
	// message listings, one find), in at most seven fdatasyncs.
	journaled := func(name string) float64 {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(metrics)
		if m == nil {
			t.Errorf("metrics lack %s", name)
			return -1
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	records, syncs := journaled("steward_audit_journal_records_total"), journaled("steward_audit_journal_syncs_total")
	if records != 7 || syncs < 1 || syncs > records {
		t.Errorf("journal metrics: %v records in %v syncs, want 7 in 1 to 7", records, syncs)
	}
	if q := journaled("steward_audit_journal_queued"); q < 0 || q > 7 {
		t.Errorf("journal queue %v", q)
	}
	if f := journaled("steward_audit_journal_fold_failures_total"); f != 0 {
		t.Errorf("%v fold failures", f)
	}
	// The one find took its hint from the lookup cache, which the create
	// had filled.
	if hit := journaled(`steward_lookup_cache_finds_total{outcome="hit"}`); hit != 1 {
		t.Errorf("lookup cache hits: %v, want 1", hit)
	}
	labelValue := regexp.MustCompile(`="([^"]*)"`)
	for line := range strings.Lines(metrics) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, m := range labelValue.FindAllStringSubmatch(line, -1) {
			v := m[1]
			if strings.Contains(v, "sub_") || strings.Contains(v, "ten_") || strings.Contains(v, "@") || strings.Contains(v, tenantID) {
				t.Errorf("a metric label holds %q: %s", v, line)
			}
		}
	}
	for _, id := range ids {
		if strings.Contains(metrics, id) {
			t.Errorf("the metrics mention subject %s", id)
		}
	}

	r = Do(t, "GET", ts.URL+"/openapi.json", "", nil)
	MustStatus(t, r, 200, "openapi")
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi.json: %v, openapi %q", err, doc.OpenAPI)
	}
	for _, p := range []string{"/v1/subjects", "/v1/subjects/{id}", "/v1/subjects/{id}/messages", "/v1/audit", "/v1/audit/checkpoint", "/v1/audit/proof/inclusion", "/v1/audit/proof/consistency", "/healthz"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("openapi.json does not document %s", p)
		}
	}
	// Public endpoints never need a key and never set one.
	if r := Do(t, "GET", ts.URL+"/healthz", "stw_garbage", nil); r.Status != 200 {
		t.Errorf("healthz with a garbage key: %d", r.Status)
	}
}

// TestAuthFailuresThrottled: a client address that keeps failing to
// authenticate is slowed down, so keys cannot be guessed quickly.
func TestAuthFailuresThrottled(t *testing.T) {
	t.Parallel()
	ts := MustServe(t, "")
	var last *apiResponse
	for i := range 60 {
		last = Do(t, "GET", ts.URL+"/v1/subjects", fmt.Sprintf("stw_guess%039d", i), nil)
		if last.Status == 429 {
			if i < 50 {
				t.Errorf("throttled after only %d failures", i)
			}
			break
		}
		MustError(t, last, 401, "unauthorized")
	}
	MustError(t, last, 429, "rate_limited")
	if last.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}
