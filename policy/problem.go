package policy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stewardhq/steward"
)

// Problem is one thing wrong with a policy document. Path names the place
// in the JSON document ("retention[2].duration", "recipients[0].categories[1]";
// "" is the document itself), Code is a stable string from the list below,
// and Message says what is wrong in words a person understands.
type Problem struct {
	Path    string `json:"path"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Problem codes.
const (
	CodeMalformed       = "malformed_json"   // Not JSON, or more than one value.
	CodeTooLarge        = "too_large"        // Document, nesting or a string too big.
	CodeUnknownField    = "unknown_field"    // A member the format does not have.
	CodeDuplicateMember = "duplicate_member" // The same JSON member twice in one object.
	CodeType            = "invalid_type"     // A string where a list belongs, and so on.
	CodeRequired        = "required"         // A required member is missing or blank.
	CodeEmpty           = "empty"            // A list that must not be empty is.
	CodeDuplicate       = "duplicate"        // A key, id or list entry given twice.
	CodeUnknownValue    = "unknown_value"    // A value outside a closed vocabulary.
	CodeUnknownKey      = "unknown_key"      // Not a fideslang key.
	CodeDeprecatedKey   = "deprecated_key"   // A deprecated fideslang key.
	CodeUndeclared      = "undeclared"       // A reference to something the policy does not declare.
	CodeInconsistent    = "inconsistent"     // Parts of the policy contradict each other.
	CodeUnused          = "unused"           // Declared but used by nothing.
	CodeNoRetention     = "no_retention"     // A category no retention rule covers.
	CodeDuration        = "invalid_duration" // Not an ISO 8601 duration.
	CodeOutOfRange      = "out_of_range"     // A number or duration outside its bounds.
	CodeCountry         = "invalid_country"  // Not an ISO 3166-1 alpha-2 code.
	CodeInvalid         = "invalid"          // Malformed id, email, URL, time …
	CodePlaceholder     = "placeholder"      // Leftover template placeholder.
	CodeTooMany         = "too_many_problems"
)

// MaxProblems caps one report; a document this broken needs rewriting, not
// a longer list.
const MaxProblems = 500

// Location is the path, or "(document)" for the document itself.
func (p Problem) Location() string {
	if p.Path == "" {
		return "(document)"
	}
	return p.Path
}

func (p Problem) String() string { return p.Location() + ": " + p.Message }

// Problems is the error a refused policy carries: every problem at once.
// It unwraps to a *steward.Error, so callers that only speak the domain's
// error vocabulary see code "invalid" (or "malformed_json") and the first
// problem's path as the field.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy: %d problem%s", len(ps), plural(len(ps)))
	for i, p := range ps {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(ps)-3)
			break
		}
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns the domain error for the whole report.
func (ps Problems) Unwrap() error {
	if len(ps) == 0 {
		return nil
	}
	code := steward.EInvalid
	if ps[0].Code == CodeMalformed {
		code = steward.EMalformedJSON
	}
	msg := "the policy is not valid: " + ps[0].Message
	if len(ps) > 1 {
		msg = fmt.Sprintf("the policy has %d problems; the first: %s", len(ps), ps[0].Message)
	}
	return &steward.Error{Code: code, Field: ps[0].Path, Message: msg}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// problemList collects problems up to MaxProblems.
type problemList []Problem

func (l *problemList) add(path, code, format string, args ...any) {
	switch {
	case len(*l) < MaxProblems:
		*l = append(*l, Problem{Path: path, Code: code, Message: fmt.Sprintf(format, args...)})
	case len(*l) == MaxProblems:
		*l = append(*l, Problem{Code: CodeTooMany, Message: fmt.Sprintf("more than %d problems; only the first are listed", MaxProblems)})
	}
}

// full reports whether the list has reached its cap, so costly checks
// (suggestions, cross-checks) can stop early on hopeless input.
func (l problemList) full() bool { return len(l) >= MaxProblems }

// Paths are built as JSON member names joined by dots and list indexes in
// brackets. A member name that is not a plain identifier (it can only come
// from an unknown field) is quoted, so every path reads unambiguously and
// control characters never reach a terminal.
func field(path, name string) string {
	if !plainName(name) {
		return path + "[" + strconv.Quote(name) + "]"
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func plainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '$' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
		case i > 0 && '0' <= r && r <= '9':
		default:
			return false
		}
	}
	return true
}

// under reports whether path is p or lies inside it.
func under(path, p string) bool {
	if p == "" || path == p {
		return true
	}
	return strings.HasPrefix(path, p) && (path[len(p)] == '.' || path[len(p)] == '[')
}
