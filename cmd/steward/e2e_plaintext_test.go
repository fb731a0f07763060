package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardhq/steward"
)

// probeValues are personal values distinctive enough that finding one in a
// file, a table or a log can only mean it was stored or logged in the clear.
var probeValues = struct {
	name, newName, email, newEmail, username, line1, city, postal, attr, message, reply string
	erasedName, erasedEmail, erasedMessage, badEmail, idemKey, lookupMiss               string
}{
	name:          "Quintessa Vermillion-Okafor",
	newName:       "Quintessa Vermillion-Adeyemi",
	email:         "Quintessa.Vermillion@Plaintext-Probe.example",
	newEmail:      "q.vermillion.renamed@plaintext-probe.example",
	username:      "QVermillionProbe",
	line1:         "742 Evergreen Terrace Probe",
	city:          "Zanzibarville",
	postal:        "ZX9 8QP",
	attr:          "loyalty tier obsidian marmalade",
	message:       "Please ship to the lighthouse keeper Bartholomew Fenwick-Stroud",
	reply:         "Dispatched to Fenwick-Stroud via the Okafor depot",
	erasedName:    "Erasmus Thistlewaite-Brandt",
	erasedEmail:   "erasmus.thistlewaite@plaintext-probe.example",
	erasedMessage: "Thistlewaite asked about his prescription for glaucoma",
	badEmail:      "Jacaranda Wolfsbane <jacaranda@@plaintext-probe.example>",
	idemKey:       "order-for-quintessa-vermillion",
	lookupMiss:    "nobody.lachrymose@plaintext-probe.example",
}

// probeNeedles lists every probe value and distinctive word of one, in the
// original spelling and in lower and upper case.
func probeNeedles() []string {
	p := probeValues
	vals := []string{
		p.name, p.newName, p.email, p.newEmail, p.username, p.line1, p.city, p.postal, p.attr,
		p.message, p.reply, p.erasedName, p.erasedEmail, p.erasedMessage, p.badEmail, p.idemKey, p.lookupMiss,
		"Quintessa", "Vermillion", "Okafor", "Adeyemi", "Evergreen", "Zanzibarville", "obsidian marmalade",
		"Bartholomew", "Fenwick", "Thistlewaite", "Erasmus", "glaucoma", "Jacaranda", "Wolfsbane", "lachrymose",
	}
	var out []string
	for _, v := range vals {
		out = append(out, v, strings.ToLower(v), strings.ToUpper(v))
	}
	return out
}

// mustNotContainProbes fails for each probe found in data.
func mustNotContainProbes(tb testing.TB, where string, data []byte) {
	tb.Helper()
	for _, n := range probeNeedles() {
		if i := bytes.Index(data, []byte(n)); i >= 0 {
			start, end := max(0, i-40), min(len(data), i+len(n)+40)
			tb.Errorf("%s holds %q in the clear: …%q…", where, n, data[start:end])
		}
	}
}

// exercisePersonalData creates, reads, finds, lists, updates and erases
// subjects and messages carrying the probe values, and sends a few refused
// requests carrying them too.
func exercisePersonalData(t *testing.T, base, token string) {
	t.Helper()
	p := probeValues
	r := Do(t, "POST", base+"/v1/subjects", token, map[string]any{
		"kind": "end_user", "source": "order",
		"name":     map[string]any{"value": p.name},
		"email":    map[string]any{"value": p.email},
		"username": map[string]any{"value": p.username},
		"billing_address": map[string]any{"value": map[string]any{
			"line1": p.line1, "city": p.city, "postal_code": p.postal, "country": "TZ",
		}},
		"attributes": map[string]any{"tier": map[string]any{"value": p.attr}},
	}, "Idempotency-Key", p.idemKey, "X-Purpose", "essential.service.operations.support")
	MustStatus(t, r, 201, "create")
	var keep steward.Subject
	r.JSON(t, &keep)
	erased := MustCreateSubject(t, base, token, map[string]any{
		"kind": "customer_contact", "source": "form",
		"name":  map[string]any{"value": p.erasedName},
		"email": map[string]any{"value": p.erasedEmail},
	})
	for _, m := range []struct{ id, dir, body string }{
		{keep.ID, "inbound", p.message}, {keep.ID, "outbound", p.reply}, {erased.ID, "inbound", p.erasedMessage},
	} {
		MustStatus(t, Do(t, "POST", base+"/v1/subjects/"+m.id+"/messages", token, map[string]any{
			"direction": m.dir, "channel": "email", "body": m.body,
		}), 201, "message")
	}
	for _, path := range []string{
		"/v1/subjects/" + keep.ID, "/v1/subjects/" + erased.ID, "/v1/subjects?limit=10",
		"/v1/subjects?email=" + url.QueryEscape(strings.ToUpper(p.email)), "/v1/subjects?username=" + strings.ToLower(p.username),
		"/v1/subjects?email=" + url.QueryEscape(p.lookupMiss), "/v1/subjects/" + keep.ID + "/messages", "/v1/subjects/" + erased.ID + "/messages",
	} {
		MustStatus(t, Do(t, "GET", base+path, token, nil), 200, "GET "+path)
	}
	// Reads must show the values, or the scans below would prove nothing.
	got := Do(t, "GET", base+"/v1/subjects/"+keep.ID+"/messages", token, nil)
	if !strings.Contains(string(got.Body), p.message) {
		t.Fatalf("the message does not read back: %s", got.Body)
	}
	MustStatus(t, Do(t, "PATCH", base+"/v1/subjects/"+keep.ID, token, map[string]any{
		"name":  map[string]any{"value": p.newName, "source": "form"},
		"email": map[string]any{"value": p.newEmail, "source": "form"},
	}), 200, "update")
	got = Do(t, "GET", base+"/v1/subjects/"+keep.ID, token, nil)
	if !strings.Contains(string(got.Body), p.newName) || !strings.Contains(string(got.Body), p.city) {
		t.Fatalf("the update does not read back: %s", got.Body)
	}
	MustStatus(t, Do(t, "DELETE", base+"/v1/subjects/"+erased.ID, token, nil), 200, "erase")
	// Refused requests carry personal values too; they must not be kept
	// or logged either.
	MustError(t, Do(t, "POST", base+"/v1/subjects", token, map[string]any{
		"kind": "end_user", "source": "form", "email": map[string]any{"value": p.badEmail},
	}), 400, "invalid")
	MustError(t, Do(t, "GET", base+"/v1/subjects?email="+url.QueryEscape(p.badEmail), token, nil), 400, "invalid")
	MustError(t, Do(t, "POST", base+"/v1/subjects", token, map[string]any{
		"kind": "end_user", "source": "form", "email": map[string]any{"value": strings.ToUpper(p.newEmail)},
	}), 409, "conflict")
	MustError(t, Do(t, "GET", base+"/v1/subjects/"+erased.ID, token, nil), 410, "gone")
}

