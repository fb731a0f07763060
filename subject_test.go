package steward_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

// now has nanoseconds so the truncation to microseconds shows.
var now = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)

// stored is how now is kept on a field: UTC, microseconds.
var stored = now.Truncate(time.Microsecond)

// mustInvalid fails unless err is an EInvalid domain error about field.
func mustInvalid(tb testing.TB, err error, field string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s on field %q", steward.EInvalid, field)
	}
	if steward.ErrorCode(err) != steward.EInvalid || steward.ErrorField(err) != field {
		tb.Fatalf("got %v (code %q, field %q), want code %q on field %q",
			err, steward.ErrorCode(err), steward.ErrorField(err), steward.EInvalid, field)
	}
}

func str(v string) *steward.Field[string] { return &steward.Field[string]{Value: v} }

func strFrom(v string, src steward.Source) *steward.Field[string] {
	return &steward.Field[string]{Value: v, Source: src}
}

func TestSubjectInputSubject_OK(t *testing.T) {
	given := time.Date(2024, 6, 1, 9, 30, 0, 987654321, time.FixedZone("CEST", 2*3600))
	in := steward.SubjectInput{
		Kind:     steward.KindCustomerContact,
		Source:   steward.SourceRegistration,
		Name:     str("  Ada Lovelace "),
		Username: str("Ada.L"),
		Email:    &steward.Field[string]{Value: "Ada@Example.COM", Source: steward.SourceNewsletter, CollectedAt: given},
		BillingAddress: &steward.Field[steward.Address]{Value: steward.Address{
			Line1: " 12 St James's Square ", City: "London", Country: "gb",
		}},
		Attributes: map[string]steward.Field[string]{
			"plan":   {Value: "pro"},
			"source": {Value: "ad", Source: steward.SourceThirdParty},
		},
	}
	got, err := in.Subject(now)
	if err != nil {
		t.Fatal(err)
	}
	want := &steward.Subject{
		Kind: steward.KindCustomerContact,
		Profile: steward.Profile{
			Name:     &steward.Field[string]{Value: "Ada Lovelace", Source: steward.SourceRegistration, CollectedAt: stored},
			Username: &steward.Field[string]{Value: "ada.l", Source: steward.SourceRegistration, CollectedAt: stored},
			Email: &steward.Field[string]{Value: "ada@example.com", Source: steward.SourceNewsletter,
				CollectedAt: given.UTC().Truncate(time.Microsecond)},
			BillingAddress: &steward.Field[steward.Address]{Value: steward.Address{
				Line1: "12 St James's Square", City: "London", Country: "GB",
			}, Source: steward.SourceRegistration, CollectedAt: stored},
			Attributes: map[string]steward.Field[string]{
				"plan":   {Value: "pro", Source: steward.SourceRegistration, CollectedAt: stored},
				"source": {Value: "ad", Source: steward.SourceThirdParty, CollectedAt: stored},
			},
		},
		CreatedAt: now,
		UpdatedAt: now,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Subject() =\n%s\nwant\n%s", dump(got), dump(want))
	}
	if loc := got.Profile.Email.CollectedAt.Location(); loc != time.UTC {
		t.Errorf("collected_at kept location %v, want UTC", loc)
	}
	if names := got.Profile.FieldNames(); !reflect.DeepEqual(names, []string{
		"attributes.plan", "attributes.source", "billing_address", "email", "name", "username",
	}) {
		t.Errorf("FieldNames() = %q", names)
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestSubjectInputSubject_Kinds(t *testing.T) {
	for _, k := range steward.SubjectKinds {
		in := steward.SubjectInput{Kind: k, Source: steward.SourceForm, Name: str("Ada")}
		s, err := in.Subject(now)
		if err != nil || s.Kind != k {
			t.Errorf("kind %q: %v, %v", k, s, err)
		}
	}
}

func TestSubjectInputSubject_Errors(t *testing.T) {
	attrs := func(n int) map[string]steward.Field[string] {
		m := map[string]steward.Field[string]{}
		for i := range n {
			m[fmt.Sprintf("a%d", i)] = steward.Field[string]{Value: "x"}
		}
		return m
	}
	addr := func(a steward.Address) *steward.Field[steward.Address] {
		return &steward.Field[steward.Address]{Value: a}
	}
	at := func(t time.Time) *steward.Field[string] {
		return &steward.Field[string]{Value: "Ada", CollectedAt: t}
	}
	const src = steward.SourceOrder
	tests := []struct {
		name  string
		in    steward.SubjectInput
		field string
	}{
		{"KindMissing", steward.SubjectInput{Source: src, Name: str("Ada")}, "kind"},
		{"KindUnknown", steward.SubjectInput{Kind: "robot", Source: src, Name: str("Ada")}, "kind"},
		{"KindCase", steward.SubjectInput{Kind: "End_User", Source: src, Name: str("Ada")}, "kind"},
		{"NoFields", steward.SubjectInput{Kind: steward.KindEndUser, Source: src}, ""},
		{"EmptyAttributes", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Attributes: attrs(0)}, ""},
		{"DefaultSourceUnknown", steward.SubjectInput{Kind: steward.KindEndUser, Source: "pigeon", Name: str("Ada")}, "source"},
		{"NameNoSource", steward.SubjectInput{Kind: steward.KindEndUser, Name: str("Ada")}, "name.source"},
		{"EmailNoSource", steward.SubjectInput{Kind: steward.KindEndUser, Email: str("ada@example.com")}, "email.source"},
		{"UsernameNoSource", steward.SubjectInput{Kind: steward.KindEndUser, Username: str("ada")}, "username.source"},
		{"AddressNoSource", steward.SubjectInput{Kind: steward.KindEndUser, BillingAddress: addr(steward.Address{City: "Paris"})}, "billing_address.source"},
		{"AttributeNoSource", steward.SubjectInput{Kind: steward.KindEndUser, Attributes: map[string]steward.Field[string]{"plan": {Value: "pro"}}}, "attributes.plan.source"},
		{"SourceOnOtherFieldOnly", steward.SubjectInput{Kind: steward.KindEndUser,
			Name: strFrom("Ada", src), Email: str("ada@example.com")}, "email.source"},
		{"FieldSourceUnknown", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Email: strFrom("ada@example.com", "pigeon")}, "email.source"},
		{"FutureCollectedAt", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Name: at(now.Add(5*time.Minute + time.Nanosecond))}, "name.collected_at"},
		{"AncientCollectedAt", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Name: at(time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC))}, "name.collected_at"},
		{"NameBlank", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Name: str("   ")}, "name"},
		{"NameTooLong", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Name: str(strings.Repeat("a", steward.MaxNameLen+1))}, "name"},
		{"NameControl", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Name: str("Ada\nLovelace")}, "name"},
		{"NameBidi", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Name: str("Ada\u202eecalevoL")}, "name"},
		{"EmailInvalid", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Email: str("Ada <ada@example.com>")}, "email"},
		{"UsernameInvalid", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Username: str("ada lovelace")}, "username"},
		{"AddressEmpty", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, BillingAddress: addr(steward.Address{})}, "billing_address.value"},
		{"AddressBlank", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, BillingAddress: addr(steward.Address{Line1: "  ", City: "\t"})}, "billing_address.value"},
		{"CountryThreeLetters", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, BillingAddress: addr(steward.Address{Country: "DEU"})}, "billing_address.value.country"},
		{"CountryDigit", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, BillingAddress: addr(steward.Address{City: "Berlin", Country: "d1"})}, "billing_address.value.country"},
		{"AddressLineTooLong", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, BillingAddress: addr(steward.Address{Line1: strings.Repeat("a", steward.MaxAddressLen+1)})}, "billing_address.value.line1"},
		{"AddressControl", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, BillingAddress: addr(steward.Address{City: "Par\x00is"})}, "billing_address.value.city"},
		{"AttributeKeyUpper", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Attributes: map[string]steward.Field[string]{"Plan": {Value: "x"}}}, "attributes"},
		{"AttributeKeyDigitFirst", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Attributes: map[string]steward.Field[string]{"1plan": {Value: "x"}}}, "attributes"},
		{"AttributeKeyHyphen", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Attributes: map[string]steward.Field[string]{"plan-b": {Value: "x"}}}, "attributes"},
		{"AttributeKeyEmpty", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Attributes: map[string]steward.Field[string]{"": {Value: "x"}}}, "attributes"},
		{"AttributeKeyTooLong", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Attributes: map[string]steward.Field[string]{"a" + strings.Repeat("b", 64): {Value: "x"}}}, "attributes"},
		{"AttributeValueTooLong", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Attributes: map[string]steward.Field[string]{"note": {Value: strings.Repeat("a", steward.MaxAttributeLen+1)}}}, "attributes.note"},
		{"AttributeValueBidi", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Attributes: map[string]steward.Field[string]{"note": {Value: "a\u2066b"}}}, "attributes.note"},
		{"TooManyAttributes", steward.SubjectInput{Kind: steward.KindEndUser, Source: src, Attributes: attrs(steward.MaxAttributes + 1)}, "attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.in.Subject(now)
			mustInvalid(t, err, tt.field)
			if s != nil {
				t.Errorf("got a subject with the error: %+v", s)
			}
		})
	}
}

