package httpapi

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stewardhq/steward"
)

func TestDecode(t *testing.T) {
	s := MustServer(t, Config{MaxBodyBytes: 64})
	tests := []struct {
		name        string
		contentType string
		body        string
		code        string
		field       string
	}{
		{"OK", "application/json", `{"kind":"end_user"}`, "", ""},
		{"OKCharset", "application/json; charset=UTF-8", `{"kind":"end_user"}`, "", ""},
		{"OKPlusJSON", "application/merge-patch+json", `{"kind":"end_user"}`, "", ""},
		{"OKTrailingSpace", "application/json", "{\"kind\":\"end_user\"}\n \n", "", ""},
		{"ErrNoContentType", "", `{"kind":"end_user"}`, steward.EUnsupportedMedia, "Content-Type"},
		{"ErrTextPlain", "text/plain", `{"kind":"end_user"}`, steward.EUnsupportedMedia, "Content-Type"},
		{"ErrForm", "application/x-www-form-urlencoded", `kind=end_user`, steward.EUnsupportedMedia, "Content-Type"},
		{"ErrLatin1", "application/json; charset=latin1", `{"kind":"end_user"}`, steward.EUnsupportedMedia, "Content-Type"},
		{"ErrTooLarge", "application/json", `{"kind":"` + strings.Repeat("x", 100) + `"}`, steward.EBodyTooLarge, ""},
		{"ErrUnknownField", "application/json", `{"kind":"end_user","nickname":"x"}`, steward.EUnknownField, "nickname"},
		{"ErrUnknownNestedField", "application/json", `{"name":{"valeu":"x"}}`, steward.EUnknownField, "valeu"},
		{"ErrUnknownOddField", "application/json", `{"k i\nd":1}`, steward.EUnknownField, ""},
		{"ErrMalformed", "application/json", `{"kind":`, steward.EMalformedJSON, ""},
		{"ErrSyntax", "application/json", `{"kind" "end_user"}`, steward.EMalformedJSON, ""},
		{"ErrWrongType", "application/json", `{"kind":5}`, steward.EInvalid, "kind"},
		{"ErrWrongNestedType", "application/json", `{"name":{"value":5}}`, steward.EInvalid, "name.value"},
		{"ErrWrongAddressType", "application/json", `{"billing_address":{"value":{"line1":3}}}`, steward.EInvalid, "billing_address.value.line1"},
		{"ErrBadTime", "application/json", `{"name":{"value":"x","collected_at":"yesterday"}}`, steward.EInvalid, ""},
		{"ErrTrailingValue", "application/json", `{"kind":"end_user"}{}`, steward.EMalformedJSON, ""},
		{"ErrTrailingBracket", "application/json", `{"kind":"end_user"}]`, steward.EMalformedJSON, ""},
		{"ErrTrailingGarbage", "application/json", `{"kind":"end_user"} x`, steward.EMalformedJSON, ""},
		{"ErrEmpty", "application/json", ``, steward.EMalformedJSON, ""},
		{"ErrBlank", "application/json", " \n\t", steward.EMalformedJSON, ""},
		{"ErrNull", "application/json", `null`, steward.EInvalid, ""},
		{"ErrArray", "application/json", `[]`, steward.EInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/subjects", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			_, err := decode[steward.SubjectPatch](httptest.NewRecorder(), r, s)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			var de *steward.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want *steward.Error", err, err)
			}
			if de.Code != tt.code || de.Field != tt.field {
				t.Errorf("code, field = %q, %q; want %q, %q (message %q)", de.Code, de.Field, tt.code, tt.field, de.Message)
			}
			if strings.Contains(de.Message, "yesterday") || strings.Contains(de.Message, "xxxx") {
				t.Errorf("message repeats a request value: %q", de.Message)
			}
		})
	}
}

// TestErrorStatusTable checks every domain code answers its status in the
// error envelope.
func TestErrorStatusTable(t *testing.T) {
	for code, status := range statusByCode {
		w := httptest.NewRecorder()
		s := MustServer(t, Config{})
		s.writeError(w, httptest.NewRequest("GET", "/", nil), steward.Errorf(code, "", "m"))
		if w.Code != status {
			t.Errorf("%s: status %d, want %d", code, w.Code, status)
		}
		if b := MustErrorBody(t, w); b.Code != code {
			t.Errorf("%s: answered code %q", code, b.Code)
		}
	}
}

