package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/internal/jsoncodec"
)

// writeJSON must answer exactly what encoding/json would: clients and
// tests were written against its output (HTML-safe escapes, U+FFFD for
// invalid UTF-8, sorted map keys, RFC 3339 times).
func FuzzWriteJSONMatchesEncodingJSON(f *testing.F) {
	f.Add("sub_1", "end_user", "Ada", "<a&b>", "plan", "\xff\u2028", int64(1740830400123456000), 0, 3)
	f.Add("", "", "", "", "", "", int64(0), -45000, 0)
	f.Add("s\"\\", "\x00", "é🙂", "\t\n", "k<", ">v", int64(-62135596800000000000/1000), 3600, -1)
	f.Fuzz(func(t *testing.T, id, kind, name, email, key, val string, unixNano int64, offset, n int) {
		loc := time.UTC
		if offset != 0 {
			loc = time.FixedZone("", offset%(18*3600))
		}
		at := time.Unix(0, unixNano).In(loc)
		sub := &steward.Subject{ID: id, Kind: steward.SubjectKind(kind), CreatedAt: at, UpdatedAt: at, RedactedCardNumbers: n}
		sub.Profile.Name = &steward.Field[string]{Value: name, Source: steward.SourceForm, CollectedAt: at}
		sub.Profile.Email = &steward.Field[string]{Value: email, CollectedAt: at}
		sub.Profile.Attributes = map[string]steward.Field[string]{key: {Value: val}, val: {Value: key}}
		values := []any{
			sub,
			map[string]any{"items": []*steward.Subject{sub, sub}, "next": key, "n": n, "f": float64(unixNano) / 7},
			ErrorResponse{Error: ErrorBody{Code: key, Message: val, Field: name}},
		}
		for i, v := range values {
			want, err := json.Marshal(v)
			rec := httptest.NewRecorder()
			writeJSON(rec, 200, v)
			if err != nil {
				if rec.Code != 500 {
					t.Fatalf("value %d: encoding/json refuses it (%v), writeJSON answered %d", i, err, rec.Code)
				}
				continue
			}
			got := strings.TrimSuffix(rec.Body.String(), "\n")
			if !jsoncodec.SameAsEncodingJSON([]byte(got), want, id, kind, name, email, key, val) {
				t.Fatalf("value %d: writeJSON =\n%s\nencoding/json =\n%s", i, got, want)
			}
		}
	})
}