func TestSubjectInputSubject_Limits(t *testing.T) {
	in := steward.SubjectInput{
		Kind: steward.KindPersonnel, Source: steward.SourceForm,
		Name: &steward.Field[string]{Value: strings.Repeat("é", steward.MaxNameLen), CollectedAt: now.Add(5 * time.Minute)},
		Attributes: map[string]steward.Field[string]{
			"a" + strings.Repeat("b", 63): {Value: "multi\nline\ttext"},
		},
	}
	for i := range steward.MaxAttributes - 1 {
		in.Attributes[fmt.Sprintf("k%d", i)] = steward.Field[string]{Value: "x"}
	}
	s, err := in.Subject(now)
	if err != nil {
		t.Fatalf("input at every limit rejected: %v", err)
	}
	if len(s.Profile.Attributes) != steward.MaxAttributes {
		t.Errorf("%d attributes kept, want %d", len(s.Profile.Attributes), steward.MaxAttributes)
	}
	if got := s.Profile.Name.CollectedAt; !got.Equal(now.Add(5 * time.Minute).Truncate(time.Microsecond)) {
		t.Errorf("collected_at = %v", got)
	}
	if got := s.Profile.Attributes["a"+strings.Repeat("b", 63)].Value; got != "multi\nline\ttext" {
		t.Errorf("multiline attribute = %q", got)
	}
}

