package sqlstore

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/internal/jsoncodec"
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
			if _, err2 := jsoncodec.Marshal(p); err2 == nil {
				t.Fatalf("encoding/json refuses the profile (%v), jsoncodec.Marshal does not", err)
			}
			return
		}
		got, err := jsoncodec.Marshal(p)
		if err != nil || !jsoncodec.SameAsEncodingJSON(got, want, name, email, line1, attrKey, attrVal, source) {
			t.Fatalf("jsoncodec.Marshal = %q, %v\nencoding/json = %q", got, err, want)
		}
		var viaJSON, viaCodec steward.Profile
		if err := json.Unmarshal(want, &viaJSON); err != nil {
			t.Fatalf("encoding/json cannot read its own output: %v", err)
		}
		if err := jsoncodec.Unmarshal(want, &viaCodec); err != nil {
			t.Fatalf("jsoncodec.Unmarshal(%q): %v", want, err)
		}
		// Compared through encoding/json: time zones decode to equal but
		// distinct *time.Location values.
		a, _ := json.Marshal(&viaJSON)
		b, _ := json.Marshal(&viaCodec)
		if string(a) != string(b) {
			t.Fatalf("decoded differently:\nencoding/json: %s\njsoncodec: %s", a, b)
		}
	})
}
