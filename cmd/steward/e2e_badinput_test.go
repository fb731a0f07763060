package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stewardhq/steward"
)

// request is one raw HTTP request of a table-driven test: the body is sent
// exactly as given, with exactly the headers given.
type request struct {
	method, path string
	body         []byte
	// chunked sends the body without a Content-Length.
	chunked bool
	// header holds extra headers; Content-Type defaults to
	// application/json when there is a body, and is left out when set to "".
	header map[string][]string
	// auth replaces "Bearer <token>"; "-" sends no Authorization header.
	auth string
}

// send performs a raw request against base with token.
func send(tb testing.TB, base, token string, rq request) *apiResponse {
	tb.Helper()
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
		if rq.chunked {
			body = io.MultiReader(body) // Hides the length, so it is sent chunked.
		}
	}
	req, err := http.NewRequest(rq.method, base+rq.path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if rq.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch rq.auth {
	case "":
		req.Header.Set("Authorization", "Bearer "+token)
	case "-":
	default:
		req.Header.Set("Authorization", rq.auth)
	}
	for k, vs := range rq.header {
		req.Header.Del(k)
		for _, v := range vs {
			if v != "" {
				req.Header.Add(k, v)
			}
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// snapshot is what a tenant's API shows of its data: the whole subject
// list, one subject and its messages.
type snapshot struct {
	base, token, id string
	views           map[string]string // path → canonical answer
}

// takeSnapshot records the tenant's list, the witness subject with its
// messages, and what looking the witness up by each of its identifiers
// (given as query strings such as "email=…") answers.
func takeSnapshot(tb testing.TB, base, token, id string, lookups ...string) *snapshot {
	tb.Helper()
	s := &snapshot{base: base, token: token, id: id, views: map[string]string{}}
	paths := []string{"/v1/subjects?limit=500", "/v1/subjects/" + id, "/v1/subjects/" + id + "/messages"}
	for _, q := range lookups {
		paths = append(paths, "/v1/subjects?"+q)
	}
	for _, p := range paths {
		s.views[p] = s.read(tb, p)
	}
	for _, q := range lookups {
		if !strings.Contains(s.views["/v1/subjects?"+q], id) {
			tb.Fatalf("the lookup %s does not find the witness", q)
		}
	}
	return s
}

func (s *snapshot) read(tb testing.TB, path string) string {
	tb.Helper()
	r := Do(tb, "GET", s.base+path, s.token, nil)
	MustStatus(tb, r, 200, "GET "+path)
	return canonical(tb, r.Body)
}

// MustUnchanged fails when anything was stored or lost since the snapshot.
func (s *snapshot) MustUnchanged(tb testing.TB) {
	tb.Helper()
	for p, before := range s.views {
		if after := s.read(tb, p); after != before {
			tb.Errorf("GET %s changed:\n before %s\n after  %s", p, before, after)
		}
	}
}

// mustNotEcho fails when an answer repeats a submitted personal value.
func mustNotEcho(tb testing.TB, r *apiResponse, values []string) {
	tb.Helper()
	body := strings.ToLower(string(r.Body))
	for _, v := range values {
		probe := strings.ToLower(v)
		if len(probe) > 24 {
			probe = probe[:24]
		}
		if strings.Contains(body, probe) {
			tb.Errorf("the answer repeats the submitted value %q: %s", v, r.Body)
		}
	}
}

// badCase is one request that must be refused.
type badCase struct {
	name   string
	rq     request
	status int
	code   string
	// field is the "field" the answer must name; "*" accepts any.
	field string
	// personal are submitted values the answer must not repeat.
	personal []string
}

func subjectBody(extra string) []byte {
	return []byte(`{"kind":"end_user","source":"form"` + extra + `}`)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ts := MustServe(t, "")
	_, token, _ := MustTenantArgs(t, "Bad Input A", "--data", ts.Data)
	_, other, _ := MustTenantArgs(t, "Bad Input B", "--data", ts.Data)
	witness := MustCreateSubject(t, ts.URL, token, map[string]any{
		"kind": "end_user", "source": "registration",
		"name":     map[string]any{"value": "Wanda Witness"},
		"email":    map[string]any{"value": "wanda.witness@example.com"},
		"username": map[string]any{"value": "wanda"},
	})
	MustStatus(t, Do(t, "POST", ts.URL+"/v1/subjects/"+witness.ID+"/messages", token, map[string]any{
		"direction": "inbound", "channel": "chat", "body": "witness message",
	}), 201, "witness message")
	second := MustCreateSubject(t, ts.URL, token, map[string]any{
		"kind": "end_user", "source": "registration",
		"email":    map[string]any{"value": "second.subject@example.com"},
		"username": map[string]any{"value": "second_subject"},
	})
	foreign := MustCreateSubject(t, ts.URL, other, map[string]any{
		"kind": "personnel", "source": "form", "email": map[string]any{"value": "foreign@example.com"},
	})
	MustStatus(t, Do(t, "POST", ts.URL+"/v1/subjects/"+foreign.ID+"/messages", other, map[string]any{
		"direction": "outbound", "channel": "email", "body": "foreign message",
	}), 201, "foreign message")
	snap := takeSnapshot(t, ts.URL, token, witness.ID, "email=wanda.witness%40example.com", "username=wanda")
	secondSnap := takeSnapshot(t, ts.URL, token, second.ID, "email=second.subject%40example.com", "username=second_subject")
	otherSnap := takeSnapshot(t, ts.URL, other, foreign.ID, "email=foreign%40example.com")

	subj := "/v1/subjects/" + witness.ID
	msgs := subj + "/messages"
	long := func(prefix string, n int) string { return prefix + strings.Repeat("x", n-len(prefix)) }
	bigName := long("Zebediah Oversized-Name ", 300)
	bigUser := long("zebediah_oversized_", 65)
	bigAttr := long("Zebediah oversized attribute ", 4097)
	bigBody := long("Zebediah oversized message ", 64<<10+1)
	bigLine := long("Zebediah oversized street ", 201)
	hugeBody := subjectBody(`,"name":{"value":"` + long("Zebediah huge body ", 2<<20) + `"}`)
	jsonType := map[string][]string{"Content-Type": {"application/merge-patch+json"}}

	cases := []badCase{
		// Bodies that are not one JSON object.
		{"TruncatedJSON", request{method: "POST", path: "/v1/subjects", body: []byte(`{"kind":"end_user","email":{"value":"trunc.ada@example.com"`)}, 400, "malformed_json", "", []string{"trunc.ada@example.com"}},
		{"SyntaxError", request{method: "POST", path: "/v1/subjects", body: []byte(`{"kind":"end_user",,"name":{"value":"Syntax Sam"}}`)}, 400, "malformed_json", "", []string{"Syntax Sam"}},
		{"EmptyBody", request{method: "POST", path: "/v1/subjects", body: []byte(``)}, 400, "malformed_json", "", nil},
		{"TrailingData", request{method: "POST", path: "/v1/subjects", body: append(subjectBody(`,"email":{"value":"trail@example.com"}`), " {}"...)}, 400, "malformed_json", "", []string{"trail@example.com"}},
		{"NotAnObject", request{method: "POST", path: "/v1/subjects", body: []byte(`kind=end_user&email=form.ada@example.com`)}, 400, "invalid", "", []string{"form.ada@example.com"}},
		{"Array", request{method: "POST", path: "/v1/subjects", body: []byte(`[{"kind":"end_user"}]`)}, 400, "invalid", "", nil},
		{"Null", request{method: "POST", path: "/v1/subjects", body: []byte(`null`)}, 400, "invalid", "", nil},
		{"PatchSyntax", request{method: "PATCH", path: subj, body: []byte(`{"name":{"value":"Patchy"`), header: jsonType}, 400, "malformed_json", "", []string{"Patchy"}},
		{"MessageSyntax", request{method: "POST", path: msgs, body: []byte(`{"direction":"inbound","body":"secret plans"`)}, 400, "malformed_json", "", []string{"secret plans"}},

		// Wrong JSON types name the field's path.
		{"KindNumber", request{method: "POST", path: "/v1/subjects", body: []byte(`{"kind":5,"source":"form","email":{"value":"kind5@example.com"}}`)}, 400, "invalid", "kind", []string{"kind5@example.com"}},
		{"EmailValueNumber", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":4242424242}`)}, 400, "invalid", "email.value", []string{"4242424242"}},
		{"EmailString", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":"flat.ada@example.com"`)}, 400, "invalid", "email", []string{"flat.ada@example.com"}},
		{"AddressLineNumber", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"billing_address":{"value":{"line1":221,"city":"Baker Town"}}`)}, 400, "invalid", "billing_address.value.line1", []string{"Baker Town"}},
		{"AttributeBool", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"attributes":{"plan":{"value":true}}`)}, 400, "invalid", "*", nil},
		{"CollectedAtNumber", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"name":{"value":"Timely Tom","collected_at":1700000000}`)}, 400, "invalid", "*", []string{"Timely Tom"}},
		{"CollectedAtWords", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"name":{"value":"Timely Tom","collected_at":"last tuesday at noon"}`)}, 400, "invalid", "*", []string{"Timely Tom", "last tuesday at noon"}},
		{"PatchNameNumber", request{method: "PATCH", path: subj, body: []byte(`{"name":{"value":7}}`), header: jsonType}, 400, "invalid", "name.value", nil},
		{"MessageBodyNumber", request{method: "POST", path: msgs, body: []byte(`{"direction":"inbound","channel":"email","body":12}`)}, 400, "invalid", "body", nil},

		// Unknown members.
		{"UnknownField", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"emial":{"value":"typo.ada@example.com"}`)}, 400, "unknown_field", "emial", []string{"typo.ada@example.com"}},
		{"UnknownNested", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"nested.ada@example.com","verified":true}`)}, 400, "unknown_field", "*", []string{"nested.ada@example.com"}},
		{"UnknownFieldNamedLikeAValue", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"ada.byron@example.com":{"value":"x"}`)}, 400, "unknown_field", "", []string{"ada.byron@example.com"}},
		{"PatchUnknown", request{method: "PATCH", path: subj, body: []byte(`{"nickname":{"value":"Nicky"}}`), header: jsonType}, 400, "unknown_field", "nickname", []string{"Nicky"}},
		{"PatchUnknownNested", request{method: "PATCH", path: subj, body: []byte(`{"name":{"value":"Nested Ned","why":"x"}}`), header: jsonType}, 400, "unknown_field", "*", []string{"Nested Ned"}},
		{"MessageUnknown", request{method: "POST", path: msgs, body: []byte(`{"direction":"inbound","channel":"email","body":"hi there","subject":"Re: order"}`)}, 400, "unknown_field", "subject", []string{"hi there", "Re: order"}},

		// Size limits.
		{"BodyTooLarge", request{method: "POST", path: "/v1/subjects", body: hugeBody}, 413, "body_too_large", "", []string{"Zebediah huge body"}},
		{"BodyTooLargeChunked", request{method: "POST", path: "/v1/subjects", body: hugeBody, chunked: true}, 413, "body_too_large", "", []string{"Zebediah huge body"}},
		{"PatchBodyTooLarge", request{method: "PATCH", path: subj, body: []byte(`{"name":{"value":"` + long("Zebediah huge patch ", 2<<20) + `","source":"form"}}`), header: jsonType, chunked: true}, 413, "body_too_large", "", nil},
		{"NameTooLong", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"name":{"value":"` + bigName + `"}`)}, 400, "invalid", "name", []string{bigName}},
		{"UsernameTooLong", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"username":{"value":"` + bigUser + `"}`)}, 400, "invalid", "username", []string{bigUser}},
		{"EmailLocalTooLong", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"` + long("zebediah.local.", 65) + `@example.com"}`)}, 400, "invalid", "email", []string{long("zebediah.local.", 65)}},
		{"EmailTooLong", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"z@` + strings.Repeat("zebediahdomain.", 18) + `com"}`)}, 400, "invalid", "email", []string{"zebediahdomain.zebediahdomain"}},
		{"AttributeTooLong", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"attributes":{"bio":{"value":"` + bigAttr + `"}}`)}, 400, "invalid", "attributes.bio", []string{bigAttr}},
		{"AddressLineTooLong", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"billing_address":{"value":{"line1":"` + bigLine + `"}}`)}, 400, "invalid", "billing_address.value.line1", []string{bigLine}},
		{"PatchNameTooLong", request{method: "PATCH", path: subj, body: []byte(`{"name":{"value":"` + bigName + `","source":"form"}}`), header: jsonType}, 400, "invalid", "name", []string{bigName}},
		{"MessageTooLong", request{method: "POST", path: msgs, body: []byte(`{"direction":"inbound","channel":"email","body":"` + bigBody + `"}`)}, 400, "invalid", "body", []string{bigBody}},

		// Values the domain refuses.
		{"KindUnknown", request{method: "POST", path: "/v1/subjects", body: []byte(`{"kind":"robot","source":"form","email":{"value":"robot@example.com"}}`)}, 400, "invalid", "kind", []string{"robot@example.com"}},
		{"NoFields", request{method: "POST", path: "/v1/subjects", body: subjectBody(``)}, 400, "invalid", "", nil},
		{"SourceUnknown", request{method: "POST", path: "/v1/subjects", body: []byte(`{"kind":"end_user","source":"psychic","email":{"value":"psy@example.com"}}`)}, 400, "invalid", "source", []string{"psy@example.com"}},
		{"FieldSourceUnknown", request{method: "POST", path: "/v1/subjects", body: []byte(`{"kind":"end_user","email":{"value":"psy@example.com","source":"psychic"}}`)}, 400, "invalid", "email.source", []string{"psy@example.com"}},
		{"SourceMissing", request{method: "POST", path: "/v1/subjects", body: []byte(`{"kind":"end_user","email":{"value":"nosource@example.com"}}`)}, 400, "invalid", "email.source", []string{"nosource@example.com"}},
		{"AttributeKeyInvalid", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"attributes":{"Shoe-Size":{"value":"44 wide"}}`)}, 400, "invalid", "attributes", []string{"44 wide"}},
		{"CountryInvalid", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"billing_address":{"value":{"city":"Atlantis Deep","country":"Atlantis"}}`)}, 400, "invalid", "billing_address.value.country", []string{"Atlantis Deep"}},
		{"CollectedInFuture", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"name":{"value":"Future Fay","collected_at":"2099-01-01T00:00:00Z"}`)}, 400, "invalid", "name.collected_at", []string{"Future Fay"}},
		{"CollectedLongAgo", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"name":{"value":"Ancient Al","collected_at":"1800-01-01T00:00:00Z"}`)}, 400, "invalid", "name.collected_at", []string{"Ancient Al"}},
		{"PatchCollectedInFuture", request{method: "PATCH", path: subj, body: []byte(`{"email":{"value":"future.fay@example.com","source":"form","collected_at":"2099-01-01T00:00:00Z"}}`), header: jsonType}, 400, "invalid", "email.collected_at", []string{"future.fay@example.com"}},
		{"PatchKindUnknown", request{method: "PATCH", path: subj, body: []byte(`{"kind":"robot"}`), header: jsonType}, 400, "invalid", "kind", nil},
		{"PatchNameBlank", request{method: "PATCH", path: subj, body: []byte(`{"name":{"value":"  ","source":"form"}}`), header: jsonType}, 400, "invalid", "name", nil},
		{"MessageDirection", request{method: "POST", path: msgs, body: []byte(`{"direction":"sideways","channel":"email","body":"sideways hello"}`)}, 400, "invalid", "direction", []string{"sideways hello"}},
		{"MessageChannel", request{method: "POST", path: msgs, body: []byte(`{"direction":"inbound","channel":"pigeon","body":"pigeon hello"}`)}, 400, "invalid", "channel", []string{"pigeon hello"}},
		{"MessageEmpty", request{method: "POST", path: msgs, body: []byte(`{"direction":"inbound","channel":"email","body":"   "}`)}, 400, "invalid", "body", nil},
		{"MessageSentInFuture", request{method: "POST", path: msgs, body: []byte(`{"direction":"inbound","channel":"email","body":"from the future","sent_at":"2099-01-01T00:00:00Z"}`)}, 400, "invalid", "sent_at", []string{"from the future"}},

		// Odd Unicode.
		{"InvalidUTF8", request{method: "POST", path: "/v1/subjects", body: subjectBody(",\"name\":{\"value\":\"Broken\xff\xfeBytes\"}")}, 400, "invalid", "name", []string{"Broken"}},
		{"InvalidUTF8Email", request{method: "POST", path: "/v1/subjects", body: subjectBody(",\"email\":{\"value\":\"broken\xc3\x28@example.com\"}")}, 400, "invalid", "email", []string{"broken"}},
		{"NUL", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"name":{"value":"Nully\u0000McNull"}`)}, 400, "invalid", "name", []string{"Nully", "McNull"}},
		{"BidiOverride", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"name":{"value":"Mallory \u202Egnp.exe"}`)}, 400, "invalid", "name", []string{"Mallory", "gnp.exe"}},
		{"BidiOverrideEmail", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"mallory\u202E@example.com"}`)}, 400, "invalid", "email", []string{"mallory"}},
		{"ZeroWidthJoinerUsername", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"username":{"value":"wan\u200Dda"}`)}, 400, "invalid", "username", []string{"wan\u200dda"}},
		{"ZeroWidthJoinerLookup", request{method: "GET", path: "/v1/subjects?username=wan%E2%80%8Dda"}, 400, "invalid", "username", nil},
		{"NULInMessage", request{method: "POST", path: msgs, body: []byte(`{"direction":"inbound","channel":"email","body":"hidden\u0000payload"}`)}, 400, "invalid", "body", []string{"hidden", "payload"}},
		{"BidiInAttribute", request{method: "PATCH", path: subj, body: []byte(`{"attributes":{"city":{"value":"Evil\u202Dville","source":"form"}}}`), header: jsonType}, 400, "invalid", "attributes.city", []string{"Evil"}},

		// Media types.
		{"TextPlain", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"plain.ada@example.com"}`), header: map[string][]string{"Content-Type": {"text/plain"}}}, 415, "unsupported_media_type", "*", []string{"plain.ada@example.com"}},
		{"NoContentType", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"plain.ada@example.com"}`), header: map[string][]string{"Content-Type": {""}}}, 415, "unsupported_media_type", "*", []string{"plain.ada@example.com"}},
		{"Latin1", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"plain.ada@example.com"}`), header: map[string][]string{"Content-Type": {"application/json; charset=iso-8859-1"}}}, 415, "unsupported_media_type", "*", nil},
		{"FormEncoded", request{method: "PATCH", path: subj, body: []byte(`name=Formy`), header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}}, 415, "unsupported_media_type", "*", []string{"Formy"}},
		{"XMLMessage", request{method: "POST", path: msgs, body: []byte(`<message>hello</message>`), header: map[string][]string{"Content-Type": {"application/xml"}}}, 415, "unsupported_media_type", "*", nil},

		// Authentication.
		{"NoToken", request{method: "GET", path: subj, auth: "-"}, 401, "unauthorized", "", nil},
		{"GarbageToken", request{method: "GET", path: subj, auth: "Bearer garbage"}, 401, "unauthorized", "", nil},
		{"UnknownToken", request{method: "GET", path: "/v1/subjects", auth: "Bearer stw_" + strings.Repeat("A", 43)}, 401, "unauthorized", "", nil},
		{"BasicAuth", request{method: "GET", path: "/v1/subjects", auth: "Basic YWRhOmxvdmVsYWNl"}, 401, "unauthorized", "", nil},
		{"HugeToken", request{method: "GET", path: "/v1/subjects", auth: "Bearer stw_" + strings.Repeat("A", 4000)}, 401, "unauthorized", "", nil},
		{"TwoTokens", request{method: "GET", path: "/v1/subjects", header: map[string][]string{"Authorization": {"Bearer " + token, "Bearer " + other}}}, 401, "unauthorized", "", nil},
		{"NoTokenCreate", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"anon.ada@example.com"}`), auth: "-"}, 401, "unauthorized", "", []string{"anon.ada@example.com"}},

		// Headers and query parameters.
		{"PurposeWithPersonalValue", request{method: "GET", path: subj, header: map[string][]string{"X-Purpose": {"call Ada Lovelace"}}}, 400, "invalid", "X-Purpose", []string{"Ada Lovelace"}},
		{"IdempotencyKeyNonASCII", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"idem.ada@example.com"}`), header: map[string][]string{"Idempotency-Key": {"ключ"}}}, 400, "invalid", "Idempotency-Key", []string{"idem.ada@example.com"}},
		{"IdempotencyKeyTwice", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"idem.ada@example.com"}`), header: map[string][]string{"Idempotency-Key": {"a", "b"}}}, 400, "invalid", "Idempotency-Key", nil},
		{"LimitZero", request{method: "GET", path: "/v1/subjects?limit=0"}, 400, "invalid", "limit", nil},
		{"LimitWord", request{method: "GET", path: "/v1/subjects?limit=lots"}, 400, "invalid", "limit", nil},
		{"LimitTooLarge", request{method: "GET", path: "/v1/subjects?limit=501"}, 400, "invalid", "limit", nil},
		{"CursorGarbage", request{method: "GET", path: "/v1/subjects?after=wanda.witness@example.com"}, 400, "invalid", "after", []string{"wanda.witness@example.com"}},
		{"MessagesCursorGarbage", request{method: "GET", path: msgs + "?after=xyz"}, 400, "invalid", "after", nil},
		{"LookupBoth", request{method: "GET", path: "/v1/subjects?email=wanda.witness@example.com&username=wanda"}, 400, "invalid", "", []string{"wanda.witness@example.com"}},
		{"LookupBadEmail", request{method: "GET", path: "/v1/subjects?email=wanda.witness%40%40example.com"}, 400, "invalid", "email", []string{"wanda.witness@@example.com"}},
		{"LookupWithLimit", request{method: "GET", path: "/v1/subjects?email=wanda.witness@example.com&limit=2"}, 400, "invalid", "", []string{"wanda.witness@example.com"}},
		{"AuditBadSubject", request{method: "GET", path: "/v1/audit?subject_id=wanda"}, 400, "invalid", "subject_id", nil},

		// Identifiers another subject of the tenant holds.
		{"CreateEmailTaken", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"name":{"value":"Copy Cat"},"email":{"value":" WANDA.Witness@Example.com "}`)}, 409, "conflict", "email", []string{"wanda.witness@example.com", "Copy Cat"}},
		{"CreateUsernameTaken", request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"fresh.copy@example.com"},"username":{"value":"WANDA"}`)}, 409, "conflict", "username", []string{"fresh.copy@example.com"}},
		{"PatchEmailTaken", request{method: "PATCH", path: subj, body: []byte(`{"name":{"value":"Renamed Wanda","source":"form"},"email":{"value":"Second.Subject@example.com","source":"form"}}`), header: jsonType}, 409, "conflict", "email", []string{"second.subject@example.com", "Renamed Wanda"}},
		{"PatchUsernameTaken", request{method: "PATCH", path: subj, body: []byte(`{"email":{"value":"moved.wanda@example.com","source":"form"},"username":{"value":"Second_Subject","source":"form"}}`), header: jsonType}, 409, "conflict", "username", []string{"moved.wanda@example.com"}},

		// Routes and methods.
		{"UnknownRoute", request{method: "GET", path: "/v1/people/wanda.witness@example.com"}, 404, "not_found", "", []string{"wanda.witness@example.com"}},
		{"WrongMethod", request{method: "PUT", path: subj, body: subjectBody(`,"email":{"value":"put.ada@example.com"}`)}, 405, "method_not_allowed", "", []string{"put.ada@example.com"}},
	}

	// Invalid email shapes: each is refused, naming the field and never
	// the address.
	for i, e := range []string{
		"plainaddress", "@zedmail.test", "zed@", "zed@localhost", "zed@@zedmail.test", "zed@exa@mple.test",
		"zed lovelace@zedmail.test", "Zed Lovelace <zed@zedmail.test>", "zed@-zedmail.test", "zed@zedmail-.test",
		"zed..lovelace@zedmail.test", ".zed@zedmail.test", "zed.@zedmail.test", "zed@zedmail..test",
		"zed(comment)@zedmail.test", "zed@exa_mple.test", "   ", "zed@zedmail.test\nBcc: victim@zedmail.test",
	} {
		b, _ := json.Marshal(e)
		cases = append(cases,
			badCase{fmt.Sprintf("Email%d", i), request{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":` + string(b) + `}`)}, 400, "invalid", "email", []string{e}},
			badCase{fmt.Sprintf("PatchEmail%d", i), request{method: "PATCH", path: subj, body: []byte(`{"email":{"value":` + string(b) + `,"source":"form"}}`), header: jsonType}, 400, "invalid", "email", []string{e}},
		)
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := send(t, ts.URL, token, c.rq)
			env := MustError(t, r, c.status, c.code)
			if c.field != "*" && env.Error.Field != c.field {
				t.Errorf("field = %q, want %q (%s)", env.Error.Field, c.field, r.Body)
			}
			if c.name == "AttributeBool" && !strings.HasPrefix(env.Error.Field, "attributes") {
				t.Errorf("field = %q, want the attribute's path", env.Error.Field)
			}
			mustNotEcho(t, r, c.personal)
			switch r.Status {
			case 401:
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			case 405:
				if r.Header.Get("Allow") == "" {
					t.Error("405 without Allow")
				}
			}
			snap.MustUnchanged(t)
		})
	}
	secondSnap.MustUnchanged(t)
	otherSnap.MustUnchanged(t)

	t.Run("RevokedToken", func(t *testing.T) {
		tenantID, _, _ := MustTenantArgs(t, "Revoker", "--data", ts.Data)
		var k struct {
			ID     string `json:"id"`
			APIKey string `json:"api_key"`
		}
		out := MustCLI(t, nil, "key", "create", "--tenant", tenantID, "--name", "temp", "--json", "--data", ts.Data)
		if err := json.Unmarshal([]byte(out), &k); err != nil || k.APIKey == "" {
			t.Fatalf("key create printed %q", out)
		}
		MustStatus(t, Do(t, "GET", ts.URL+"/v1/subjects", k.APIKey, nil), 200, "before revocation")
		MustCLI(t, nil, "key", "revoke", "--tenant", tenantID, "--key", k.ID, "--json", "--data", ts.Data)
		for _, rq := range []request{
			{method: "GET", path: "/v1/subjects"},
			{method: "POST", path: "/v1/subjects", body: subjectBody(`,"email":{"value":"revoked.ada@example.com"}`)},
		} {
			r := send(t, ts.URL, k.APIKey, rq)
			MustError(t, r, 401, "unauthorized")
			mustNotEcho(t, r, []string{"revoked.ada@example.com"})
		}
		snap.MustUnchanged(t)
	})

	// Another tenant's subject answers exactly like an id that never
	// existed, and like a malformed one, and stays untouched.
	t.Run("ForeignAndMalformedIDs", func(t *testing.T) {
		ops := []struct {
			name   string
			method string
			suffix string
			body   any
		}{
			{"Get", "GET", "", nil},
			{"Patch", "PATCH", "", map[string]any{"name": map[string]any{"value": "Hijacked Harry", "source": "form"}}},
			{"Delete", "DELETE", "", nil},
			{"AddMessage", "POST", "/messages", map[string]any{"direction": "inbound", "channel": "email", "body": "hijacked message"}},
			{"ListMessages", "GET", "/messages", nil},
		}
		malformed := []string{
			"wanda", "sub_", "sub_short", "SUB_" + strings.Repeat("0", 26), "sub_" + strings.Repeat("w", 26),
			"ten_" + strings.Repeat("0", 26), "sub_" + strings.Repeat("0", 27), "sub_%2e%2e", "sub_" + strings.Repeat("0", 25) + "%00",
		}
		for _, op := range ops {
			t.Run(op.name, func(t *testing.T) {
				unknown := Do(t, op.method, ts.URL+"/v1/subjects/"+steward.NewID("sub")+op.suffix, token, op.body)
				want := MustError(t, unknown, 404, "not_found")
				cross := Do(t, op.method, ts.URL+"/v1/subjects/"+foreign.ID+op.suffix, token, op.body)
				MustError(t, cross, 404, "not_found")
				if string(cross.Body) != string(unknown.Body) {
					t.Errorf("another tenant's id answers\n %s\nan unknown id answers\n %s", cross.Body, unknown.Body)
				}
				mustNotEcho(t, cross, []string{"Hijacked Harry", "hijacked message", "foreign@example.com"})
				for _, id := range malformed {
					r := Do(t, op.method, ts.URL+"/v1/subjects/"+id+op.suffix, token, op.body)
					got := MustError(t, r, 404, "not_found")
					if got != want {
						t.Errorf("malformed id %q answers %s; an unknown id answers %s", id, r.Body, unknown.Body)
					}
				}
			})
		}
		// Nor does the audit log show another tenant's entries.
		r := Do(t, "GET", ts.URL+"/v1/audit?subject_id="+foreign.ID, token, nil)
		MustStatus(t, r, 200, "audit of a foreign subject")
		if canonical(t, r.Body) != `{"data":[],"next":""}` {
			t.Errorf("the audit log shows another tenant's subject: %s", r.Body)
		}
		r = Do(t, "GET", ts.URL+"/v1/audit?limit=500", token, nil)
		if strings.Contains(string(r.Body), foreign.ID) {
			t.Error("the audit listing names another tenant's subject")
		}
		snap.MustUnchanged(t)
		secondSnap.MustUnchanged(t)
		otherSnap.MustUnchanged(t)
	})

	// A retried create with the same Idempotency-Key replays the first
	// answer; reusing the key for another body is refused.
	t.Run("Idempotency", func(t *testing.T) {
		before := len(MustListAll(t, ts.URL, token, 500))
		body := map[string]any{"kind": "end_user", "source": "order", "email": map[string]any{"value": "idem.once@example.com"}}
		first := Do(t, "POST", ts.URL+"/v1/subjects", token, body, "Idempotency-Key", "order-77-create")
		MustStatus(t, first, 201, "first create")
		if first.Header.Get("Idempotent-Replayed") != "" {
			t.Error("a first request is marked as a replay")
		}
		var s1 steward.Subject
		first.JSON(t, &s1)
		replay := Do(t, "POST", ts.URL+"/v1/subjects", token, body, "Idempotency-Key", "order-77-create")
		MustStatus(t, replay, 201, "replay")
		var s2 steward.Subject
		replay.JSON(t, &s2)
		if s2.ID != s1.ID || replay.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay answered id %s (first %s), Idempotent-Replayed %q", s2.ID, s1.ID, replay.Header.Get("Idempotent-Replayed"))
		}
		if s2.Profile.Email == nil || s2.Profile.Email.Value != "idem.once@example.com" {
			t.Errorf("replay answered profile %+v", s2.Profile)
		}
		reused := Do(t, "POST", ts.URL+"/v1/subjects", token, map[string]any{
			"kind": "end_user", "source": "order", "email": map[string]any{"value": "idem.other@example.com"},
		}, "Idempotency-Key", "order-77-create")
		MustError(t, reused, 422, "idempotency_key_reused")
		mustNotEcho(t, reused, []string{"idem.other@example.com", "order-77-create"})
		// The key belongs to this tenant only: another tenant may use it.
		elsewhere := Do(t, "POST", ts.URL+"/v1/subjects", other, body, "Idempotency-Key", "order-77-create")
		MustStatus(t, elsewhere, 201, "same key, other tenant")
		if elsewhere.Header.Get("Idempotent-Replayed") != "" {
			t.Error("another tenant's request replayed this tenant's answer")
		}
		if after := len(MustListAll(t, ts.URL, token, 500)); after != before+1 {
			t.Errorf("%d subjects before, %d after one create, a replay and a reuse", before, after)
		}
		find := Do(t, "GET", ts.URL+"/v1/subjects?email=idem.other@example.com", token, nil)
		var l subjectList
		find.JSON(t, &l)
		if len(l.Data) != 0 {
			t.Error("the refused reuse stored its subject")
		}

		// Messages replay the same way, and a key reused on another
		// subject's path is refused rather than replayed.
		msg := map[string]any{"direction": "inbound", "channel": "chat", "body": "idempotent hello"}
		m1 := Do(t, "POST", ts.URL+"/v1/subjects/"+s1.ID+"/messages", token, msg, "Idempotency-Key", "msg-1")
		MustStatus(t, m1, 201, "first message")
		m2 := Do(t, "POST", ts.URL+"/v1/subjects/"+s1.ID+"/messages", token, msg, "Idempotency-Key", "msg-1")
		MustStatus(t, m2, 201, "replayed message")
		var a, b steward.Message
		m1.JSON(t, &a)
		m2.JSON(t, &b)
		if a.ID != b.ID || m2.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("message replay: ids %s and %s, header %q", a.ID, b.ID, m2.Header.Get("Idempotent-Replayed"))
		}
		MustError(t, Do(t, "POST", ts.URL+msgs, token, msg, "Idempotency-Key", "msg-1"), 422, "idempotency_key_reused")
		list := Do(t, "GET", ts.URL+"/v1/subjects/"+s1.ID+"/messages", token, nil)
		var ml struct{ Data []steward.Message }
		list.JSON(t, &ml)
		if len(ml.Data) != 1 {
			t.Errorf("%d messages after a create and its replay, want 1", len(ml.Data))
		}
		// The witness is as it was: the refused message was not stored.
		list2 := Do(t, "GET", ts.URL+msgs, token, nil)
		if canonical(t, list2.Body) != snap.views[msgs] {
			t.Errorf("witness messages changed: %s", list2.Body)
		}
	})
}
