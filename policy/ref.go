package policy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// References in notice sections and assumptions point into the document by
// its JSON names, so they read like the file the operator edits:
// "minimum_age", "requests.deadline", "operator.contact", or a list element
// by key or id, "categories/user.contact.email", "retention/card-data",
// "laws/gdpr". Resolving against the document's own JSON keeps the syntax
// and the format from drifting apart.

// refIndex is the document as generic JSON, for resolving references.
type refIndex map[string]any

func newRefIndex(d *Document) refIndex {
	b, err := json.Marshal(d)
	if err != nil {
		return refIndex{}
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return refIndex{}
	}
	return m
}

// resolve returns nil when ref names a present, non-empty element.
func (ix refIndex) resolve(ref string) error {
	base, key, byKey := strings.Cut(ref, "/")
	var v any = map[string]any(ix)
	for _, name := range strings.Split(base, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%q names nothing in the policy", clip(ref))
		}
		if v, ok = m[name]; !ok {
			return fmt.Errorf("%q names nothing in the policy", clip(ref))
		}
	}
	if !byKey {
		if isEmpty(v) {
			return fmt.Errorf("%q is empty in this policy", clip(ref))
		}
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%q is not a list, so it has no element %q", clip(base), clip(key))
	}
	for _, e := range list {
		switch e := e.(type) {
		case string:
			if e == key {
				return nil
			}
		case map[string]any:
			if e["key"] == key || e["id"] == key {
				return nil
			}
		}
	}
	return fmt.Errorf("%s has no element %q", clip(base), clip(key))
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}
