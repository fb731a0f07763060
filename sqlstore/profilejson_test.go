package sqlstore

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stewardhq/steward"
)

// fuzzProfile builds a profile from fuzz input: every field set, odd
// strings (HTML, control characters, invalid UTF-8) and any time zone.
func fuzzProfile(name, email, line1, attrKey, attrVal, source string, unixNano int64, offset int) *steward.Profile {
	loc := time.UTC
	if offset != 0 {
		loc = time.FixedZone("", offset%(18*3600))
	}
	at := time.Unix(0, unixNano).In(loc)
	src := steward.Source(source)
	p := &steward.Profile{
		Name:           &steward.Field[string]{Value: name, Source: src, CollectedAt: at},
		Email:          &steward.Field[string]{Value: email, CollectedAt: at},
		BillingAddress: &steward.Field[steward.Address]{Value: steward.Address{Line1: line1, City: attrVal}, Source: src, CollectedAt: at},
	}
	if attrKey != "" {
		p.Attributes = map[string]steward.Field[string]{attrKey: {Value: attrVal, Source: src, CollectedAt: at}, "z" + attrKey: {Value: name}}
	}
	return p
}

// sameJSON reports whether got is what encoding/json wrote, want: byte for
// byte when every input string was valid UTF-8. Invalid UTF-8 (which
// request decoding already replaces, so stored values never hold it) comes
// out as U+FFFD either way, escaped by encoding/json and raw here, the
// same as Go 1.27's own encoding/json: then the decoded values must match.
func sameJSON(got, want []byte, inputs ...string) bool {
	if !slices.ContainsFunc(inputs, func(s string) bool { return !utf8.ValidString(s) }) {
		return string(got) == string(want)
	}
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal(want, &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// The profile codec must write what encoding/json writes (profiles sealed
// by earlier versions were written by it) and read it back as
// encoding/json reads it.
func FuzzProfileCodecMatchesEncodingJSON(f *testing.F) {
	f.Add("Ada Lovelace", "ada@example.com", "1 Main St", "plan", "pro", "registration", int64(1740830400123456000), 0)
	f.Add("<script>&</script>", "a\"b\\c@x", "\u2028\u2029", "k\x00", "\xff\xfe", "form", int64(0), 3600)
	f.Add("é 漢字 🙂", "", "", "", "", "", int64(-62135596800000000000/1000), -45000)
	f.Fuzz(func(t *testing.T, name, email, line1, attrKey, attrVal, source string, unixNano int64, offset int) {
		p := fuzzProfile(name, email, line1, attrKey, attrVal, source, unixNano, offset)
		want, err := json.Marshal(p)
		if err != nil {
			if _, err2 := encodeProfile(p); err2 == nil {
				t.Fatalf("encoding/json refuses the profile (%v), encodeProfile does not", err)
			}
			return
		}
		got, err := encodeProfile(p)
		if err != nil || !sameJSON(got, want, name, email, line1, attrKey, attrVal, source) {
			t.Fatalf("encodeProfile = %q, %v\nencoding/json = %q", got, err, want)
		}
		var viaJSON, viaCodec steward.Profile
		if err := json.Unmarshal(want, &viaJSON); err != nil {
			t.Fatalf("encoding/json cannot read its own output: %v", err)
		}
		if err := decodeProfile(want, &viaCodec); err != nil {
			t.Fatalf("decodeProfile(%q): %v", want, err)
		}
		// Compared through encoding/json: time zones decode to equal but
		// distinct *time.Location values.
		a, _ := json.Marshal(&viaJSON)
		b, _ := json.Marshal(&viaCodec)
		if string(a) != string(b) {
			t.Fatalf("decoded differently:\nencoding/json: %s\ndecodeProfile: %s", a, b)
		}
	})
}
