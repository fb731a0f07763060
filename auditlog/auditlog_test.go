package auditlog_test

import (
	"crypto/rand"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MustSigner returns a signer over a fresh key and the key itself.
func MustSigner(tb testing.TB) (*auditlog.Signer, string) {
	tb.Helper()
	skey, _, err := auditlog.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	s, err := auditlog.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return s, skey
}

func TestVerifierKeyMatchesNote(t *testing.T) {
	for _, name := range []string{auditlog.KeyName, "other-log", auditlog.KeyName} {
		skey, vkey, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := auditlog.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.VerifierKey(); got != vkey {
			t.Errorf("VerifierKey() = %q, note.GenerateKey says %q", got, vkey)
		}
		// SplitN: the base64 key material may itself contain "+".
		if strings.Contains(s.VerifierKey(), strings.SplitN(skey, "+", 5)[4]) {
			t.Error("verifier key contains the private key")
		}
	}
	skey, vkey, err := auditlog.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(vkey, auditlog.KeyName+"+") || !strings.HasPrefix(skey, "PRIVATE+KEY+"+auditlog.KeyName+"+") {
		t.Errorf("GenerateKey names: %q, %q", skey, vkey)
	}
	if s, err := auditlog.NewSigner(skey); err != nil || s.VerifierKey() != vkey {
		t.Errorf("NewSigner(GenerateKey()) verifier %v, %v; want %q", s, err, vkey)
	}
}

func TestNewSigner_Rejects(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, auditlog.KeyName)
	if err != nil {
		t.Fatal(err)
	}
	// The key material is base64 and may itself contain "+".
	parts := strings.SplitN(skey, "+", 5)
	raw, _ := base64.StdEncoding.DecodeString(parts[4])
	badAlg := append([]byte{2}, raw[1:]...)
	tests := []struct {
		name, skey string
	}{
		{"Empty", ""},
		{"Garbage", "garbage"},
		{"VerifierKey", vkey},
		{"TooFewParts", "PRIVATE+KEY+steward-audit+00000000"},
		{"NotPrivate", "PUBLIC+KEY+" + strings.Join(parts[2:], "+")},
		{"BadBase64", strings.Join(parts[:4], "+") + "+!!!"},
		{"ShortKey", strings.Join(parts[:4], "+") + "+" + base64.StdEncoding.EncodeToString(raw[:20])},
		{"WrongAlgorithm", strings.Join(parts[:4], "+") + "+" + base64.StdEncoding.EncodeToString(badAlg)},
		{"WrongHash", strings.Join(parts[:3], "+") + "+00000000+" + parts[4]},
		{"WrongName", "PRIVATE+KEY+other+" + strings.Join(parts[3:], "+")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := auditlog.NewSigner(tt.skey); err == nil || s != nil {
				t.Errorf("NewSigner(%q) accepted it", tt.skey)
			}
		})
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	s, _ := MustSigner(t)
	root := tlog.RecordHash([]byte("root"))
	for _, size := range []int64{0, 1, 42, 1 << 40} {
		signed, err := s.Sign("ten_a", size, root)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(signed, auditlog.Origin("ten_a")+"\n") {
			t.Errorf("checkpoint does not start with its origin: %q", signed)
		}
		gotSize, gotRoot, err := auditlog.OpenCheckpoint(signed, s.Verifier(), "ten_a")
		if err != nil || gotSize != size || gotRoot != root {
			t.Errorf("OpenCheckpoint = %d, %v, %v; want %d, %v", gotSize, gotRoot, err, size, root)
		}
		// Anyone holding only the published verifier key can check it.
		v, err := note.NewVerifier(s.VerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		if gotSize, _, err := auditlog.OpenCheckpoint(signed, v, "ten_a"); err != nil || gotSize != size {
			t.Errorf("published verifier: %d, %v", gotSize, err)
		}
	}
	if got := auditlog.Origin("ten_a"); got != "steward.audit/ten_a" {
		t.Errorf("Origin = %q", got)
	}
}

func TestOpenCheckpoint_Rejects(t *testing.T) {
	s, skey := MustSigner(t)
	other, _ := MustSigner(t)
	root := tlog.RecordHash([]byte("root"))
	signed, err := s.Sign("ten_a", 42, root)
	if err != nil {
		t.Fatal(err)
	}
	body, sigs, ok := strings.Cut(signed, "\n\n")
	if !ok {
		t.Fatalf("no signature block in %q", signed)
	}

	// A signature line is "— name base64"; flip one byte of the signature.
	fields := strings.Fields(sigs)
	sig, err := base64.StdEncoding.DecodeString(fields[2])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-1] ^= 1
	badSig := body + "\n\n" + fields[0] + " " + fields[1] + " " + base64.StdEncoding.EncodeToString(sig) + "\n"

	// Well-signed notes whose text is not a checkpoint.
	ns, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	signText := func(text string) string {
		b, err := note.Sign(&note.Note{Text: text}, ns)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	rootB64 := base64.StdEncoding.EncodeToString(root[:])

	tests := []struct {
		name, signed, tenant string
		v                    note.Verifier
	}{
		{"OtherTenant", signed, "ten_b", s.Verifier()},
		{"TenantPrefix", signed, "ten_", s.Verifier()},
		{"TenantExtended", signed, "ten_ab", s.Verifier()},
		{"OtherKey", signed, "ten_a", other.Verifier()},
		{"TamperedSize", strings.Replace(signed, "\n42\n", "\n43\n", 1), "ten_a", s.Verifier()},
		{"TamperedOrigin", strings.Replace(signed, "ten_a", "ten_b", 1), "ten_b", s.Verifier()},
		{"TamperedSignature", badSig, "ten_a", s.Verifier()},
		{"NoSignature", body + "\n", "ten_a", s.Verifier()},
		{"Empty", "", "ten_a", s.Verifier()},
		{"SizeNotANumber", signText("steward.audit/ten_a\nforty\n" + rootB64 + "\n"), "ten_a", s.Verifier()},
		{"SizeNegative", signText("steward.audit/ten_a\n-1\n" + rootB64 + "\n"), "ten_a", s.Verifier()},
		{"RootNotBase64", signText("steward.audit/ten_a\n1\n***\n"), "ten_a", s.Verifier()},
		{"RootShort", signText("steward.audit/ten_a\n1\n" + base64.StdEncoding.EncodeToString(root[:31]) + "\n"), "ten_a", s.Verifier()},
		{"TooFewLines", signText("steward.audit/ten_a\n1\n"), "ten_a", s.Verifier()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size, got, err := auditlog.OpenCheckpoint(tt.signed, tt.v, tt.tenant)
			if err == nil {
				t.Fatalf("OpenCheckpoint accepted it: size %d, root %v", size, got)
			}
			if size != 0 || got != (tlog.Hash{}) {
				t.Errorf("OpenCheckpoint returned size %d, root %v with its error", size, got)
			}
		})
	}
}

