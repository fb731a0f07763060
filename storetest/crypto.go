package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"golang.org/x/text/unicode/norm"
)

// testEncryptionAtRest stores distinctive values through every write path
// and then searches every byte the engine keeps for them.
func testEncryptionAtRest(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, token := MustTenant(t, h.Store, "Acme")
	var people []personal
	var rawEmails []string
	for _, tag := range []string{"r1", "r2", "r3"} {
		p := distinctive(tag)
		people = append(people, p)
		in := p.input()
		in.Email.Value = "  " + strings.ToUpper(p.Email) + " "
		rawEmails = append(rawEmails, in.Email.Value)
		sub := MustCreate(t, h.Store, a, in)
		MustMessage(t, h.Store, a, sub.ID, p.Body)
		if _, err := h.Store.Subject(ctx, a, sub.ID); err != nil {
			t.Fatal(err)
		}
	}
	// Values that only pass through an update, a lookup and an
	// idempotency key must not be kept either.
	up := distinctive("r4")
	people = append(people, up)
	subs, _, err := h.Store.Subjects(ctx, a, steward.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.UpdateSubject(ctx, a, subs[0].ID, &steward.SubjectPatch{
		Source: steward.SourceForm,
		Email:  steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: up.Email}},
		Name:   steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: up.Name}},
		Attributes: map[string]*steward.Field[string]{
			up.AttrKey: {Value: up.AttrValue},
		},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: up.Email}); err != nil {
		t.Fatal(err)
	}
	idemKey := "idem-" + up.Username
	s, err := up.input().Subject(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.Profile.Email.Value = "other." + up.Email
	s.Profile.Username.Value = "other_" + up.Username
	if _, _, err := h.Store.CreateSubject(ctx, a, s, &steward.Idempotency{Key: idemKey, Fingerprint: []byte("fp " + up.Body)}); err != nil {
		t.Fatal(err)
	}
	MustVerify(t, h.Store)

	dump := h.Dump(t)
	if len(dump) < 1000 {
		t.Fatalf("the dump holds only %d bytes; it cannot be the whole store", len(dump))
	}
	// The dump must hold what the store keeps in the clear, or finding no
	// personal value in it proves nothing.
	if !bytes.Contains(dump, []byte(a.TenantID)) {
		t.Fatalf("the dump does not contain the tenant id")
	}
	var secrets []string
	for _, p := range people {
		secrets = append(secrets, p.values()...)
	}
	secrets = append(secrets, rawEmails...)
	secrets = append(secrets, idemKey, "fp "+up.Body, token)
	for _, v := range secrets {
		for _, form := range []string{v, strings.ToLower(v), strings.ToUpper(v)} {
			if bytes.Contains(dump, []byte(form)) {
				t.Errorf("the store keeps %q in the clear", form)
			}
		}
	}
	// Blind indexes are keyed: an unkeyed hash of an email, raw or
	// normalised, must not be findable.
	for i, p := range people {
		forms := []string{p.Email, strings.ToUpper(p.Email), norm.NFC.String(p.Email)}
		if i < len(rawEmails) {
			forms = append(forms, rawEmails[i])
		}
		if n, err := steward.NormalizeEmail(p.Email); err == nil {
			forms = append(forms, n)
		}
		for _, f := range forms {
			sum := sha256.Sum256([]byte(f))
			if bytes.Contains(dump, sum[:]) || bytes.Contains(dump, []byte(hex.EncodeToString(sum[:]))) {
				t.Errorf("the store keeps sha256(%q): lookups are not keyed", f)
			}
		}
	}
}

