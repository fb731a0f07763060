package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
	"github.com/stewardhq/steward/httpapi"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// TestAPIWalk walks the whole /v1 API through HTTP, as an integrator
// would, on every backend.
func TestAPIWalk(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			store := b.setup(t, dir)
			ts := MustServe(t, dir, store...)
			storeArgs := append([]string{"--data", dir}, store...)
			tenantID, token, keyID := MustTenantArgs(t, "Walk Corp", storeArgs...)
			testAPIWalk(t, ts.URL, tenantID, token, keyID)
		})
	}
}

// walkPAN is a Luhn-valid test card number (Visa's documented test PAN).
const walkPAN = "4111 1111 1111 1111"

func testAPIWalk(t *testing.T, base, tenantID, token, keyID string) {
	collected := "2024-03-01T10:00:00Z"
	created := Do(t, "POST", base+"/v1/subjects", token, map[string]any{
		"kind":   "customer_contact",
		"source": "form",
		"name":   map[string]any{"value": "  Ada Lovelace ", "source": "order", "collected_at": collected},
		"username": map[string]any{
			"value": "Ada_L", "source": "registration",
		},
		"email": map[string]any{"value": "Ada.Lovelace@Example.COM"},
		"billing_address": map[string]any{
			"value":  map[string]any{"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "gb"},
			"source": "order", "collected_at": collected,
		},
		"attributes": map[string]any{
			"favourite_colour": map[string]any{"value": "Teal Green", "source": "survey", "collected_at": collected},
			"plan":             map[string]any{"value": "Pro Annual"},
			"note":             map[string]any{"value": "paid with " + strings.ReplaceAll(walkPAN, " ", "-")},
		},
	}, "X-Request-Id", "walk-create-1")
	MustStatus(t, created, 201, "create")
	var sub steward.Subject
	created.JSON(t, &sub)
	if !steward.ValidID("sub", sub.ID) {
		t.Fatalf("id %q", sub.ID)
	}
	if loc := created.Header.Get("Location"); loc != "/v1/subjects/"+sub.ID {
		t.Errorf("Location = %q", loc)
	}
	if got := created.Header.Get("X-Request-Id"); got != "walk-create-1" {
		t.Errorf("X-Request-Id = %q, want the caller's", got)
	}
	if sub.RedactedCardNumbers != 1 {
		t.Errorf("redacted_card_numbers = %d, want 1", sub.RedactedCardNumbers)
	}
	if strings.Contains(string(created.Body), "4111-1111") {
		t.Errorf("create answer holds the card number: %s", created.Body)
	}
	p := sub.Profile
	at, _ := time.Parse(time.RFC3339, collected)
	checks := []struct {
		what      string
		got, want any
	}{
		{"kind", sub.Kind, steward.KindCustomerContact},
		{"name", p.Name.Value, "Ada Lovelace"},
		{"name source", p.Name.Source, steward.SourceOrder},
		{"name collected_at", p.Name.CollectedAt.Equal(at), true},
		{"username", p.Username.Value, "ada_l"},
		{"username source", p.Username.Source, steward.SourceRegistration},
		{"email", p.Email.Value, "ada.lovelace@example.com"},
		{"email default source", p.Email.Source, steward.SourceForm},
		{"email collected_at defaulted", time.Since(p.Email.CollectedAt) < time.Minute, true},
		{"country", p.BillingAddress.Value.Country, "GB"},
		{"city", p.BillingAddress.Value.City, "London"},
		{"address collected_at", p.BillingAddress.CollectedAt.Equal(at), true},
		{"colour", p.Attributes["favourite_colour"].Value, "Teal Green"},
		{"colour source", p.Attributes["favourite_colour"].Source, steward.SourceSurvey},
		{"plan source", p.Attributes["plan"].Source, steward.SourceForm},
		{"note", p.Attributes["note"].Value, "paid with " + steward.CardRedaction},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}

	// GET answers what create answered, byte for byte once decoded (the
	// redaction count belongs to the request that redacted).
	got := Do(t, "GET", base+"/v1/subjects/"+sub.ID, token, nil)
	MustStatus(t, got, 200, "get")
	var read steward.Subject
	got.JSON(t, &read)
	sub.RedactedCardNumbers = 0
	if a, b := mustMarshal(t, read), mustMarshal(t, sub); a != b {
		t.Errorf("GET differs from create:\n get    %s\n create %s", a, b)
	}
	if cc := got.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q on personal data", cc)
	}
	// A stated purpose is recorded; a request id that is not a plain token
	// (here, an email address) is replaced, never echoed or stored.
	purposeful := Do(t, "GET", base+"/v1/subjects/"+sub.ID, token, nil, "X-Purpose", "essential.fraud_detection", "X-Request-Id", "ada.lovelace@example.com")
	MustStatus(t, purposeful, 200, "get with a purpose")
	purposeReq := purposeful.Header.Get("X-Request-Id")
	if !strings.HasPrefix(purposeReq, "req_") {
		t.Errorf("X-Request-Id = %q, want a fresh id in place of the caller's email", purposeReq)
	}

	// Lookups normalise the query exactly as the stored value was.
	findOne := func(param, value string) []*steward.Subject {
		t.Helper()
		r := Do(t, "GET", base+"/v1/subjects?"+url.Values{param: {value}}.Encode(), token, nil)
		MustStatus(t, r, 200, "find by "+param)
		var l subjectList
		r.JSON(t, &l)
		if l.Next != "" {
			t.Errorf("lookup answered a next cursor %q", l.Next)
		}
		return l.Data
	}
	for _, q := range []struct{ param, value string }{
		{"email", "  ADA.lovelace@EXAMPLE.com\t"},
		{"email", "ada.lovelace@example.com"},
		{"username", " ADA_l "},
	} {
		if l := findOne(q.param, q.value); len(l) != 1 || l[0].ID != sub.ID {
			t.Errorf("find %s=%q: got %d subjects", q.param, q.value, len(l))
		}
	}
	if l := findOne("email", "nobody@example.com"); len(l) != 0 {
		t.Errorf("find of an unknown email found %d", len(l))
	}
	cp1 := mustCheckpoint(t, base, token, tenantID)

	// Pagination: eight subjects in pages of three, no duplicates, all there.
	ids := []string{sub.ID}
	for i := range 7 {
		email, username := fmt.Sprintf("page%d@example.com", i), fmt.Sprintf("page%d", i)
		if i == 0 {
			// Decomposed (NFD) on the way in; looked up below composed.
			email, username = "Zoë.page@bücher.example", "josé_page"
		}
		s := MustCreateSubject(t, base, token, map[string]any{
			"kind": "end_user", "source": "registration",
			"email":    map[string]any{"value": email},
			"username": map[string]any{"value": username},
		})
		ids = append(ids, s.ID)
		if i == 0 {
			if s.Profile.Email.Value != "zoë.page@bücher.example" || s.Profile.Username.Value != "josé_page" {
				t.Errorf("not stored in NFC lower case: %q %q", s.Profile.Email.Value, s.Profile.Username.Value)
			}
			for _, q := range []struct{ param, value string }{
				{"email", "ZOË.PAGE@BÜCHER.example"}, {"username", "JOSÉ_Page"},
			} {
				if l := findOne(q.param, q.value); len(l) != 1 || l[0].ID != s.ID {
					t.Errorf("find %s=%q (NFC, upper case) found %d", q.param, q.value, len(l))
				}
			}
		}
	}
	listed := MustListAll(t, base, token, 3)
	var listedIDs []string
	for _, s := range listed {
		listedIDs = append(listedIDs, s.ID)
	}
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(listedIDs, want) {
		t.Errorf("listing in pages of 3:\n got  %v\n want %v", listedIDs, want)
	}
	first := Do(t, "GET", base+"/v1/subjects?limit=3", token, nil)
	var page subjectList
	first.JSON(t, &page)
	if len(page.Data) != 3 || page.Next != page.Data[2].ID {
		t.Errorf("first page: %d subjects, next %q", len(page.Data), page.Next)
	}
	if all := MustListAll(t, base, token, 500); len(all) != 8 {
		t.Errorf("one page of 500 lists %d subjects, want 8", len(all))
	}

	// PATCH is a JSON merge patch: absent leaves alone, a value replaces,
	// null removes; an email change moves the lookup.
	patched := Do(t, "PATCH", base+"/v1/subjects/"+sub.ID, token, map[string]any{
		"name":     map[string]any{"value": "Augusta Ada King", "source": "form"},
		"username": nil,
		"email":    map[string]any{"value": "Countess@Lovelace.ORG", "source": "form"},
		"attributes": map[string]any{
			"plan":    nil,
			"pronoun": map[string]any{"value": "she/her", "source": "survey"},
		},
	}, "Content-Type", "application/merge-patch+json")
	MustStatus(t, patched, 200, "patch")
	var up steward.Subject
	patched.JSON(t, &up)
	if up.Profile.Name == nil || up.Profile.Name.Value != "Augusta Ada King" {
		t.Errorf("name not replaced: %+v", up.Profile.Name)
	}
	if up.Profile.Username != nil {
		t.Errorf("null did not remove the username: %+v", up.Profile.Username)
	}
	if up.Profile.Email == nil || up.Profile.Email.Value != "countess@lovelace.org" {
		t.Errorf("email = %+v", up.Profile.Email)
	}
	if _, ok := up.Profile.Attributes["plan"]; ok {
		t.Error("null did not remove attribute plan")
	}
	if up.Profile.Attributes["pronoun"].Value != "she/her" || up.Profile.Attributes["favourite_colour"].Value != "Teal Green" {
		t.Errorf("attributes after patch: %+v", up.Profile.Attributes)
	}
	if mustMarshal(t, up.Profile.BillingAddress) != mustMarshal(t, read.Profile.BillingAddress) {
		t.Errorf("absent billing_address changed: %+v", up.Profile.BillingAddress)
	}
	if !up.CreatedAt.Equal(read.CreatedAt) || up.UpdatedAt.Before(read.UpdatedAt) || up.Kind != read.Kind {
		t.Errorf("times or kind after patch: created %v→%v updated %v→%v kind %s", read.CreatedAt, up.CreatedAt, read.UpdatedAt, up.UpdatedAt, up.Kind)
	}
	reread := Do(t, "GET", base+"/v1/subjects/"+sub.ID, token, nil)
	var after steward.Subject
	reread.JSON(t, &after)
	if mustMarshal(t, after) != mustMarshal(t, up) {
		t.Errorf("GET after PATCH differs from the PATCH answer:\n%s\n%s", mustMarshal(t, after), mustMarshal(t, up))
	}
	if l := findOne("email", "ada.lovelace@example.com"); len(l) != 0 {
		t.Error("the old email still finds the subject")
	}
	if l := findOne("email", "COUNTESS@lovelace.org"); len(l) != 1 || l[0].ID != sub.ID {
		t.Error("the new email does not find the subject")
	}
	if l := findOne("username", "ada_l"); len(l) != 0 {
		t.Error("the removed username still finds the subject")
	}

	// Messages: pages oldest first; a card number is redacted before it is
	// stored and never comes back.
	var msgIDs []string
	for i := range 5 {
		body := fmt.Sprintf("message %d about the order", i)
		if i == 2 {
			body = "my card is " + walkPAN + ", please charge it"
		}
		r := Do(t, "POST", base+"/v1/subjects/"+sub.ID+"/messages", token, map[string]any{
			"direction": "inbound", "channel": "email", "body": body,
		})
		MustStatus(t, r, 201, "add message")
		var m steward.Message
		r.JSON(t, &m)
		wantRedacted := 0
		if i == 2 {
			wantRedacted = 1
		}
		if m.RedactedCardNumbers != wantRedacted || m.SubjectID != sub.ID || !steward.ValidID("msg", m.ID) {
			t.Errorf("message %d: %+v", i, m)
		}
		if i == 2 && (strings.Contains(m.Body, walkPAN) || !strings.Contains(m.Body, steward.CardRedaction)) {
			t.Errorf("message body not redacted: %q", m.Body)
		}
		msgIDs = append(msgIDs, m.ID)
	}
	var gotMsgs []string
	after2 := ""
	for pages := 0; ; pages++ {
		q := "limit=2"
		if after2 != "" {
			q += "&after=" + after2
		}
		r := Do(t, "GET", base+"/v1/subjects/"+sub.ID+"/messages?"+q, token, nil)
		MustStatus(t, r, 200, "list messages")
		if strings.Contains(string(r.Body), walkPAN) || strings.Contains(string(r.Body), "4111111111111111") {
			t.Errorf("a stored message holds the card number: %s", r.Body)
		}
		var l struct {
			Data []*steward.Message `json:"data"`
			Next string             `json:"next"`
		}
		r.JSON(t, &l)
		if len(l.Data) > 2 || pages > 5 {
			t.Fatalf("page %d has %d messages", pages, len(l.Data))
		}
		for _, m := range l.Data {
			gotMsgs = append(gotMsgs, m.ID)
		}
		if l.Next == "" {
			if pages != 2 {
				t.Errorf("5 messages in pages of 2 took %d pages", pages+1)
			}
			break
		}
		after2 = l.Next
	}
	if !slices.Equal(gotMsgs, msgIDs) {
		t.Errorf("messages listed %v, want oldest first %v", gotMsgs, msgIDs)
	}

	// Erasure: a receipt, then 410 for everything about the subject.
	del := Do(t, "DELETE", base+"/v1/subjects/"+sub.ID, token, nil)
	MustStatus(t, del, 200, "erase")
	var receipt steward.ErasureReceipt
	del.JSON(t, &receipt)
	if !strings.HasPrefix(receipt.ID, "era_") || receipt.SubjectID != sub.ID || receipt.ErasedAt.IsZero() || len(receipt.Destroyed) == 0 || receipt.AuditIndex <= 0 {
		t.Errorf("receipt: %+v", receipt)
	}
	if !strings.Contains(strings.Join(receipt.Destroyed, "\n"), "5 conversation messages") {
		t.Errorf("receipt does not count the 5 messages: %q", receipt.Destroyed)
	}
	subURL := base + "/v1/subjects/" + sub.ID
	for _, r := range []*apiResponse{
		Do(t, "GET", subURL, token, nil),
		Do(t, "PATCH", subURL, token, map[string]any{"name": nil}),
		Do(t, "DELETE", subURL, token, nil),
		Do(t, "POST", subURL+"/messages", token, map[string]any{"direction": "outbound", "channel": "email", "body": "hello"}),
		Do(t, "GET", subURL+"/messages", token, nil),
	} {
		MustError(t, r, 410, "gone")
	}
	if l := findOne("email", "countess@lovelace.org"); len(l) != 0 {
		t.Error("an erased subject is still found by email")
	}
	if all := MustListAll(t, base, token, 500); len(all) != 7 {
		t.Errorf("after erasure %d subjects are listed, want 7", len(all))
	}

	// The audit trail of the subject names every access and only fields.
	entries := mustAuditEntries(t, base, token, sub.ID)
	actions := map[steward.AuditAction]int{}
	for _, e := range entries {
		actions[e.Action]++
		if e.SubjectID != sub.ID || e.TenantID != tenantID || e.Actor != keyID {
			t.Errorf("entry %d names subject %s tenant %s actor %s", e.Index, e.SubjectID, e.TenantID, e.Actor)
		}
	}
	for _, a := range []steward.AuditAction{steward.ActionCreate, steward.ActionRead, steward.ActionList, steward.ActionUpdate, steward.ActionErase} {
		if actions[a] == 0 {
			t.Errorf("no %s entry for the subject; have %v", a, actions)
		}
	}
	createEntry, updateEntry, eraseEntry := entries[0], findEntry(entries, steward.ActionUpdate), entries[len(entries)-1]
	if createEntry.Action != steward.ActionCreate || createEntry.RequestID != "walk-create-1" {
		t.Errorf("first entry: %+v", createEntry)
	}
	wantCreate := []string{"attributes.favourite_colour", "attributes.note", "attributes.plan", "billing_address", "email", "name", "username"}
	if !slices.Equal(createEntry.Fields, wantCreate) {
		t.Errorf("create entry fields %q, want %q", createEntry.Fields, wantCreate)
	}
	if wantUpdate := []string{"attributes.plan", "attributes.pronoun", "email", "name", "username"}; updateEntry == nil || !slices.Equal(updateEntry.Fields, wantUpdate) {
		t.Errorf("update entry %+v, want fields %q", updateEntry, wantUpdate)
	}
	var purposeEntry *steward.AuditEntry
	for _, e := range entries {
		if e.RequestID == purposeReq {
			purposeEntry = e
		}
	}
	if purposeEntry == nil || purposeEntry.Action != steward.ActionRead || purposeEntry.Purpose != "essential.fraud_detection" {
		t.Errorf("the read with a stated purpose is audited as %+v", purposeEntry)
	}
	if eraseEntry.Action != steward.ActionErase || eraseEntry.Index != receipt.AuditIndex {
		t.Errorf("last entry %+v, receipt audit index %d", eraseEntry, receipt.AuditIndex)
	}
	raw := Do(t, "GET", base+"/v1/audit?limit=500", token, nil)
	MustStatus(t, raw, 200, "audit list")
	for _, v := range []string{"Ada", "Lovelace", "lovelace", "ada_l", "Augusta", "Teal Green", "London", "SW1Y", "James", "Pro Annual", "she/her", "message 0", "charge"} {
		if strings.Contains(string(raw.Body), v) {
			t.Errorf("the audit log holds the value %q", v)
		}
	}

	// Checkpoint, inclusion and consistency proofs, all checked here with
	// an independent implementation of RFC 6962.
	cp2 := mustCheckpoint(t, base, token, tenantID)
	if cp2.Size <= cp1.Size {
		t.Fatalf("log did not grow: %d then %d", cp1.Size, cp2.Size)
	}
	hasher := rfc6962.DefaultHasher
	for _, e := range entries {
		r := Do(t, "GET", fmt.Sprintf("%s/v1/audit/proof/inclusion?index=%d&size=%d", base, e.Index, cp2.Size), token, nil)
		MustStatus(t, r, 200, "inclusion proof")
		var ip httpapi.InclusionProofResponse
		r.JSON(t, &ip)
		if ip.Index != e.Index || ip.Size != cp2.Size || ip.Entry == nil {
			t.Fatalf("inclusion answer for %d: index %d size %d", e.Index, ip.Index, ip.Size)
		}
		if mustMarshal(t, ip.Entry) != mustMarshal(t, e) {
			t.Errorf("proved entry differs from the listed one:\n%s\n%s", mustMarshal(t, ip.Entry), mustMarshal(t, e))
		}
		leaf := hasher.HashLeaf(auditlog.EncodeEntry(ip.Entry))
		if err := proof.VerifyInclusion(hasher, uint64(e.Index), uint64(cp2.Size), leaf, ip.Proof, cp2.RootHash); err != nil {
			t.Errorf("inclusion proof of entry %d does not verify: %v", e.Index, err)
		}
		forged := *ip.Entry
		forged.Action = steward.ActionList
		if forged.Action != ip.Entry.Action {
			if err := proof.VerifyInclusion(hasher, uint64(e.Index), uint64(cp2.Size), hasher.HashLeaf(auditlog.EncodeEntry(&forged)), ip.Proof, cp2.RootHash); err == nil {
				t.Errorf("an altered entry %d verifies", e.Index)
			}
		}
	}
	r := Do(t, "GET", fmt.Sprintf("%s/v1/audit/proof/consistency?from=%d&to=%d", base, cp1.Size, cp2.Size), token, nil)
	MustStatus(t, r, 200, "consistency proof")
	var cons httpapi.ConsistencyProofResponse
	r.JSON(t, &cons)
	if cons.From != cp1.Size || cons.To != cp2.Size {
		t.Errorf("consistency answer from %d to %d", cons.From, cons.To)
	}
	if err := proof.VerifyConsistency(hasher, uint64(cp1.Size), uint64(cp2.Size), cons.Proof, cp1.RootHash, cp2.RootHash); err != nil {
		t.Errorf("consistency proof %d→%d does not verify: %v", cp1.Size, cp2.Size, err)
	}
	wrongOld := slices.Clone(cp1.RootHash)
	wrongOld[0] ^= 1
	if err := proof.VerifyConsistency(hasher, uint64(cp1.Size), uint64(cp2.Size), cons.Proof, wrongOld, cp2.RootHash); err == nil {
		t.Error("a consistency proof verifies against a different old root")
	}
	for _, bad := range []string{"index=-1", "index=x", fmt.Sprintf("index=%d&size=%d", cp2.Size, cp2.Size), fmt.Sprintf("index=0&size=%d", cp2.Size+1000)} {
		MustError(t, Do(t, "GET", base+"/v1/audit/proof/inclusion?"+bad, token, nil), 400, "invalid")
	}
	MustError(t, Do(t, "GET", fmt.Sprintf("%s/v1/audit/proof/consistency?from=%d&to=%d", base, cp2.Size, cp1.Size), token, nil), 400, "invalid")
}

