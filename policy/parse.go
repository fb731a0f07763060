package policy

import (
	"bytes"
	"encoding/json"
)

// Parse decodes and validates a policy document. It returns the document
// only when there is nothing wrong with it; otherwise the error is Problems,
// listing every problem, and the policy is refused whole.
func Parse(b []byte) (*Document, error) {
	d, ps := Check(b)
	if len(ps) > 0 {
		return nil, Problems(ps)
	}
	return d, nil
}

// Check decodes and validates a policy document and returns every problem,
// with the document as far as it could be read (nil when b is not JSON),
// for tools that report rather than refuse.
//
// A member that could not be bound (a list where a string belongs, a
// missing required member) has already been reported by the decoder, so
// validation problems inside it, which would only repeat the same fault,
// are dropped.
func Check(b []byte) (*Document, []Problem) {
	d, ps := Decode(b)
	if d == nil {
		return nil, ps
	}
	var broken []string
	for _, p := range ps {
		if p.Code == CodeType || p.Code == CodeRequired {
			broken = append(broken, p.Path)
		}
	}
	all := problemList(ps)
	for _, p := range Validate(d) {
		if !inAny(p.Path, broken) {
			all.add(p.Path, p.Code, "%s", p.Message)
		}
	}
	return d, all
}

func inAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if under(path, p) {
			return true
		}
	}
	return false
}

// Marshal returns the canonical JSON form of a document: indented by two
// spaces, members in declaration order, no HTML escaping (policies quote
// "<" and "&" in prose), and a final newline.
func Marshal(d *Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
