package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stewardhq/steward"
)

func testTenants(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		a, err := h.Store.CreateTenant(ctx, "  Acme GmbH  ")
		if err != nil {
			t.Fatal(err)
		}
		if !steward.ValidID("ten", a.ID) || a.Name != "Acme GmbH" || a.CreatedAt.IsZero() {
			t.Fatalf("tenant = %+v", a)
		}
		// NFC: "Café" written with a combining accent is stored composed.
		b, err := h.Store.CreateTenant(ctx, "Cafe\u0301 Noir")
		if err != nil {
			t.Fatal(err)
		}
		if b.Name != "Caf\u00e9 Noir" {
			t.Fatalf("name not NFC: %q", b.Name)
		}
		list, err := h.Store.Tenants(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Oldest first, even within one millisecond.
		if len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
			t.Fatalf("tenants = %+v, want %s then %s", list, a.ID, b.ID)
		}
		if list[0].Name != a.Name || !list[0].CreatedAt.Equal(a.CreatedAt) {
			t.Fatalf("listed %+v, created %+v", list[0], a)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		before := h.count(t, `SELECT COUNT(*) FROM tenants`)
		for _, name := range []string{
			"", "   ", "Acme\x00", "Acme\nGmbH", "\u202eemcA", "bad \xff utf8", strings.Repeat("n", 201),
		} {
			_, err := h.Store.CreateTenant(ctx, name)
			wantCode(t, err, steward.EInvalid)
			if f := steward.ErrorField(err); f != "name" {
				t.Errorf("CreateTenant(%q): field %q, want name", name, f)
			}
		}
		if after := h.count(t, `SELECT COUNT(*) FROM tenants`); after != before {
			t.Fatalf("invalid names stored tenants: %d -> %d", before, after)
		}
		if _, err := h.Store.CreateTenant(ctx, strings.Repeat("n", 200)); err != nil {
			t.Fatalf("a 200-character name is valid: %v", err)
		}
	})
}

func testAPIKeys(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	ten, err := h.Store.CreateTenant(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	other, err := h.Store.CreateTenant(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	k1, token1, err := h.Store.CreateAPIKey(ctx, ten.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	k2, token2, err := h.Store.CreateAPIKey(ctx, ten.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	ko, tokenOther, err := h.Store.CreateAPIKey(ctx, other.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		if !steward.ValidID("key", k1.ID) || k1.TenantID != ten.ID || k1.Name != "ci" || k1.RevokedAt != nil {
			t.Fatalf("key = %+v", k1)
		}
		if k2.Name != "default" {
			t.Fatalf("an unnamed key is called %q, want default", k2.Name)
		}
		if !strings.HasPrefix(token1, "stw_") || token1 == token2 {
			t.Fatalf("tokens %q and %q", token1, token2)
		}
		// Only a hash of the token is stored.
		if n := h.count(t, `SELECT COUNT(*) FROM api_keys WHERE secret_hash = ? OR name = ?`, []byte(token1), token1); n != 0 {
			t.Fatalf("the token is stored in the clear")
		}
		for _, tc := range []struct {
			token  string
			key    string
			tenant string
		}{{token1, k1.ID, ten.ID}, {token2, k2.ID, ten.ID}, {tokenOther, ko.ID, other.ID}} {
			k, err := h.Store.Authenticate(ctx, tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if k.ID != tc.key || k.TenantID != tc.tenant || k.RevokedAt != nil {
				t.Fatalf("authenticate = %+v, want key %s of %s", k, tc.key, tc.tenant)
			}
		}
		keys, err := h.Store.APIKeys(ctx, ten.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 || keys[0].ID != k1.ID || keys[1].ID != k2.ID {
			t.Fatalf("keys = %+v", keys)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := h.Store.CreateAPIKey(ctx, "ten_00000000000000000000000000", "x")
		wantCode(t, err, steward.ENotFound)
		_, err = h.Store.APIKeys(ctx, "ten_00000000000000000000000000")
		wantCode(t, err, steward.ENotFound)
		wantCode(t, h.Store.RevokeAPIKey(ctx, ten.ID, "key_00000000000000000000000000"), steward.ENotFound)
		// Another tenant's key is unknown here, and keeps working.
		wantCode(t, h.Store.RevokeAPIKey(ctx, ten.ID, ko.ID), steward.ENotFound)
		if _, err := h.Store.Authenticate(ctx, tokenOther); err != nil {
			t.Fatalf("revoking through the wrong tenant disabled the key: %v", err)
		}
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		random := make([]byte, 32)
		rand.Read(random)
		flipped := []byte(token1)
		if flipped[10] == 'A' {
			flipped[10] = 'B'
		} else {
			flipped[10] = 'A'
		}
		for name, tok := range map[string]string{
			"empty":     "",
			"prefix":    "stw_",
			"bearer":    "Bearer " + token1,
			"flipped":   string(flipped),
			"truncated": token1[:len(token1)-1],
			"extended":  token1 + "A",
			"upper":     strings.ToUpper(token1),
			"unknown":   "stw_" + base64.RawURLEncoding.EncodeToString(random),
			"noprefix":  "xyz_" + token1[4:],
			"space":     " " + token1,
		} {
			_, err := h.Store.Authenticate(ctx, tok)
			if steward.ErrorCode(err) != steward.EUnauthorized {
				t.Errorf("%s token: %v, want unauthorized", name, err)
			}
		}
	})

	t.Run("Revoke", func(t *testing.T) {
		if err := h.Store.RevokeAPIKey(ctx, ten.ID, k1.ID); err != nil {
			t.Fatal(err)
		}
		// Effective at once: the very next call is refused.
		_, err := h.Store.Authenticate(ctx, token1)
		wantCode(t, err, steward.EUnauthorized)
		if _, err := h.Store.Authenticate(ctx, token2); err != nil {
			t.Fatalf("revoking one key disabled another: %v", err)
		}
		keys, err := h.Store.APIKeys(ctx, ten.ID)
		if err != nil {
			t.Fatal(err)
		}
		if keys[0].RevokedAt == nil || keys[1].RevokedAt != nil {
			t.Fatalf("keys after revoke = %+v, %+v", keys[0], keys[1])
		}
		first := *keys[0].RevokedAt
		// Revoking again changes nothing.
		if err := h.Store.RevokeAPIKey(ctx, ten.ID, k1.ID); err != nil {
			t.Fatal(err)
		}
		keys, _ = h.Store.APIKeys(ctx, ten.ID)
		if !keys[0].RevokedAt.Equal(first) {
			t.Fatalf("a second revoke moved revoked_at from %v to %v", first, keys[0].RevokedAt)
		}
		_, err = h.Store.Authenticate(ctx, token1)
		wantCode(t, err, steward.EUnauthorized)
	})
}