func TestSubjectInputSubject_RedactsAcrossFields(t *testing.T) {
	in := steward.SubjectInput{
		Kind: steward.KindEndUser, Source: steward.SourceOrder,
		Name: str("Ada " + pan16),
		BillingAddress: &steward.Field[steward.Address]{Value: steward.Address{
			Line1: "1 Main St", Line2: "4111 1111 1111 1111", Country: "us",
		}},
		Attributes: map[string]steward.Field[string]{
			"note": {Value: "paid with 5555-5555-5555-4444 and " + pan15},
			"plan": {Value: "pro"},
		},
	}
	s, err := in.Subject(now)
	if err != nil {
		t.Fatal(err)
	}
	if s.RedactedCardNumbers != 4 {
		t.Errorf("RedactedCardNumbers = %d, want 4", s.RedactedCardNumbers)
	}
	if got, want := s.Profile.Name.Value, "Ada "+R; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if got := s.Profile.BillingAddress.Value.Line2; got != R {
		t.Errorf("line2 = %q", got)
	}
	if got, want := s.Profile.Attributes["note"].Value, "paid with "+R+" and "+R; got != want {
		t.Errorf("note = %q, want %q", got, want)
	}
	b, _ := json.Marshal(s)
	for _, pan := range []string{pan16, pan15, mc16, "5555-5555-5555-4444", "4111 1111 1111 1111"} {
		if strings.Contains(string(b), pan) {
			t.Errorf("card number %s survived in %s", pan, b)
		}
	}
}

// decodePatch decodes a patch body the way the HTTP layer does.
func decodePatch(tb testing.TB, body string) *steward.SubjectPatch {
	tb.Helper()
	var p steward.SubjectPatch
	if err := steward.DecodeStrict([]byte(body), &p); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	return &p
}

