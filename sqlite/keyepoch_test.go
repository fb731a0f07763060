package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/sqlite"
	"github.com/stewardhq/steward/storetest"
)

// TestRevocationReachesOtherProcesses authenticates through one store,
// which then remembers the key, and revokes it through another on the same
// data, as the CLI does beside a running server: the first store must
// refuse the key on its very next request.
func TestRevocationReachesOtherProcesses(t *testing.T) {
	ctx := context.Background()
	server, cli := twoProcesses(t)

	a, token := storetest.MustTenant(t, server.Store, "Acme")
	_, other, err := server.CreateAPIKey(ctx, a.TenantID, "other")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for _, tok := range []string{token, other} {
			if _, err := server.Authenticate(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cli.RevokeAPIKey(ctx, a.TenantID, a.KeyID); err != nil {
		t.Fatal(err)
	}
	if k, err := server.Authenticate(ctx, token); steward.ErrorCode(err) != steward.EUnauthorized {
		t.Fatalf("a key revoked by another process still authenticates: %+v, %v", k, err)
	}
	if _, err := server.Authenticate(ctx, other); err != nil {
		t.Fatalf("an unrevoked key stopped working: %v", err)
	}

	// A revocation in the same process holds at once too.
	k2, t2, err := server.CreateAPIKey(ctx, a.TenantID, "third")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate(ctx, t2); err != nil {
		t.Fatal(err)
	}
	if err := server.RevokeAPIKey(ctx, a.TenantID, k2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate(ctx, t2); steward.ErrorCode(err) != steward.EUnauthorized {
		t.Fatalf("a key revoked in-process still authenticates: %v", err)
	}
}

// twoProcesses opens two stores on the same new data directory, as two
// processes (a server and the CLI) would, and closes them at the end.
func twoProcesses(tb testing.TB) (*sqlite.DB, *sqlite.DB) {
	tb.Helper()
	dir, master := tb.TempDir(), mustMaster(tb)
	var dbs [2]*sqlite.DB
	for i := range dbs {
		db, err := sqlite.Open(context.Background(), dir, master, nil)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

// TestAuthenticatedKeysAreRemembered shows the cache is what answers: a
// key row deleted behind the store's back (not a revocation, which is
// announced) keeps authenticating until the epoch moves.
func TestAuthenticatedKeysAreRemembered(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, dir, mustMaster(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, token := storetest.MustTenant(t, db.Store, "Acme")
	b, other := storetest.MustTenant(t, db.Store, "Other")
	if _, err := db.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM api_keys WHERE id = ?`, a.KeyID); err != nil {
		t.Fatal(err)
	}
	k, err := db.Authenticate(ctx, token)
	if err != nil || k.ID != a.KeyID || k.TenantID != a.TenantID {
		t.Fatalf("remembered key: %+v, %v", k, err)
	}
	// Any announced revocation makes every process forget what it knows.
	if err := db.RevokeAPIKey(ctx, b.TenantID, b.KeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, token); steward.ErrorCode(err) != steward.EUnauthorized {
		t.Fatalf("after the epoch moved, a deleted key authenticates: %v", err)
	}
	if _, err := db.Authenticate(ctx, other); steward.ErrorCode(err) != steward.EUnauthorized {
		t.Fatalf("the revoked key authenticates: %v", err)
	}
}
