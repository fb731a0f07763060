package policy

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// withMember returns default.json with a JSON fragment spliced in after
// the first occurrence of anchor.
func withMember(t *testing.T, anchor, fragment string) []byte {
	t.Helper()
	i := bytes.Index(defaultJSON, []byte(anchor))
	if i < 0 {
		t.Fatalf("anchor %q not in default.json", anchor)
	}
	i += len(anchor)
	return append(append(bytes.Clone(defaultJSON[:i]), fragment...), defaultJSON[i:]...)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		doc  []byte
		path string
		code string
	}{
		{"UnknownTopLevel", withMember(t, "{\n", `"colour": "blue",`), "colour", CodeUnknownField},
		{"UnknownNested", withMember(t, `"id": "advertisers",`, `"contry": "US",`), "recipients[0].contry", CodeUnknownField},
		{"UnknownDeep", withMember(t, `"city": "Nizhnij Novgorod",`, `"zip": "603000",`), "operator.address.zip", CodeUnknownField},
		{"UnknownOddName", withMember(t, "{\n", `"a.b[0]": 1,`), `["a.b[0]"]`, CodeUnknownField},
		{"DuplicateMember", withMember(t, "{\n", `"minimum_age": 16,`), "minimum_age", CodeDuplicateMember},
		{"DuplicateNestedMember", withMember(t, `"id": "advertisers",`, `"countries": ["US"],`), "recipients[0].countries", CodeDuplicateMember},
		{"StringForList", []byte(strings.Replace(string(defaultJSON), "\"countries\": [\n        \"*\"\n      ]", `"countries": "US"`, 1)), "recipients[0].countries", CodeType},
		{"WrongType", []byte(strings.Replace(string(defaultJSON), `"minimum_age": 13`, `"minimum_age": "13"`, 1)), "minimum_age", CodeType},
		{"Fraction", []byte(strings.Replace(string(defaultJSON), `"minimum_age": 13`, `"minimum_age": 13.5`, 1)), "minimum_age", CodeType},
		{"ListForObject", []byte(strings.Replace(string(defaultJSON), `"requests": {`, `"requests": [], "x": {`, 1)), "requests", CodeType},
		{"MissingRequired", []byte(strings.Replace(string(defaultJSON), `"sells_personal_data": false,`, ``, 1)), "sells_personal_data", CodeRequired},
		{"NullRequired", []byte(strings.Replace(string(defaultJSON), `"minimum_age": 13`, `"minimum_age": null`, 1)), "minimum_age", CodeRequired},
		{"BadTime", withMember(t, "{\n", `"effective_at": "tomorrow",`), "effective_at", CodeInvalid},
		{"NotObject", []byte(`[1, 2]`), "", CodeType},
		{"Empty", []byte(" \n"), "", CodeMalformed},
		{"Truncated", defaultJSON[:100], "", CodeMalformed},
		{"Syntax", []byte("{\n  \"operator\": {,}\n}"), "", CodeMalformed},
		{"Trailing", append(bytes.Clone(defaultJSON), "{}"...), "", CodeMalformed},
		{"TooDeep", []byte(strings.Repeat("[", 100) + strings.Repeat("]", 100)), "", CodeTooLarge},
		{"TooLarge", bytes.Repeat([]byte(" "), MaxSize+1), "", CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := Check(tt.doc)
			if !hasProblem(ps, tt.path, tt.code) {
				t.Fatalf("want %q [%s]; got:%s", tt.path, tt.code, dump(ps))
			}
		})
	}
}

func TestDecodeSyntaxPosition(t *testing.T) {
	_, ps := Check([]byte("{\n  \"operator\": {,}\n}"))
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "line 2, column") {
		t.Fatalf("got:%s", dump(ps))
	}
}

// TestDecodeReportsAllAtOnce checks that structural and content problems
// come in one report, and that a member already reported as the wrong type
// is not reported again by validation.
func TestDecodeReportsAllAtOnce(t *testing.T) {
	doc := strings.Replace(string(defaultJSON), `"minimum_age": 13`, `"minimum_age": "thirteen"`, 1)
	doc = strings.Replace(doc, `"legal_name": "JSC MST",`, `"legal_name": "JSC MST", "nickname": "MST",`, 1)
	doc = strings.Replace(doc, `"duration": "P6Y"`, `"duration": "six years"`, 1)
	_, ps := Check([]byte(doc))
	want := []struct{ path, code string }{
		{"operator.nickname", CodeUnknownField},
		{"minimum_age", CodeType},
		{"retention[0].duration", CodeDuration},
	}
	for _, w := range want {
		if !hasProblem(ps, w.path, w.code) {
			t.Errorf("missing %s [%s]", w.path, w.code)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("want %d problems, got:%s", len(want), dump(ps))
	}
}

func TestDecodeKeepsEmptyVersusMissing(t *testing.T) {
	// recipients: [] says "we share with no one"; leaving it out is a
	// problem, because silence is not a statement.
	doc := strings.Replace(string(defaultJSON), `"tracking": [`, `"tracking_": [`, 1)
	_, ps := Check([]byte(doc))
	if !hasProblem(ps, "tracking", CodeRequired) || !hasProblem(ps, "tracking_", CodeUnknownField) {
		t.Fatalf("got:%s", dump(ps))
	}
}

func TestParseRoundTrip(t *testing.T) {
	d := Default()
	b, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, defaultJSON) {
		t.Fatal("Marshal(Default()) differs from default.json")
	}
}

func TestMaxProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range MaxProblems + 50 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"x` + strconv.Itoa(i) + `": 1`)
	}
	b.WriteString("}")
	_, ps := Check([]byte(b.String()))
	if len(ps) != MaxProblems+1 || ps[MaxProblems].Code != CodeTooMany {
		t.Fatalf("got %d problems, last %+v", len(ps), ps[len(ps)-1])
	}
}