// baseSubject is a subject with every kind of field and a redaction count.
func baseSubject(tb testing.TB) *steward.Subject {
	tb.Helper()
	in := steward.SubjectInput{
		Kind: steward.KindEndUser, Source: steward.SourceRegistration,
		Name:     str("Ada Lovelace"),
		Username: str("ada"),
		Email:    str("ada@example.com"),
		BillingAddress: &steward.Field[steward.Address]{Value: steward.Address{
			Line1: "12 St James's Square", City: "London", Country: "GB",
		}},
		Attributes: map[string]steward.Field[string]{
			"plan":  {Value: "pro"},
			"alpha": {Value: "a"},
			"note":  {Value: "card " + pan16},
		},
	}
	s, err := in.Subject(now.Add(-time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	s.ID = "sub_x"
	return s
}

func cloneField[T any](f *steward.Field[T]) *steward.Field[T] {
	if f == nil {
		return nil
	}
	c := *f
	return &c
}

// cloneSubject returns a deep copy, sharing no pointer or map with s.
func cloneSubject(s *steward.Subject) *steward.Subject {
	c := *s
	c.Profile.Name = cloneField(s.Profile.Name)
	c.Profile.Username = cloneField(s.Profile.Username)
	c.Profile.Email = cloneField(s.Profile.Email)
	c.Profile.BillingAddress = cloneField(s.Profile.BillingAddress)
	if s.Profile.Attributes != nil {
		c.Profile.Attributes = make(map[string]steward.Field[string], len(s.Profile.Attributes))
		for k, v := range s.Profile.Attributes {
			c.Profile.Attributes[k] = v
		}
	}
	return &c
}

func TestSubjectPatchApply(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		changed []string
		check   func(t *testing.T, before, after *steward.Subject)
	}{
		{"Empty", `{}`, nil, func(t *testing.T, before, after *steward.Subject) {
			before.RedactedCardNumbers = 0 // The count is this request's.
			if !reflect.DeepEqual(before, after) {
				t.Errorf("empty patch changed the subject:\n%s", dump(after))
			}
		}},
		{"NullRemoves", `{"name":null}`, []string{"name"}, func(t *testing.T, before, after *steward.Subject) {
			if after.Profile.Name != nil {
				t.Errorf("name kept: %+v", after.Profile.Name)
			}
			if !reflect.DeepEqual(before.Profile.Email, after.Profile.Email) ||
				!reflect.DeepEqual(before.Profile.Username, after.Profile.Username) ||
				!reflect.DeepEqual(before.Profile.BillingAddress, after.Profile.BillingAddress) ||
				!reflect.DeepEqual(before.Profile.Attributes, after.Profile.Attributes) {
				t.Errorf("absent fields changed:\n%s", dump(after))
			}
		}},
		{"ValueReplaces", `{"email":{"value":" New@Example.com ","source":"form"}}`, []string{"email"},
			func(t *testing.T, before, after *steward.Subject) {
				want := &steward.Field[string]{Value: "new@example.com", Source: steward.SourceForm, CollectedAt: stored}
				if !reflect.DeepEqual(after.Profile.Email, want) {
					t.Errorf("email = %+v, want %+v", after.Profile.Email, want)
				}
				if !reflect.DeepEqual(before.Profile.Name, after.Profile.Name) {
					t.Errorf("name changed: %+v", after.Profile.Name)
				}
			}},
		{"DefaultSourceApplies", `{"source":"survey","name":{"value":"Grace"}}`, []string{"name"},
			func(t *testing.T, _, after *steward.Subject) {
				if n := after.Profile.Name; n.Value != "Grace" || n.Source != steward.SourceSurvey || !n.CollectedAt.Equal(stored) {
					t.Errorf("name = %+v", n)
				}
			}},
		{"KindChange", `{"kind":"personnel"}`, []string{"kind"}, func(t *testing.T, _, after *steward.Subject) {
			if after.Kind != steward.KindPersonnel {
				t.Errorf("kind = %q", after.Kind)
			}
		}},
		{"AttributeRemoval", `{"attributes":{"plan":null}}`, []string{"attributes.plan"},
			func(t *testing.T, before, after *steward.Subject) {
				if _, ok := after.Profile.Attributes["plan"]; ok {
					t.Error("attribute plan kept")
				}
				if len(after.Profile.Attributes) != 2 || after.Profile.Attributes["alpha"] != before.Profile.Attributes["alpha"] {
					t.Errorf("other attributes changed: %+v", after.Profile.Attributes)
				}
			}},
		{"LastAttributesRemoved", `{"attributes":{"plan":null,"alpha":null,"note":null}}`,
			[]string{"attributes.alpha", "attributes.note", "attributes.plan"},
			func(t *testing.T, _, after *steward.Subject) {
				if after.Profile.Attributes != nil {
					t.Errorf("attributes = %#v, want nil", after.Profile.Attributes)
				}
			}},
		{"Several", `{"kind":"customer_contact","source":"order","username":null,
			"attributes":{"zeta":{"value":"z"},"alpha":null},
			"billing_address":{"value":{"city":"Paris","country":"fr"}}}`,
			[]string{"attributes.alpha", "attributes.zeta", "billing_address", "kind", "username"},
			func(t *testing.T, _, after *steward.Subject) {
				want := &steward.Field[steward.Address]{Value: steward.Address{City: "Paris", Country: "FR"},
					Source: steward.SourceOrder, CollectedAt: stored}
				if !reflect.DeepEqual(after.Profile.BillingAddress, want) {
					t.Errorf("billing_address = %+v", after.Profile.BillingAddress)
				}
				if after.Kind != steward.KindCustomerContact || after.Profile.Username != nil {
					t.Errorf("kind %q, username %+v", after.Kind, after.Profile.Username)
				}
				if _, ok := after.Profile.Attributes["zeta"]; !ok {
					t.Error("zeta not added")
				}
			}},
		{"RedactionCounted", `{"source":"form","name":{"value":"Ada ` + pan16 + `"},"attributes":{"x":{"value":"` + mc16 + `"}}}`,
			[]string{"attributes.x", "name"},
			func(t *testing.T, _, after *steward.Subject) {
				if after.RedactedCardNumbers != 2 {
					t.Errorf("RedactedCardNumbers = %d, want 2", after.RedactedCardNumbers)
				}
				if after.Profile.Name.Value != "Ada "+R || after.Profile.Attributes["x"].Value != R {
					t.Errorf("name %q, x %q", after.Profile.Name.Value, after.Profile.Attributes["x"].Value)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSubject(t)
			before := cloneSubject(s)
			changed, err := decodePatch(t, tt.body).Apply(s, now)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(changed, tt.changed) && !(len(changed) == 0 && len(tt.changed) == 0) {
				t.Errorf("changed = %q, want %q", changed, tt.changed)
			}
			if s.ID != before.ID || !s.CreatedAt.Equal(before.CreatedAt) {
				t.Errorf("id or created_at changed: %s %v", s.ID, s.CreatedAt)
			}
			tt.check(t, before, s)
		})
	}
}

func TestSubjectPatchApply_InvalidLeavesSubjectUnchanged(t *testing.T) {
	many := `{"source":"form","attributes":{`
	for i := range steward.MaxAttributes - 2 {
		many += fmt.Sprintf(`"n%d":{"value":"x"},`, i)
	}
	many += `"last":{"value":"x"}}}`

	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"KindInvalid", `{"kind":"robot","name":null}`, "kind"},
		{"SourceInvalid", `{"source":"pigeon","name":null}`, "source"},
		{"LaterFieldInvalid", `{"kind":"personnel","source":"form","name":{"value":"Grace"},"email":{"value":"not an email"}}`, "email"},
		{"NoSource", `{"name":null,"email":{"value":"grace@example.com"}}`, "email.source"},
		{"FutureCollectedAt", `{"source":"form","username":{"value":"grace","collected_at":"2025-03-01T12:06:00Z"}}`, "username.collected_at"},
		{"AddressAfterName", `{"source":"form","name":{"value":"Grace ` + pan16 + `"},"billing_address":{"value":{"country":"XYZ"}}}`, "billing_address.value.country"},
		{"AddressEmpty", `{"source":"form","billing_address":{"value":{}}}`, "billing_address.value"},
		{"AttributeKeyInvalidAfterRemoval", `{"attributes":{"plan":null,"alpha":null,"note":null,"Bad":{"value":"x","source":"form"}}}`, "attributes"},
		{"AttributeValueInvalid", `{"source":"form","name":null,"attributes":{"plan":null,"note":{"value":"a\u0000b"}}}`, "attributes.note"},
		{"TooManyAttributes", many, "attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSubject(t)
			before := cloneSubject(s)
			p := decodePatch(t, tt.body)
			changed, err := p.Apply(s, now)
			mustInvalid(t, err, tt.field)
			if changed != nil {
				t.Errorf("changed = %q with an error", changed)
			}
			if !reflect.DeepEqual(s, before) {
				t.Errorf("invalid patch changed the subject:\nbefore %s\nafter %s", dump(before), dump(s))
			}
		})
	}
}