// checkpoint is a verified checkpoint.
type checkpoint struct {
	Size     int64
	RootHash []byte
}

// mustCheckpoint fetches the tenant's checkpoint and verifies its signed
// note with the served verifier key, both as JSON and as text/plain.
func mustCheckpoint(t *testing.T, base, token, tenantID string) checkpoint {
	t.Helper()
	r := Do(t, "GET", base+"/v1/audit/checkpoint", token, nil)
	MustStatus(t, r, 200, "checkpoint")
	var cp httpapi.CheckpointResponse
	r.JSON(t, &cp)
	v, err := note.NewVerifier(cp.VerifierKey)
	if err != nil {
		t.Fatalf("verifier key %q: %v", cp.VerifierKey, err)
	}
	n, err := note.Open([]byte(cp.Note), note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint note does not verify: %v\n%s", err, cp.Note)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 3 || lines[0] != "steward.audit/"+tenantID {
		t.Fatalf("checkpoint text %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size != cp.Size {
		t.Fatalf("note says size %q, JSON %d", lines[1], cp.Size)
	}
	if lines[2] != base64.StdEncoding.EncodeToString(cp.RootHash) {
		t.Fatalf("note root %s, JSON root %x", lines[2], cp.RootHash)
	}
	// A note altered in transit must not verify.
	tampered := strings.Replace(cp.Note, "\n"+lines[1]+"\n", fmt.Sprintf("\n%d\n", size+1), 1)
	if _, err := note.Open([]byte(tampered), note.VerifierList(v)); err == nil {
		t.Fatal("a checkpoint with an altered size verifies")
	}
	text := Do(t, "GET", base+"/v1/audit/checkpoint", token, nil, "Accept", "text/plain")
	MustStatus(t, text, 200, "checkpoint as text")
	if _, err := note.Open(text.Body, note.VerifierList(v)); err != nil {
		t.Fatalf("text/plain checkpoint does not verify: %v\n%s", err, text.Body)
	}
	return checkpoint{Size: cp.Size, RootHash: cp.RootHash}
}

// mustAuditEntries pages through a subject's audit entries.
func mustAuditEntries(t *testing.T, base, token, subjectID string) []*steward.AuditEntry {
	t.Helper()
	var out []*steward.AuditEntry
	after := ""
	for range 1000 {
		q := url.Values{"subject_id": {subjectID}, "limit": {"7"}}
		if after != "" {
			q.Set("after", after)
		}
		r := Do(t, "GET", base+"/v1/audit?"+q.Encode(), token, nil)
		MustStatus(t, r, 200, "audit list")
		var l struct {
			Data []*steward.AuditEntry `json:"data"`
			Next string                `json:"next"`
		}
		r.JSON(t, &l)
		for _, e := range l.Data {
			if n := len(out); n > 0 && e.Index <= out[n-1].Index {
				t.Fatalf("audit entries out of order: %d after %d", e.Index, out[n-1].Index)
			}
			out = append(out, e)
		}
		if l.Next == "" {
			return out
		}
		after = l.Next
	}
	t.Fatal("audit listing never ends")
	return nil
}

func findEntry(es []*steward.AuditEntry, a steward.AuditAction) *steward.AuditEntry {
	for _, e := range es {
		if e.Action == a {
			return e
		}
	}
	return nil
}

func mustMarshal(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
