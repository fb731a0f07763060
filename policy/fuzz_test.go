package policy

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the decoder and validator. They must
// never panic; every problem must say where (a path) or what (a code); and
// a document that passes must marshal to a document that passes again.
func FuzzParse(f *testing.F) {
	f.Add(defaultJSON)
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"operator": {"legal_name": "$platform"}, "minimum_age": 1e400}`))
	f.Add([]byte(`{"retention": [{"id": "x", "categories": ["user.name"], "duration": "-P99999999999Y"}]}`))
	f.Add([]byte(`{"notice": [{"id": "a", "heading": "A", "covers": ["categories/", "/", "..", "a.b.c/d"]}]}`))
	f.Add([]byte(`{"a": {"a": {"a": [[[[[[[[[[]]]]]]]]]]}}}`))
	f.Add([]byte("{\"\xff\": \"\xfe\"}"))
	f.Add(bytes.Replace(defaultJSON, []byte(`"P6Y"`), []byte(`"P6Y6Y"`), 1))
	f.Add(bytes.Replace(defaultJSON, []byte(`"user.name"`), []byte(`"user"`), 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, ps := Check(b)
		for _, p := range ps {
			if p.Path == "" && p.Code == "" {
				t.Fatalf("problem without path or code: %+v", p)
			}
			if p.Message == "" {
				t.Fatalf("problem without message: %+v", p)
			}
		}
		if len(ps) > MaxProblems+1 {
			t.Fatalf("%d problems, more than the cap", len(ps))
		}
		if d == nil || len(ps) > 0 {
			if _, err := Parse(b); err == nil {
				t.Fatal("Parse accepted a document Check refused")
			}
			return
		}
		out, err := Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("a valid document does not survive Marshal: %v", err)
		}
	})
}