func TestPatchUnmarshalJSON(t *testing.T) {
	var p steward.SubjectPatch
	if err := steward.DecodeStrict([]byte(`{}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Name.Set || p.Email.Set || p.Username.Set || p.BillingAddress.Set || p.Kind != nil || p.Attributes != nil {
		t.Errorf("absent members look present: %+v", p)
	}

	p = steward.SubjectPatch{}
	if err := steward.DecodeStrict([]byte(` { "name" : null , "email" : {"value":"a@b.co"} } `), &p); err != nil {
		t.Fatal(err)
	}
	if !p.Name.Set || p.Name.Value != nil {
		t.Errorf("null name: %+v", p.Name)
	}
	if !p.Email.Set || p.Email.Value == nil || p.Email.Value.Value != "a@b.co" {
		t.Errorf("email: %+v", p.Email)
	}
	if p.Username.Set {
		t.Errorf("absent username looks present")
	}

	var direct steward.Patch[steward.Field[string]]
	if err := json.Unmarshal([]byte(" null "), &direct); err != nil || !direct.Set || direct.Value != nil {
		t.Errorf("Patch from null = %+v, %v", direct, err)
	}
	direct = steward.Patch[steward.Field[string]]{}
	if err := json.Unmarshal([]byte(`{"value":"x","source":"form"}`), &direct); err != nil || !direct.Set ||
		direct.Value == nil || direct.Value.Value != "x" || direct.Value.Source != steward.SourceForm {
		t.Errorf("Patch from value = %+v, %v", direct, err)
	}
}

func TestDecodeStrict_Errors(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		malformed bool // Trailing data: reported as EMalformedJSON.
	}{
		{"EmptyInput", ``, false},
		{"UnknownTopLevel", `{"nmae":null}`, false},
		{"UnknownInPatchValue", `{"name":{"value":"Ada","extra":1}}`, false},
		{"UnknownInAddress", `{"billing_address":{"value":{"street":"Main St"}}}`, false},
		{"UnknownInAttribute", `{"attributes":{"a":{"value":"x","bogus":true}}}`, false},
		{"WrongType", `{"name":{"value":1}}`, false},
		{"NotAnObject", `[]`, false},
		{"Truncated", `{"name":null`, false},
		{"TrailingObject", `{} {}`, true},
		{"TrailingNumber", `{"name":null} 1`, true},
		{"TrailingWord", `{}x`, true},
		{"StrayBracket", `{}]`, true},
		{"StrayBrace", `{}}`, true},
		{"StrayBraceAfterSpace", "{\"name\":null}\n}", true},
		{"TrailingNull", `{} null`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p steward.SubjectPatch
			err := steward.DecodeStrict([]byte(tt.body), &p)
			if err == nil {
				t.Fatalf("DecodeStrict(%q) accepted it: %+v", tt.body, p)
			}
			if tt.malformed && steward.ErrorCode(err) != steward.EMalformedJSON {
				t.Errorf("DecodeStrict(%q) = %v, want code %s", tt.body, err, steward.EMalformedJSON)
			}
		})
	}
	var p steward.SubjectPatch
	if err := steward.DecodeStrict([]byte("{\"kind\":\"personnel\"} \n\t "), &p); err != nil || p.Kind == nil || *p.Kind != steward.KindPersonnel {
		t.Errorf("trailing whitespace: %+v, %v", p, err)
	}
}
