package keyring

import "testing"

func BenchmarkSealProfile(b *testing.B) {
	sk, err := NewSubjectKey("ten_x", "sub_y", NewKey())
	if err != nil {
		b.Fatal(err)
	}
	pt := make([]byte, 400)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		sk.Seal("profile", "", pt)
	}
}

func BenchmarkOpenSubjectKeyAndProfile(b *testing.B) {
	tk, err := NewTenantKey("ten_x", 1, NewKey())
	if err != nil {
		b.Fatal(err)
	}
	dek := NewKey()
	wrapped := tk.WrapSubjectKey("sub_y", dek)
	sk, _ := NewSubjectKey("ten_x", "sub_y", dek)
	ct := sk.Seal("profile", "", make([]byte, 400))
	for b.Loop() {
		k, err := tk.OpenSubjectKey("sub_y", wrapped)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Open("profile", "", ct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlindIndex(b *testing.B) {
	ik := NewIndexKey(NewKey())
	for b.Loop() {
		ik.Blind("email", "ada.lovelace@example.com")
	}
}
