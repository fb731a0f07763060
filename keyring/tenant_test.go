package keyring_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stewardhq/steward/keyring"
)

func MustTenantKey(tb testing.TB, tenant string, version int, raw []byte) *keyring.TenantKey {
	tb.Helper()
	k, err := keyring.NewTenantKey(tenant, version, raw)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func TestTenantKey_SubjectKeyRoundTrip(t *testing.T) {
	raw := keyring.NewKey()
	tk := MustTenantKey(t, "ten_a", 1, raw)
	dek := keyring.NewKey()
	wrapped := tk.WrapSubjectKey("sub_a", dek)
	if bytes.Contains(wrapped, dek) {
		t.Fatal("wrapped key holds the key")
	}

	got, err := tk.UnwrapSubjectKey("sub_a", wrapped)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("UnwrapSubjectKey = %x, %v", got, err)
	}
	// A tenant key rebuilt from the same raw bytes opens it too.
	sk, err := MustTenantKey(t, "ten_a", 1, raw).OpenSubjectKey("sub_a", wrapped)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := keyring.NewSubjectKey("ten_a", "sub_a", dek)
	if err != nil {
		t.Fatal(err)
	}
	ct := direct.Seal("profile", "", []byte("Ada"))
	if pt, err := sk.Open("profile", "", ct); err != nil || string(pt) != "Ada" {
		t.Errorf("opened subject key does not open the subject's data: %q, %v", pt, err)
	}
}

func TestTenantKey_WrappedKeyIsBound(t *testing.T) {
	raw := keyring.NewKey()
	tk := MustTenantKey(t, "ten_a", 1, raw)
	wrapped := tk.WrapSubjectKey("sub_a", keyring.NewKey())
	tests := []struct {
		name    string
		key     *keyring.TenantKey
		subject string
		wrapped []byte
	}{
		{"OtherSubject", tk, "sub_b", wrapped},
		{"SubjectPrefix", tk, "sub_", wrapped},
		{"Version2", MustTenantKey(t, "ten_a", 2, raw), "sub_a", wrapped},
		{"OtherTenantSameRaw", MustTenantKey(t, "ten_b", 1, raw), "sub_a", wrapped},
		{"OtherRaw", MustTenantKey(t, "ten_a", 1, keyring.NewKey()), "sub_a", wrapped},
		{"Truncated", tk, "sub_a", wrapped[:len(wrapped)-1]},
		{"Empty", tk, "sub_a", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if sk, err := tt.key.OpenSubjectKey(tt.subject, tt.wrapped); !errors.Is(err, keyring.ErrDecrypt) || sk != nil {
				t.Errorf("OpenSubjectKey = %v, %v; want ErrDecrypt", sk, err)
			}
			if dek, err := tt.key.UnwrapSubjectKey(tt.subject, tt.wrapped); !errors.Is(err, keyring.ErrDecrypt) || dek != nil {
				t.Errorf("UnwrapSubjectKey = %x, %v; want ErrDecrypt", dek, err)
			}
		})
	}
}

func TestTenantKey_Rotation(t *testing.T) {
	v1 := MustTenantKey(t, "ten_a", 1, keyring.NewKey())
	v2 := MustTenantKey(t, "ten_a", 2, keyring.NewKey())
	dek := keyring.NewKey()
	sk, _ := keyring.NewSubjectKey("ten_a", "sub_a", dek)
	ct := sk.Seal("profile", "", []byte("Ada"))

	raw, err := v1.UnwrapSubjectKey("sub_a", v1.WrapSubjectKey("sub_a", dek))
	if err != nil {
		t.Fatal(err)
	}
	rewrapped := v2.WrapSubjectKey("sub_a", raw)
	if _, err := v1.OpenSubjectKey("sub_a", rewrapped); !errors.Is(err, keyring.ErrDecrypt) {
		t.Errorf("old version opened the re-wrapped key: %v", err)
	}
	opened, err := v2.OpenSubjectKey("sub_a", rewrapped)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := opened.Open("profile", "", ct); err != nil || string(pt) != "Ada" {
		t.Errorf("data sealed before rotation: %q, %v", pt, err)
	}
}

func TestNewSubjectKey_KeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if sk, err := keyring.NewSubjectKey("ten_a", "sub_a", make([]byte, n)); err == nil || sk != nil {
			t.Errorf("NewSubjectKey accepted a %d-byte key", n)
		}
	}
}

func TestSubjectKey_RecordsAreBound(t *testing.T) {
	dek := keyring.NewKey()
	sk, err := keyring.NewSubjectKey("ten_a", "sub_a", dek)
	if err != nil {
		t.Fatal(err)
	}
	profile := sk.Seal("profile", "", []byte(`{"name":"Ada"}`))
	msgA := sk.Seal("message", "msg_a", []byte("hello"))

	if pt, err := sk.Open("profile", "", profile); err != nil || string(pt) != `{"name":"Ada"}` {
		t.Fatalf("profile: %q, %v", pt, err)
	}
	if pt, err := sk.Open("message", "msg_a", msgA); err != nil || string(pt) != "hello" {
		t.Fatalf("message: %q, %v", pt, err)
	}

	otherSubject, _ := keyring.NewSubjectKey("ten_a", "sub_b", dek)
	otherTenant, _ := keyring.NewSubjectKey("ten_b", "sub_a", dek)
	tests := []struct {
		name     string
		key      *keyring.SubjectKey
		kind, id string
		ct       []byte
	}{
		{"ProfileAsMessage", sk, "message", "", profile},
		{"MessageAsProfile", sk, "profile", "", msgA},
		{"MessageAsProfileWithID", sk, "profile", "msg_a", msgA},
		{"OtherMessageID", sk, "message", "msg_b", msgA},
		{"MessageWithoutID", sk, "message", "", msgA},
		{"KindIDBoundary", sk, "messagemsg_a", "", msgA},
		{"OtherSubjectSameKey", otherSubject, "profile", "", profile},
		{"OtherTenantSameKey", otherTenant, "profile", "", profile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if pt, err := tt.key.Open(tt.kind, tt.id, tt.ct); !errors.Is(err, keyring.ErrDecrypt) || pt != nil {
				t.Errorf("Open = %q, %v; want ErrDecrypt", pt, err)
			}
		})
	}
}

func TestKeyADs(t *testing.T) {
	ads := map[string]string{}
	for name, ad := range map[string]keyring.AD{
		"tenant ten_a v1":  keyring.TenantKeyAD("ten_a", 1),
		"tenant ten_a v2":  keyring.TenantKeyAD("ten_a", 2),
		"tenant ten_a v12": keyring.TenantKeyAD("ten_a", 12),
		"tenant ten_a1 v2": keyring.TenantKeyAD("ten_a1", 2),
		"tenant ten_b v1":  keyring.TenantKeyAD("ten_b", 1),
		"index ten_a":      keyring.IndexKeyAD("ten_a"),
		"index ten_b":      keyring.IndexKeyAD("ten_b"),
	} {
		if prev, ok := ads[string(ad)]; ok {
			t.Errorf("%s and %s share associated data", name, prev)
		}
		ads[string(ad)] = name
	}
}