// FuzzDecodeSubjectInput feeds arbitrary bodies through decoding and
// validation of creates and patches. Whatever the input, nothing panics,
// every failure is a domain error that does not repeat the input, and
// whatever is accepted holds valid UTF-8 and no card number.
func FuzzDecodeSubjectInput(f *testing.F) {
	seeds := []string{
		`{"kind":"end_user","source":"registration","email":{"value":"Ada@Example.com"}}`,
		`{"kind":"customer_contact","name":{"value":"Ada Lovelace","source":"order","collected_at":"2024-01-02T03:04:05Z"}}`,
		`{"kind":"personnel","source":"form","billing_address":{"value":{"line1":"1 Main St","country":"de"}}}`,
		`{"kind":"end_user","source":"survey","attributes":{"note":{"value":"card 4111 1111 1111 1111 please"}}}`,
		`{"kind":"end_user","source":"order","name":{"value":"4111-1111-1111-1111"}}`,
		`{"kind":"end_user","source":"form","username":{"value":"ada_l"}}`,
		`{"name":null,"email":{"value":"x@y.z"},"attributes":{"a":null}}`,
		`{"kind":"end_user","name":{"value":"\u202eevil"}}`,
		`{"kind":"end_user","source":"form","name":{"value":"\xff\xfe"}}`,
		`{"kind":"end_user","name":{"value":"x","collected_at":"not a time"}}`,
		`{"kind":5}`,
		`{"kind":"end_user"}]`,
		`{"unknown_member_name":1}`,
		`null`,
		``,
		`{"kind":"end_user","source":"form","attributes":{"Bad Key":{"value":"v"}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	s := MustServer(f, Config{})
	base := &steward.Subject{ID: sampleSubjectID, Kind: steward.KindEndUser, CreatedAt: testNow, UpdatedAt: testNow}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/subjects", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		in, err := decode[steward.SubjectInput](httptest.NewRecorder(), r, s)
		if err == nil {
			var sub *steward.Subject
			sub, err = in.Subject(testNow)
			if err == nil {
				checkAccepted(t, sub)
			}
		}
		checkFuzzError(t, body, err)

		r = httptest.NewRequest("PATCH", "/v1/subjects/"+sampleSubjectID, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/merge-patch+json")
		patch, err := decode[steward.SubjectPatch](httptest.NewRecorder(), r, s)
		if err == nil {
			sub := *base
			_, err = patch.Apply(&sub, testNow)
			if err == nil {
				checkAccepted(t, &sub)
			}
		}
		checkFuzzError(t, body, err)
	})
}

func checkFuzzError(t *testing.T, input []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var de *steward.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *steward.Error", err, err)
	}
	if de.Code == "" {
		t.Fatalf("error %v has no code", err)
	}
	if _, ok := statusByCode[de.Code]; !ok || de.Code == steward.EInternal {
		t.Fatalf("error code %q is not a client error", de.Code)
	}
	if len(input) > 8 && strings.Contains(de.Message, string(input)) {
		t.Fatalf("message %q repeats the input", de.Message)
	}
}

func checkAccepted(t *testing.T, sub *steward.Subject) {
	t.Helper()
	var texts []string
	p := sub.Profile
	for _, f := range []*steward.Field[string]{p.Name, p.Username, p.Email} {
		if f != nil {
			texts = append(texts, f.Value)
		}
	}
	if a := p.BillingAddress; a != nil {
		v := a.Value
		texts = append(texts, v.Line1, v.Line2, v.City, v.Region, v.PostalCode, v.Country)
	}
	for k, f := range p.Attributes {
		texts = append(texts, k, f.Value)
	}
	for _, s := range texts {
		if !utf8.ValidString(s) {
			t.Fatalf("accepted text is not valid UTF-8: %q", s)
		}
		if _, n := steward.RedactCardNumbers(s); n != 0 {
			t.Fatalf("accepted text still holds a card number: %q", s)
		}
	}
}