// TestNoPlaintextAtRestSQLite proves the embedded store's files and the
// server's logs never hold a personal value in the clear.
func TestNoPlaintextAtRestSQLite(t *testing.T) {
	t.Parallel()
	ts := MustServe(t, "", "--log-level", "debug")
	_, token, _ := MustTenantArgs(t, "Plaintext Probe Ltd", "--data", ts.Data)
	exercisePersonalData(t, ts.URL, token)
	ts.Stop(t)

	var all []byte
	err := filepath.WalkDir(ts.Data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		all = append(all, data...)
		mustNotContainProbes(t, path, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The tenant's name is not personal and is stored as text: seeing it
	// shows the scan reads what SQLite wrote.
	if !bytes.Contains(all, []byte("Plaintext Probe Ltd")) {
		t.Fatalf("the files under %s do not show the tenant's name; the scan would prove nothing", ts.Data)
	}
	if !strings.Contains(ts.logs.String(), "steward serving") {
		t.Fatalf("the server logged nothing; the log scan would prove nothing:\n%s", ts.logs.String())
	}
	mustNotContainProbes(t, "the server log", []byte(ts.logs.String()))
}

// TestNoPlaintextAtRestPostgreSQL does the same against PostgreSQL: every
// row of every table, as text and as raw bytes.
func TestNoPlaintextAtRestPostgreSQL(t *testing.T) {
	t.Parallel()
	dsn := MustPGSchema(t)
	dir := t.TempDir()
	ts := MustServe(t, dir, "--database", dsn, "--log-level", "debug")
	_, token, _ := MustTenantArgs(t, "Plaintext Probe Ltd", "--data", dir, "--database", dsn)
	exercisePersonalData(t, ts.URL, token)
	ts.Stop(t)

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dump, tables := dumpSchema(t, db)
	if tables < 10 || !bytes.Contains(dump, []byte("Plaintext Probe Ltd")) {
		t.Fatalf("the dump of %d tables does not even show the tenant's name; it would prove nothing", tables)
	}
	mustNotContainProbes(t, "the PostgreSQL schema", dump)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil {
			mustNotContainProbes(t, path, data)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mustNotContainProbes(t, "the server log", []byte(ts.logs.String()))
}

// dumpSchema reads every row of every table of the current schema, as
// PostgreSQL renders it in text and as the raw bytes of each column, and
// returns it with the number of tables.
func dumpSchema(t *testing.T, db *sql.DB) ([]byte, int) {
	t.Helper()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var out bytes.Buffer
	for _, table := range tables {
		var text sql.NullString
		if err := db.QueryRow(fmt.Sprintf(`SELECT string_agg(t::text, E'\n') FROM %q t`, table)).Scan(&text); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		out.WriteString(text.String)
		rows, err := db.Query(fmt.Sprintf(`SELECT * FROM %q`, table))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch x := v.(type) {
				case []byte:
					out.Write(x)
				case string:
					out.WriteString(x)
				}
			}
		}
		rows.Close()
	}
	return out.Bytes(), len(tables)
}
