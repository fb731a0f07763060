package auditlog

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/stewardhq/steward"
)

// EncodeEntry returns the leaf data for an entry: its JSON, whose field order
// is fixed by the struct, so the same entry always hashes the same.
//
// Every audited access encodes its entry twice (into the read journal, then
// into the log), and encoding/json's reflection made that about 5% of a
// find's CPU. appendEntry writes the same bytes directly; anything it does
// not handle byte for byte like encoding/json (a string needing escapes, a
// year outside 0–9999) goes through encoding/json itself, and a fuzz test
// holds the two to identical output.
func EncodeEntry(e *steward.AuditEntry) []byte {
	if b, ok := appendEntry(make([]byte, 0, 384), e); ok {
		return b
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // An AuditEntry always marshals.
	}
	return b
}

// appendEntry appends e as encoding/json would, or reports that it cannot.
func appendEntry(b []byte, e *steward.AuditEntry) ([]byte, bool) {
	if y := e.Time.Year(); y < 0 || y > 9999 {
		return nil, false // encoding/json refuses these; let it say so.
	}
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, e.Index, 10)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendField(b, `,"tenant_id":`, e.TenantID)
	b = appendField(b, `,"actor":`, e.Actor)
	b = appendField(b, `,"action":`, string(e.Action))
	if e.SubjectID != "" {
		b = appendField(b, `,"subject_id":`, e.SubjectID)
	}
	if len(e.Fields) > 0 {
		b = append(b, `,"fields":[`...)
		for i, f := range e.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, f)
		}
		b = append(b, ']')
	}
	if e.Purpose != "" {
		b = appendField(b, `,"purpose":`, e.Purpose)
	}
	if e.RequestID != "" {
		b = appendField(b, `,"request_id":`, e.RequestID)
	}
	return append(b, '}'), true
}

func appendField(b []byte, name, s string) []byte {
	return appendString(append(b, name...), s)
}

// appendString quotes s. Printable ASCII other than the characters
// encoding/json escapes (quote, backslash, and <, >, & for HTML safety) is
// copied; any other string is quoted by encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // A string always marshals.
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
