package keyring_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stewardhq/steward/keyring"
)

func MustMaster(tb testing.TB) (*keyring.Master, string) {
	tb.Helper()
	m, text, err := keyring.GenerateMaster()
	if err != nil {
		tb.Fatal(err)
	}
	return m, text
}

func TestGenerateMaster_ParseBack(t *testing.T) {
	m, text := MustMaster(t)
	if !strings.HasPrefix(text, "steward-master-key-v1:") || !strings.HasSuffix(text, "\n") {
		t.Fatalf("text form %q", text)
	}
	ad := keyring.TenantKeyAD("ten_1", 1)
	secret := keyring.NewKey()
	wrapped := m.Wrap(secret, ad)
	for _, form := range []string{text, strings.TrimSpace(text), "  " + strings.TrimSpace(text) + " \r\n"} {
		parsed, err := keyring.ParseMaster(form)
		if err != nil {
			t.Fatalf("ParseMaster(%q): %v", form, err)
		}
		got, err := parsed.Unwrap(wrapped, ad)
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("parsed key does not unwrap: %v", err)
		}
	}
	other, _ := MustMaster(t)
	if _, err := other.Unwrap(wrapped, ad); !errors.Is(err, keyring.ErrDecrypt) {
		t.Errorf("another master unwrapped: %v", err)
	}
	if _, err := m.Unwrap(wrapped, keyring.TenantKeyAD("ten_1", 2)); !errors.Is(err, keyring.ErrDecrypt) {
		t.Errorf("unwrapped under another version's AD: %v", err)
	}
	if _, err := m.Unwrap(wrapped, keyring.IndexKeyAD("ten_1")); !errors.Is(err, keyring.ErrDecrypt) {
		t.Errorf("a tenant key unwrapped as an index key: %v", err)
	}
}

func TestParseMaster_Rejects(t *testing.T) {
	_, text := MustMaster(t)
	b64 := strings.TrimPrefix(strings.TrimSpace(text), "steward-master-key-v1:")
	tests := []struct {
		name, in string
	}{
		{"Empty", ""},
		{"PrefixOnly", "steward-master-key-v1:"},
		{"NoPrefix", b64},
		{"OtherVersion", "steward-master-key-v2:" + b64},
		{"PrefixCase", "Steward-Master-Key-V1:" + b64},
		{"BadBase64", "steward-master-key-v1:not*base64!"},
		{"URLBase64", "steward-master-key-v1:" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))},
		{"Short", "steward-master-key-v1:" + base64.StdEncoding.EncodeToString(make([]byte, 31))},
		{"Long", "steward-master-key-v1:" + base64.StdEncoding.EncodeToString(make([]byte, 33))},
		{"Hex", "steward-master-key-v1:" + strings.Repeat("ab", 32)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := keyring.ParseMaster(tt.in)
			if err == nil || m != nil {
				t.Fatalf("ParseMaster(%q) accepted it", tt.in)
			}
			if tail := strings.TrimPrefix(tt.in, "steward-master-key-v1:"); len(tail) > 8 && strings.Contains(err.Error(), tail) {
				t.Errorf("error %q repeats the key material", err)
			}
		})
	}
}

func TestCheckValue(t *testing.T) {
	m, text := MustMaster(t)
	cv := m.CheckValue()
	if err := m.VerifyCheckValue(cv); err != nil {
		t.Fatalf("own check value: %v", err)
	}
	again, err := keyring.ParseMaster(text)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.VerifyCheckValue(cv); err != nil {
		t.Errorf("same key, parsed again: %v", err)
	}
	other, _ := MustMaster(t)
	if err := other.VerifyCheckValue(cv); !errors.Is(err, keyring.ErrWrongMasterKey) {
		t.Errorf("another master: %v, want ErrWrongMasterKey", err)
	}
	// A value wrapped by the right key for another purpose is no check value.
	if err := m.VerifyCheckValue(m.Wrap([]byte("steward key check v1"), keyring.Bind("other"))); !errors.Is(err, keyring.ErrWrongMasterKey) {
		t.Errorf("value under another AD: %v", err)
	}
	if err := m.VerifyCheckValue(m.Wrap([]byte("something else"), keyring.Bind("key-check"))); !errors.Is(err, keyring.ErrWrongMasterKey) {
		t.Errorf("other value under the check AD: %v", err)
	}
	for _, garbage := range [][]byte{nil, {}, []byte("garbage")} {
		if err := m.VerifyCheckValue(garbage); !errors.Is(err, keyring.ErrWrongMasterKey) {
			t.Errorf("VerifyCheckValue(%q) = %v", garbage, err)
		}
	}
}

func TestLoadOrCreateMasterFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "keys", "master.key")

	m1, created, err := keyring.LoadOrCreateMasterFile(path, true)
	if err != nil || !created || m1 == nil {
		t.Fatalf("create: %v, created=%v", err, created)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %v, want 0600", perm)
	}
	if di, err := os.Stat(filepath.Dir(path)); err != nil || di.Mode().Perm()&0o077 != 0 {
		t.Errorf("key directory mode %v, %v; want no access for others", di.Mode().Perm(), err)
	}
	text, _ := os.ReadFile(path)
	if _, err := keyring.ParseMaster(string(text)); err != nil {
		t.Errorf("file does not hold a master key: %v", err)
	}

	m2, created, err := keyring.LoadOrCreateMasterFile(path, true)
	if err != nil || created {
		t.Fatalf("load: %v, created=%v", err, created)
	}
	if err := m2.VerifyCheckValue(m1.CheckValue()); err != nil {
		t.Errorf("loaded key differs from the created one: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, text) {
		t.Error("loading rewrote the file")
	}
	m3, created, err := keyring.LoadOrCreateMasterFile(path, false)
	if err != nil || created || m3.VerifyCheckValue(m1.CheckValue()) != nil {
		t.Errorf("load without create: %v, created=%v", err, created)
	}

	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if m, _, err := keyring.LoadOrCreateMasterFile(path, true); err == nil || m != nil {
			t.Errorf("mode %v: key file readable by others was accepted", mode)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, _, err := keyring.LoadOrCreateMasterFile(path, false); err != nil {
		t.Errorf("mode 0400 rejected: %v", err)
	}
}

func TestLoadOrCreateMasterFile_Errors(t *testing.T) {
	dir := t.TempDir()

	missing := filepath.Join(dir, "missing.key")
	if m, created, err := keyring.LoadOrCreateMasterFile(missing, false); err == nil || m != nil || created {
		t.Errorf("missing file without create: %v, %v, %v", m, created, err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was created without create: %v", err)
	}

	garbage := filepath.Join(dir, "garbage.key")
	if err := os.WriteFile(garbage, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if m, _, err := keyring.LoadOrCreateMasterFile(garbage, true); err == nil || m != nil {
		t.Error("a file without a key was accepted")
	}
	if b, _ := os.ReadFile(garbage); string(b) != "not a key\n" {
		t.Error("a bad key file was overwritten")
	}

	if m, _, err := keyring.LoadOrCreateMasterFile(dir, true); err == nil || m != nil {
		t.Error("a directory was accepted as a key file")
	}
}

func TestLoadOrCreateMasterFile_HandWritten(t *testing.T) {
	m, text := MustMaster(t)
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, created, err := keyring.LoadOrCreateMasterFile(path, true)
	if err != nil || created {
		t.Fatalf("%v, created=%v", err, created)
	}
	if err := loaded.VerifyCheckValue(m.CheckValue()); err != nil {
		t.Error(err)
	}
}

// Two processes starting on a fresh data directory at once must end up with
// one key that both hold, never an empty or half-written file.
func TestLoadOrCreateMasterFileConcurrent(t *testing.T) {
	for round := 0; round < 50; round++ {
		path := filepath.Join(t.TempDir(), "master.key")
		const n = 4
		masters := make([]*keyring.Master, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				masters[i], _, errs[i] = keyring.LoadOrCreateMasterFile(path, true)
			}()
		}
		wg.Wait()
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Fatalf("round %d: creator %d: %v", round, i, errs[i])
			}
		}
		check := masters[0].CheckValue()
		for i := 1; i < n; i++ {
			if err := masters[i].VerifyCheckValue(check); err != nil {
				t.Fatalf("round %d: creator %d holds a different key", round, i)
			}
		}
	}
}
