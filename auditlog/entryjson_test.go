package auditlog_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
)

// EncodeEntry's leaf bytes must be exactly encoding/json's, whatever the
// entry holds: logs written before it existed were encoded by
// encoding/json, and a leaf encoded two ways would hash two ways.
func FuzzEncodeEntryMatchesJSON(f *testing.F) {
	f.Add(int64(7), int64(1740830400123456000), "ten_a", "key_1", "update", "sub_a", "email,name", "support ticket", "req_1", 0)
	f.Add(int64(0), int64(0), "ten_a", "cli:root", "list", "", "", "", "", 0)
	f.Add(int64(-1), int64(-62135596800000000000/1000), "t<&>", "a\"b\\c", "re\u2028ad", "s\x00\x1f", "é,\xff,", "purpose\n\t", "r\u2029", 3600)
	f.Add(int64(1<<62), int64(253402300799999999999/1000), "", "", "", "", ",", "", "", -45000)
	f.Fuzz(func(t *testing.T, index, unixNano int64, tenant, actor, action, subject, fields, purpose, request string, offset int) {
		loc := time.UTC
		if offset != 0 {
			loc = time.FixedZone("", offset%(18*3600))
		}
		e := &steward.AuditEntry{
			Index: index, Time: time.Unix(0, unixNano).In(loc), TenantID: tenant, Actor: actor,
			Action: steward.AuditAction(action), SubjectID: subject, Purpose: purpose, RequestID: request,
		}
		if fields != "" {
			e.Fields = strings.Split(fields, ",")
		}
		want, err := json.Marshal(e)
		if err != nil {
			return // encoding/json refuses it; EncodeEntry panics the same way.
		}
		if got := auditlog.EncodeEntry(e); string(got) != string(want) {
			t.Fatalf("EncodeEntry =\n%q\nencoding/json =\n%q", got, want)
		}
	})
}

// Years encoding/json refuses still panic rather than produce a leaf.
func TestEncodeEntryRefusesYearsJSONRefuses(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("EncodeEntry of a year-10000 time did not panic")
		}
	}()
	auditlog.EncodeEntry(&steward.AuditEntry{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
}

func BenchmarkEncodeEntry(b *testing.B) {
	e := &steward.AuditEntry{
		Index: 123456, Time: time.Now().UTC(), TenantID: "ten_06h15q7df4h1n7h8rpse6ilc6g", Actor: "key_06h15q7df4h1n7h8rpse6ilc6g",
		Action: steward.ActionRead, SubjectID: "sub_06h15q7df4h1n7h8rpse6ilc6g", Fields: []string{"email", "name", "username"},
		RequestID: "req_06h15q7df4h1n7h8rpse6ilc6g",
	}
	b.ReportAllocs()
	for b.Loop() {
		auditlog.EncodeEntry(e)
	}
}
