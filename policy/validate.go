package policy

import (
	"fmt"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// Validate checks a document's content and returns every problem, section
// by section in document order and then every string with a leftover
// template placeholder; nil means the policy may be published.
// It checks what a JSON Schema cannot: references between sections,
// fideslang keys, retention coverage, durations, countries and leftover
// template placeholders. Decode (or Check) adds the problems of the JSON
// form itself.
func Validate(d *Document) []Problem {
	return validate(d, Fideslang())
}

func validate(d *Document, tax *Taxonomy) []Problem {
	if d == nil {
		return []Problem{{Code: CodeRequired, Message: "there is no policy document"}}
	}
	v := &validator{d: d, tax: tax, refs: newRefIndex(d)}
	v.buildIndexes()
	v.meta()
	v.operator()
	enumList(v, "laws", d.Laws, Laws, "law", false)
	v.subjects()
	v.categories()
	v.purposes()
	v.recipients()
	v.retention()
	v.requests()
	v.minimumAge()
	v.changes()
	v.tracking()
	v.transfers()
	enumList(v, "security", d.Security, Measures, "security measure", false)
	v.notice()
	v.assumptions()
	checkStrings(&v.ps, "", reflect.ValueOf(d).Elem())
	return v.ps
}

// validator carries one validation run: the document, the taxonomy, the
// index of every declared key or id (first occurrence wins; later ones are
// reported as duplicates) and the problems found.
type validator struct {
	d    *Document
	tax  *Taxonomy
	refs refIndex
	ps   problemList

	subjectIx, categoryIx, purposeIx, recipientIx, ruleIx, trackerIx map[string]int
}

func (v *validator) add(path, code, format string, args ...any) {
	v.ps.add(path, code, format, args...)
}

func (v *validator) buildIndexes() {
	v.subjectIx = firstIndex(v.d.Subjects, func(s Subject) string { return s.Key })
	v.categoryIx = firstIndex(v.d.Categories, func(c Category) string { return c.Key })
	v.purposeIx = firstIndex(v.d.Purposes, func(p Purpose) string { return p.Key })
	v.recipientIx = firstIndex(v.d.Recipients, func(r Recipient) string { return r.ID })
	v.ruleIx = firstIndex(v.d.Retention, func(r RetentionRule) string { return r.ID })
	v.trackerIx = firstIndex(v.d.Tracking, func(t Tracker) string { return t.ID })
}

func firstIndex[T any](items []T, key func(T) string) map[string]int {
	m := map[string]int{}
	for i, it := range items {
		if k := key(it); k != "" {
			if _, ok := m[k]; !ok {
				m[k] = i
			}
		}
	}
	return m
}

// unique reports a key or id that an earlier element of its list already
// uses.
func (v *validator) unique(path, what, key string, i int, ix map[string]int) {
	if first, ok := ix[key]; ok && first != i {
		v.add(path, CodeDuplicate, "%s %q is already declared at index %d", what, clip(key), first)
	}
}

func (v *validator) meta() {
	if v.d.Version < 0 {
		v.add("version", CodeOutOfRange, "version must be a positive number (the store assigns it)")
	}
	if t := v.d.EffectiveAt; t != nil && (t.Year() < 2000 || t.Year() > 9999) {
		v.add("effective_at", CodeOutOfRange, "effective_at must lie between the years 2000 and 9999")
	}
}

// text reports a blank required string.
func (v *validator) text(path, s string) bool {
	if strings.TrimSpace(s) == "" {
		v.add(path, CodeRequired, "%s must not be blank", lastName(path))
		return false
	}
	return true
}

// nonEmpty reports an empty list that must have entries.
func (v *validator) nonEmpty(path string, n int, what string) bool {
	if n == 0 {
		v.add(path, CodeEmpty, "list at least one %s", what)
		return false
	}
	return true
}

var idPattern = regexp.MustCompile(`^[a-z0-9]+(?:[-_][a-z0-9]+)*$`)

// id checks a document-chosen id: short lowercase words joined by - or _,
// so it reads well in URLs, references and the notice's anchors.
func (v *validator) id(path, s string) bool {
	if !v.text(path, s) {
		return false
	}
	if len(s) > 64 || !idPattern.MatchString(s) {
		v.add(path, CodeInvalid, "%q is not a valid id; use 1-64 lowercase letters and digits, words joined by - or _", clip(s))
		return false
	}
	return true
}

// enum reports a value outside its vocabulary.
func enum[T ~string](v *validator, path string, val T, allowed []T, what string) {
	if val == "" {
		v.add(path, CodeRequired, "%s must not be blank; use one of %s", lastName(path), joinValues(allowed))
		return
	}
	if !slices.Contains(allowed, val) && !v.ps.full() {
		v.add(path, CodeUnknownValue, "%q is not a known %s; use one of %s%s", clip(string(val)), what, joinValues(allowed), suggest(string(val), toStrings(allowed)))
	}
}

// enumList checks a list of vocabulary values for unknown and repeated
// entries.
func enumList[T ~string](v *validator, path string, vals, allowed []T, what string, required bool) {
	if required && !v.nonEmpty(path, len(vals), what) {
		return
	}
	first := map[T]int{}
	for i, val := range vals {
		p := index(path, i)
		if j, ok := first[val]; ok {
			v.add(p, CodeDuplicate, "%q is listed twice (also at index %d)", clip(string(val)), j)
			continue
		}
		first[val] = i
		enum(v, p, val, allowed, what)
	}
}

// refList checks references to declared keys or ids.
func (v *validator) refList(path string, refs []string, ix map[string]int, what, section string, required bool) {
	if required && !v.nonEmpty(path, len(refs), what) {
		return
	}
	first := map[string]int{}
	for i, r := range refs {
		p := index(path, i)
		if j, ok := first[r]; ok {
			v.add(p, CodeDuplicate, "%q is listed twice (also at index %d)", clip(r), j)
			continue
		}
		first[r] = i
		if _, ok := ix[r]; !ok && !v.ps.full() {
			v.add(p, CodeUndeclared, "%s %q is not declared in %s%s", what, clip(r), section, suggest(r, mapKeys(ix)))
		}
	}
}

// countries checks a list of country codes; AnyCountry may stand alone.
func (v *validator) countries(path string, cs []string, required bool) {
	if required && !v.nonEmpty(path, len(cs), "country (ISO 3166-1 alpha-2, or \"*\" for anywhere)") {
		return
	}
	seen := map[string]bool{}
	for i, c := range cs {
		p := index(path, i)
		dup := seen[c]
		seen[c] = true
		switch {
		case dup:
			v.add(p, CodeDuplicate, "%q is listed twice", clip(c))
		case c == AnyCountry && len(cs) > 1:
			v.add(p, CodeInconsistent, "\"*\" means anywhere in the world and must be the only entry")
		case c != AnyCountry:
			v.country(p, c)
		}
	}
}

func (v *validator) country(path, c string) {
	if c == "" {
		v.add(path, CodeRequired, "%s must not be blank; use an ISO 3166-1 alpha-2 code such as DE or US", lastName(path))
		return
	}
	if !ValidCountry(c) {
		hint := ""
		if ValidCountry(strings.ToUpper(c)) {
			hint = fmt.Sprintf("; codes are upper case: %q", strings.ToUpper(c))
		}
		v.add(path, CodeCountry, "%q is not an ISO 3166-1 alpha-2 country code such as DE or US%s", clip(c), hint)
	}
}

func (v *validator) operator() {
	o, p := v.d.Operator, "operator"
	v.text(field(p, "legal_name"), o.LegalName)
	v.text(field(p, "service_name"), o.ServiceName)
	v.webURL(field(p, "website"), o.Website)
	a := field(p, "address")
	v.text(field(a, "line1"), o.Address.Line1)
	v.text(field(a, "city"), o.Address.City)
	v.country(field(a, "country"), o.Address.Country)
	v.country(field(p, "country"), o.Country)
	v.country(field(p, "governing_law"), o.GoverningLaw)
	cp := field(p, "contact")
	if !v.nonEmpty(cp, len(o.Contact), "contact channel") {
		return
	}
	seen := map[Contact]bool{}
	for i, c := range o.Contact {
		ip := index(cp, i)
		enum(v, field(ip, "channel"), c.Channel, Channels, "contact channel")
		vp := field(ip, "value")
		if seen[c] {
			v.add(ip, CodeDuplicate, "this contact channel is listed twice")
			continue
		}
		seen[c] = true
		switch c.Channel {
		case "email":
			if a, err := mail.ParseAddress(c.Value); err != nil || a.Address != c.Value {
				v.add(vp, CodeInvalid, "%q is not a bare email address such as privacy@company.example", clip(c.Value))
			}
		case "url":
			v.webURL(vp, c.Value)
		default:
			v.text(vp, c.Value)
		}
	}
}

// webURL checks an absolute http or https URL with a host.
func (v *validator) webURL(path, s string) {
	if !v.text(path, s) {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.add(path, CodeInvalid, "%q is not an absolute http or https URL", clip(s))
	}
}

// lastName is the member name a path ends in, skipping list indexes:
// "requests.rights[2]" gives "rights".
func lastName(path string) string {
	for strings.HasSuffix(path, "]") {
		path = path[:strings.LastIndex(path, "[")]
	}
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[i+1:]
	}
	return path
}

func joinValues[T ~string](vals []T) string {
	return strings.Join(toStrings(vals), ", ")
}

func toStrings[T ~string](vals []T) []string {
	s := make([]string, len(vals))
	for i, x := range vals {
		s[i] = string(x)
	}
	return s
}

func mapKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
