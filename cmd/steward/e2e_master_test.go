package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardhq/steward/keyring"
)

// TestMasterKeyRotation rotates the master key while the server serves: the
// server keeps answering, learns the new key when it meets a tenant created
// after the rotation, the old key stops opening the store, and a rotation
// interrupted between its commit and the key-file move is finished by the
// next start.
func TestMasterKeyRotation(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			testMasterKeyRotation(t, dir, b.setup(t, dir))
		})
	}
}

func testMasterKeyRotation(t *testing.T, dir string, store []string) {
	ts := MustServe(t, dir, store...)
	storeArgs := append([]string{"--data", dir}, store...)
	keyPath := filepath.Join(ts.Data, "master.key")
	oldKey, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	_, token, _ := MustTenantArgs(t, "Acme", storeArgs...)
	sub := MustCreateSubject(t, ts.URL, token, map[string]any{
		"kind": "end_user", "source": "registration", "email": map[string]any{"value": "ada@example.com"},
	})

	out := MustCLI(t, nil, append([]string{"keys", "rotate", "--master", "--json"}, storeArgs...)...)
	if !strings.Contains(out, `"rotated": true`) || !strings.Contains(out, `"tenant_keys": 1`) {
		t.Fatalf("rotate --master printed %s", out)
	}
	newKey, _ := os.ReadFile(keyPath)
	if string(newKey) == string(oldKey) {
		t.Fatal("the key file did not change")
	}
	if _, err := os.Stat(keyPath + nextSuffix); !os.IsNotExist(err) {
		t.Fatalf("the next key file was left behind: %v", err)
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Fatalf("new key file mode %v", fi.Mode().Perm())
	}

	// The running server still reads what it had, and serves a tenant whose
	// keys exist only under the new master key.
	MustStatus(t, Do(t, "GET", ts.URL+"/v1/subjects/"+sub.ID, token, nil), 200, "get after rotation")
	_, token2, _ := MustTenantArgs(t, "Born after the rotation", storeArgs...)
	sub2 := MustCreateSubject(t, ts.URL, token2, map[string]any{
		"kind": "end_user", "source": "registration", "email": map[string]any{"value": "grace@example.com"},
	})
	MustStatus(t, Do(t, "GET", ts.URL+"/v1/subjects/"+sub2.ID, token2, nil), 200, "get in the new tenant")
	ts.Stop(t)

	// The old key no longer opens the store, and changes nothing trying.
	_, _, err = runCLI(envFunc("STEWARD_MASTER_KEY", string(oldKey)), append([]string{"tenant", "list"}, storeArgs...)...)
	if !errors.Is(err, keyring.ErrWrongMasterKey) {
		t.Fatalf("old key: err = %v, want wrong master key", err)
	}

	// A rotation that stopped after its commit: the old key is still in
	// the file and the new one waits beside it. The next start finishes it.
	if err := os.WriteFile(keyPath+nextSuffix, newKey, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, oldKey, 0o600); err != nil {
		t.Fatal(err)
	}
	ts2 := MustServe(t, ts.Data, store...)
	MustStatus(t, Do(t, "GET", ts2.URL+"/v1/subjects/"+sub.ID, token, nil), 200, "get after recovery")
	if got, _ := os.ReadFile(keyPath); string(got) != string(newKey) {
		t.Fatal("the interrupted rotation was not finished")
	}
	ts2.Stop(t)
	verify := MustCLI(t, nil, append([]string{"audit", "verify", "--json"}, storeArgs...)...)
	if !strings.Contains(verify, `"ok": true`) {
		t.Fatalf("audit verify after master rotation: %s", verify)
	}

	// An environment-held key cannot be rotated: there is no file to write.
	_, _, err = runCLI(envFunc("STEWARD_MASTER_KEY", string(newKey)), append([]string{"keys", "rotate", "--master"}, storeArgs...)...)
	if err == nil || !strings.Contains(err.Error(), "file") {
		t.Fatalf("rotate --master with an env key: %v", err)
	}
}
