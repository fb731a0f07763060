package policy

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// The fideslang data files, unmodified; see fideslang/README.md for the
// attribution the CC BY 4.0 licence requires.
//
//go:embed fideslang/data_categories.json fideslang/data_uses.json fideslang/data_subjects.json
var fideslangFS embed.FS

// Attribution is the credit line the fideslang licence asks for wherever
// the taxonomy is shipped or shown (the policy schema, the rendered notice).
const Attribution = "fideslang taxonomy © Ethyca / IAB Tech Lab, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"

// Term is one fideslang taxonomy entry.
type Term struct {
	Key         string `json:"fides_key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Parent      string `json:"parent_key,omitempty"`
	Deprecated  string `json:"version_deprecated,omitempty"` // fideslang version, "" if current.
	ReplacedBy  string `json:"replaced_by,omitempty"`
}

// Taxonomy holds the three fideslang vocabularies by key.
type Taxonomy struct {
	Categories map[string]Term // data_category
	Uses       map[string]Term // data_use
	Subjects   map[string]Term // data_subject
}

// Fideslang returns the embedded taxonomy. It is parsed once; callers must
// not modify it.
var Fideslang = sync.OnceValue(func() *Taxonomy {
	t := &Taxonomy{
		Categories: loadTerms("fideslang/data_categories.json", "data_category"),
		Uses:       loadTerms("fideslang/data_uses.json", "data_use"),
		Subjects:   loadTerms("fideslang/data_subjects.json", "data_subject"),
	}
	return t
})

// loadTerms reads one embedded file. The files ship inside the binary and
// a test reads them, so a failure here is a build defect, not an input
// error.
func loadTerms(name, member string) map[string]Term {
	b, err := fideslangFS.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("policy: %s: %v", name, err))
	}
	var file map[string][]struct {
		Term
		Deprecated *string `json:"version_deprecated"`
		ReplacedBy *string `json:"replaced_by"`
		Parent     *string `json:"parent_key"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		panic(fmt.Sprintf("policy: %s: %v", name, err))
	}
	terms := map[string]Term{}
	for _, e := range file[member] {
		t := e.Term
		t.Deprecated, t.ReplacedBy, t.Parent = deref(e.Deprecated), deref(e.ReplacedBy), deref(e.Parent)
		terms[t.Key] = t
	}
	if len(terms) == 0 {
		panic(fmt.Sprintf("policy: %s has no %s entries", name, member))
	}
	return terms
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// checkKey reports a key that is not in terms, or deprecated there.
func checkKey(ps *problemList, path, kind, key string, terms map[string]Term) {
	t, ok := terms[key]
	if !ok && ps.full() {
		return
	}
	if !ok {
		ps.add(path, CodeUnknownKey, "%q is not a fideslang %s key%s", clip(key), kind, suggest(key, termKeys(terms)))
		return
	}
	if t.Deprecated != "" {
		hint := ""
		if t.ReplacedBy != "" {
			hint = fmt.Sprintf("; use %q", t.ReplacedBy)
		}
		ps.add(path, CodeDeprecatedKey, "fideslang deprecated %q in version %s%s", key, t.Deprecated, hint)
	}
}

func termKeys(terms map[string]Term) []string {
	keys := make([]string, 0, len(terms))
	for k := range terms {
		keys = append(keys, k)
	}
	sort.Strings(keys) // A stable hint when two keys are equally close.
	return keys
}

// ancestors lists the keys a hierarchical key lies inside, nearest last:
// "user.contact.email" gives "user", "user.contact".
func ancestors(key string) []string {
	var as []string
	for i := range len(key) {
		if key[i] == '.' {
			as = append(as, key[:i])
		}
	}
	return as
}
