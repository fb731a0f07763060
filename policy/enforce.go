package policy

import (
	"slices"
	"sort"
	"strings"

	"github.com/stewardhq/steward"
)

// This file holds enforcement: the checks the store runs against the
// policy in force before it keeps a value or lets a stated purpose read
// one. They are pure functions of the document, so every transport and
// every storage engine applies the same rules.

// CategoryOf returns the category that holds the profile field f ("email",
// "attributes.plan"), or nil when no category does. A category naming the
// attribute itself wins over one that maps every attribute (AnyAttribute).
func (d *Document) CategoryOf(f string) *Category {
	var any *Category
	for i := range d.Categories {
		c := &d.Categories[i]
		if slices.Contains(c.Fields, f) {
			return c
		}
		if any == nil && strings.HasPrefix(f, "attributes.") && slices.Contains(c.Fields, AnyAttribute) {
			any = c
		}
	}
	return any
}

// CheckSubjectWrite checks values about to be stored, given as each field's
// name and the source it came from. A field no category declares is refused
// naming the field; a value from a source its category does not allow is
// refused naming "<field>.source". Fields are checked in name order, so the
// error names the same field every time. The error is a *steward.Error with
// code "unprocessable"; it names fields and sources, never values.
func (d *Document) CheckSubjectWrite(fields map[string]steward.Source) error {
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		c := d.CategoryOf(f)
		if c == nil {
			return steward.Errorf(steward.EUnprocessable, f, "the policy in force declares no data category for %s, so it may not be stored", f)
		}
		if src := fields[f]; !slices.Contains(c.Sources, src) {
			return steward.Errorf(steward.EUnprocessable, f+".source", "the policy in force does not allow %s (category %s) from source %s", f, c.Key, src)
		}
	}
	return nil
}

// CheckPurpose checks a purpose a caller states for a read or a use. No
// purpose is nothing to check; a purpose the policy does not declare is
// refused with code "unprocessable" and field "purpose". The message does
// not repeat the purpose, since a caller may put anything in it.
func (d *Document) CheckPurpose(purpose string) error {
	if purpose == "" {
		return nil
	}
	for _, p := range d.Purposes {
		if p.Key == purpose {
			return nil
		}
	}
	return steward.Errorf(steward.EUnprocessable, "purpose", "the stated purpose is not one the policy in force declares; use a purpose key from GET /v1/policy")
}

// FieldSources returns the source of each named field the profile holds,
// in the form CheckSubjectWrite takes. Names the profile does not hold (a
// removed field, "kind") are left out; nil names means every field.
func FieldSources(p *steward.Profile, names []string) map[string]steward.Source {
	all := map[string]steward.Source{}
	if p.Name != nil {
		all["name"] = p.Name.Source
	}
	if p.Username != nil {
		all["username"] = p.Username.Source
	}
	if p.Email != nil {
		all["email"] = p.Email.Source
	}
	if p.BillingAddress != nil {
		all["billing_address"] = p.BillingAddress.Source
	}
	for k, v := range p.Attributes {
		all["attributes."+k] = v.Source
	}
	if names == nil {
		return all
	}
	out := make(map[string]steward.Source, len(names))
	for _, n := range names {
		if src, ok := all[n]; ok {
			out[n] = src
		}
	}
	return out
}