func TestEncodeDecodeEntry(t *testing.T) {
	e := &steward.AuditEntry{
		Index:     7,
		Time:      time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC),
		TenantID:  "ten_a",
		Actor:     "key_1",
		Action:    steward.ActionUpdate,
		SubjectID: "sub_a",
		Fields:    []string{"email", "name"},
		Purpose:   "support ticket",
		RequestID: "req_1",
	}
	enc := auditlog.EncodeEntry(e)
	// The leaf bytes are hashed into the log; they must never change.
	const want = `{"index":7,"time":"2025-03-01T12:00:00.123456Z","tenant_id":"ten_a","actor":"key_1","action":"update",` +
		`"subject_id":"sub_a","fields":["email","name"],"purpose":"support ticket","request_id":"req_1"}`
	if string(enc) != want {
		t.Errorf("EncodeEntry =\n%s\nwant\n%s", enc, want)
	}
	for range 20 {
		dup := *e
		dup.Fields = append([]string(nil), e.Fields...)
		if again := auditlog.EncodeEntry(&dup); string(again) != string(enc) {
			t.Fatalf("EncodeEntry is not deterministic:\n%s\n%s", enc, again)
		}
	}
	got, err := auditlog.DecodeEntry(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Time.Equal(e.Time) {
		t.Errorf("time %v, want %v", got.Time, e.Time)
	}
	gotRest, wantRest := *got, *e
	gotRest.Time, wantRest.Time = time.Time{}, time.Time{}
	if !reflect.DeepEqual(gotRest, wantRest) {
		t.Errorf("DecodeEntry = %+v, want %+v", gotRest, wantRest)
	}
	if string(auditlog.EncodeEntry(got)) != string(enc) {
		t.Error("re-encoding the decoded entry changes its bytes")
	}

	minimal := &steward.AuditEntry{Time: time.Unix(0, 0).UTC(), TenantID: "ten_a", Actor: "cli:root", Action: steward.ActionList}
	if got := string(auditlog.EncodeEntry(minimal)); got != `{"index":0,"time":"1970-01-01T00:00:00Z","tenant_id":"ten_a","actor":"cli:root","action":"list"}` {
		t.Errorf("minimal entry encodes as %s", got)
	}

	for _, bad := range []string{"", "{", "[]", `{"index":"seven"}`} {
		if e, err := auditlog.DecodeEntry([]byte(bad)); err == nil {
			t.Errorf("DecodeEntry(%q) = %+v, want an error", bad, e)
		}
	}
}