// testAssociatedData moves ciphertext between rows behind the store's back:
// each moved value must fail to decrypt, never be read as someone else's.
func testAssociatedData(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Other")
	p1, p2, p3 := distinctive("ad1"), distinctive("ad2"), distinctive("ad3")
	s1 := MustCreate(t, h.Store, a, p1.input())
	s2 := MustCreate(t, h.Store, a, p2.input())
	s3 := MustCreate(t, h.Store, b, p3.input())
	m1 := MustMessage(t, h.Store, a, s2.ID, "first message "+p2.Body)
	m2 := MustMessage(t, h.Store, a, s2.ID, "second message "+p2.Body)

	type row struct {
		keyVersion int64
		wrapped    []byte
		profile    []byte
	}
	read := func(tenant, id string) row {
		var r row
		if err := h.Raw.QueryRow(h.Rebind(`SELECT key_version, wrapped_key, profile FROM subjects WHERE tenant_id = ? AND id = ?`), tenant, id).Scan(&r.keyVersion, &r.wrapped, &r.profile); err != nil {
			t.Fatal(err)
		}
		return r
	}
	write := func(tenant, id string, r row) {
		if n := h.exec(t, `UPDATE subjects SET key_version = ?, wrapped_key = ?, profile = ? WHERE tenant_id = ? AND id = ?`, r.keyVersion, r.wrapped, r.profile, tenant, id); n != 1 {
			t.Fatalf("updated %d rows", n)
		}
	}
	row1, row2, row3 := read(a.TenantID, s1.ID), read(a.TenantID, s2.ID), read(b.TenantID, s3.ID)

	// refused checks that every read of s2 (in tenant a) fails as internal,
	// without a trace of s1's values, and is not audited.
	refused := func(t *testing.T) {
		t.Helper()
		size := auditSize(t, h.Store, a.TenantID)
		reads := map[string]func() error{
			"Subject": func() error { _, err := h.Store.Subject(ctx, a, s2.ID); return err },
			"Find": func() error {
				_, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: p2.Email})
				return err
			},
			"List": func() error { _, _, err := h.Store.Subjects(ctx, a, steward.Page{}); return err },
			"Update": func() error {
				_, err := h.Store.UpdateSubject(ctx, a, s2.ID, &steward.SubjectPatch{Source: steward.SourceForm, Name: steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "x"}}})
				return err
			},
		}
		for name, read := range reads {
			err := read()
			wantCode(t, err, steward.EInternal)
			for _, v := range append(p1.values(), p2.values()...) {
				if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(v)) {
					t.Fatalf("%s: error %q reveals %q", name, err, v)
				}
			}
		}
		if got := auditSize(t, h.Store, a.TenantID); got != size {
			t.Fatalf("refused reads appended %d audit entries", got-size)
		}
	}
	readable := func(t *testing.T) {
		t.Helper()
		got, err := h.Store.Subject(ctx, a, s2.ID)
		if err != nil {
			t.Fatalf("after restoring the row: %v", err)
		}
		sameProfile(t, &got.Profile, &s2.Profile)
	}

	for _, tc := range []struct {
		name string
		row  row
	}{
		{"Profile", row{row2.keyVersion, row2.wrapped, row1.profile}},
		{"WrappedKey", row{row2.keyVersion, row1.wrapped, row2.profile}},
		{"WholeRow", row1},
		{"OtherTenant", row3},
		{"KeyVersion", row{row2.keyVersion + 1, row2.wrapped, row2.profile}},
		{"Truncated", row{row2.keyVersion, row2.wrapped, row2.profile[:len(row2.profile)-1]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(a.TenantID, s2.ID, tc.row)
			refused(t)
			write(a.TenantID, s2.ID, row2)
			readable(t)
		})
	}

	t.Run("MessageBody", func(t *testing.T) {
		// Both messages are sealed with the same data key; only the
		// associated data (the message id) tells them apart.
		var body1, body2 []byte
		q := h.Rebind(`SELECT body FROM messages WHERE tenant_id = ? AND id = ?`)
		if err := h.Raw.QueryRow(q, a.TenantID, m1.ID).Scan(&body1); err != nil {
			t.Fatal(err)
		}
		if err := h.Raw.QueryRow(q, a.TenantID, m2.ID).Scan(&body2); err != nil {
			t.Fatal(err)
		}
		h.exec(t, `UPDATE messages SET body = ? WHERE tenant_id = ? AND id = ?`, body1, a.TenantID, m2.ID)
		msgs, _, err := h.Store.Messages(ctx, a, s2.ID, steward.Page{})
		wantCode(t, err, steward.EInternal)
		if len(msgs) != 0 {
			t.Fatalf("a moved message body was served: %v", msgs)
		}
		h.exec(t, `UPDATE messages SET body = ? WHERE tenant_id = ? AND id = ?`, body2, a.TenantID, m2.ID)
		msgs, _, err = h.Store.Messages(ctx, a, s2.ID, steward.Page{})
		if err != nil || len(msgs) != 2 {
			t.Fatalf("after restoring: %v, %v", msgs, err)
		}
		for _, m := range msgs {
			if want := map[string]string{m1.ID: m1.Body, m2.ID: m2.Body}[m.ID]; m.Body != want {
				t.Fatalf("after restoring, message %s reads %q, want %q", m.ID, m.Body, want)
			}
		}
	})

	t.Run("TenantKey", func(t *testing.T) {
		// A tenant key moved to another tenant fails to unwrap (the store
		// caches unwrapped keys, so reopen to make it read them again).
		var wrappedA, wrappedB []byte
		q := h.Rebind(`SELECT wrapped FROM tenant_keys WHERE tenant_id = ?`)
		if err := h.Raw.QueryRow(q, a.TenantID).Scan(&wrappedA); err != nil {
			t.Fatal(err)
		}
		if err := h.Raw.QueryRow(q, b.TenantID).Scan(&wrappedB); err != nil {
			t.Fatal(err)
		}
		h.exec(t, `UPDATE tenant_keys SET wrapped = ? WHERE tenant_id = ?`, wrappedA, b.TenantID)
		h.Store = h.Reopen(t)
		_, err := h.Store.Subject(ctx, b, s3.ID)
		wantCode(t, err, steward.EInternal)
		h.exec(t, `UPDATE tenant_keys SET wrapped = ? WHERE tenant_id = ?`, wrappedB, b.TenantID)
		h.Store = h.Reopen(t)
		if _, err := h.Store.Subject(ctx, b, s3.ID); err != nil {
			t.Fatalf("after restoring the tenant key: %v", err)
		}
	})
	MustVerify(t, h.Store)
}
