package policy

import (
	"reflect"
	"strings"
)

// DocumentDiff is what changed between two policy versions in the parts
// that decide what Steward allows: categories, purposes and recipients by
// key or id, and retention rules by id.
type DocumentDiff struct {
	Categories SectionDiff `json:"categories"`
	Purposes   SectionDiff `json:"purposes"`
	Recipients SectionDiff `json:"recipients"`
	Retention  SectionDiff `json:"retention"`
}

// SectionDiff lists the keys added, removed and changed in one section.
// Added and changed keys are in the newer document's order, removed keys
// in the older one's.
type SectionDiff struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []Change `json:"changed"`
}

// Change names an element present in both versions and the members of it
// (by their JSON names) that differ.
type Change struct {
	Key    string   `json:"key"`
	Fields []string `json:"fields"`
}

// Empty reports whether nothing changed.
func (d *DocumentDiff) Empty() bool {
	for _, s := range []SectionDiff{d.Categories, d.Purposes, d.Recipients, d.Retention} {
		if len(s.Added)+len(s.Removed)+len(s.Changed) > 0 {
			return false
		}
	}
	return true
}

// Diff compares the older document a with the newer b. A nil document
// counts as empty. Elements are matched by key, so reordering a section is
// not a change. It is a pure function of its arguments.
func Diff(a, b *Document) *DocumentDiff {
	if a == nil {
		a = &Document{}
	}
	if b == nil {
		b = &Document{}
	}
	return &DocumentDiff{
		Categories: diffSection(a.Categories, b.Categories, func(c Category) string { return c.Key }),
		Purposes:   diffSection(a.Purposes, b.Purposes, func(p Purpose) string { return p.Key }),
		Recipients: diffSection(a.Recipients, b.Recipients, func(r Recipient) string { return r.ID }),
		Retention:  diffSection(a.Retention, b.Retention, func(r RetentionRule) string { return r.ID }),
	}
}

func diffSection[T any](a, b []T, key func(T) string) SectionDiff {
	d := SectionDiff{Added: []string{}, Removed: []string{}, Changed: []Change{}}
	old := make(map[string]T, len(a))
	for _, e := range a {
		if _, dup := old[key(e)]; !dup { // Validation refuses duplicates; the first wins.
			old[key(e)] = e
		}
	}
	seen := make(map[string]bool, len(b))
	for _, e := range b {
		k := key(e)
		if seen[k] {
			continue
		}
		seen[k] = true
		prev, ok := old[k]
		if !ok {
			d.Added = append(d.Added, k)
			continue
		}
		if fs := changedFields(prev, e); len(fs) > 0 {
			d.Changed = append(d.Changed, Change{Key: k, Fields: fs})
		}
	}
	for _, e := range a {
		k := key(e)
		if !seen[k] {
			seen[k] = true
			d.Removed = append(d.Removed, k)
		}
	}
	return d
}

// changedFields returns the JSON names of the struct members that differ
// between a and b. A nil list and an empty one are the same.
func changedFields[T any](a, b T) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := range va.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		if fa.Kind() == reflect.Slice && fa.Len() == 0 && fb.Len() == 0 {
			continue
		}
		if reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			continue
		}
		name, _, _ := strings.Cut(va.Type().Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}
