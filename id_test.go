package steward_test

import (
	"encoding/base32"
	"encoding/binary"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

func TestNewID_Shape(t *testing.T) {
	before := time.Now().UnixMilli()
	id := steward.NewID("sub")
	after := time.Now().UnixMilli()
	rest, ok := strings.CutPrefix(id, "sub_")
	if !ok || len(rest) != 26 {
		t.Fatalf("NewID(sub) = %q, want sub_ and 26 characters", id)
	}
	if !steward.ValidID("sub", id) {
		t.Errorf("ValidID rejects %q", id)
	}
	// The first 48 bits are the creation time in milliseconds.
	raw, err := base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding).DecodeString(rest)
	if err != nil || len(raw) != 16 {
		t.Fatalf("decode %q: %d bytes, %v", rest, len(raw), err)
	}
	ms := int64(binary.BigEndian.Uint64(raw[:8]) >> 16)
	if ms < before || ms > after {
		t.Errorf("id time %d outside [%d, %d]", ms, before, after)
	}
	if other := steward.NewID("ten"); !strings.HasPrefix(other, "ten_") || !steward.ValidID("ten", other) {
		t.Errorf("NewID(ten) = %q", other)
	}
}

func TestValidID(t *testing.T) {
	good := steward.NewID("sub")
	rest := strings.TrimPrefix(good, "sub_")
	tests := []struct {
		name   string
		prefix string
		id     string
		want   bool
	}{
		{"OK", "sub", good, true},
		{"AllDigits", "sub", "sub_" + strings.Repeat("0", 26), true},
		{"HighestLetter", "sub", "sub_" + strings.Repeat("v", 26), true},
		{"WrongPrefix", "msg", good, false},
		{"PrefixOfPrefix", "su", "su_" + rest[:25] + "0", true},
		{"NoUnderscore", "sub", "sub" + rest, false},
		{"DashSeparator", "sub", "sub-" + rest, false},
		{"Empty", "sub", "", false},
		{"OnlyPrefix", "sub", "sub_", false},
		{"Short", "sub", "sub_" + rest[:25], false},
		{"Long", "sub", good + "0", false},
		{"Uppercase", "sub", "sub_" + strings.ToUpper(rest[:25]) + "A", false},
		{"OutsideAlphabet", "sub", "sub_" + rest[:25] + "w", false},
		{"Z", "sub", "sub_" + rest[:25] + "z", false},
		{"Punctuation", "sub", "sub_" + rest[:25] + "-", false},
		{"SQL", "sub", "sub_' OR 1=1 --abcdefghijklm", false},
		{"NonASCII", "sub", "sub_" + rest[:24] + "é", false},
		{"PrefixTwice", "sub", "sub_sub_" + rest[:22], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := steward.ValidID(tt.prefix, tt.id); got != tt.want {
				t.Errorf("ValidID(%q, %q) = %v, want %v", tt.prefix, tt.id, got, tt.want)
			}
		})
	}
}

func TestNewID_Ascending(t *testing.T) {
	prev := steward.NewID("sub")
	for i := range 10000 {
		id := steward.NewID("sub")
		if id <= prev {
			t.Fatalf("id %d: %q does not sort after %q", i, id, prev)
		}
		prev = id
	}
}

func TestNewID_ConcurrentUnique(t *testing.T) {
	const goroutines, each = 8, 2000
	ids := make([][]string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for range each {
				ids[g] = append(ids[g], steward.NewID("msg"))
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool, goroutines*each)
	for g, list := range ids {
		for i, id := range list {
			if seen[id] {
				t.Fatalf("duplicate id %q", id)
			}
			seen[id] = true
			if i > 0 && id <= list[i-1] {
				t.Errorf("goroutine %d: %q does not sort after %q", g, id, list[i-1])
			}
		}
	}
	if len(seen) != goroutines*each {
		t.Fatalf("%d ids, want %d", len(seen), goroutines*each)
	}
}

func TestIDAtOrdersWithNewID(t *testing.T) {
	before := steward.IDAt("sub", time.Now().Add(-time.Millisecond))
	id := steward.NewID("sub")
	after := steward.IDAt("sub", time.Now().Add(2*time.Millisecond))
	if !(before < id && id < after) {
		t.Fatalf("want %s < %s < %s", before, id, after)
	}
	if !steward.ValidID("sub", before) {
		t.Fatalf("IDAt made an invalid id %q", before)
	}
	at, ok := steward.IDTime("sub", id)
	if !ok || time.Since(at) > time.Second || time.Since(at) < -time.Second {
		t.Fatalf("IDTime = %v, %v", at, ok)
	}
	if _, ok := steward.IDTime("sub", "sub_nope"); ok {
		t.Fatal("IDTime accepted a malformed id")
	}
}
