package policy

import (
	"slices"

	"github.com/stewardhq/steward"
)

// This file validates the data map: who the data is about (subjects), what
// it is (categories) and why it is processed (purposes).

func (v *validator) subjects() {
	used := map[string]bool{}
	for _, p := range v.d.Purposes {
		for _, s := range p.Subjects {
			used[s] = true
		}
	}
	if !v.nonEmpty("subjects", len(v.d.Subjects), "data subject") {
		return
	}
	for i, s := range v.d.Subjects {
		p := index("subjects", i)
		kp := field(p, "key")
		if v.text(kp, s.Key) {
			checkKey(&v.ps, kp, "data_subject", s.Key, v.tax.Subjects)
			v.unique(kp, "subject", s.Key, i, v.subjectIx)
		}
		v.text(field(p, "name"), s.Name)
		enumList(v, field(p, "kinds"), s.Kinds, steward.SubjectKinds, "Steward subject kind", true)
		if s.Key != "" && !used[s.Key] && v.subjectIx[s.Key] == i {
			v.add(p, CodeUnused, "no purpose processes data of subject %q; remove it or name it in a purpose's subjects", clip(s.Key))
		}
	}
}

func (v *validator) categories() {
	used := map[string]bool{}
	for _, p := range v.d.Purposes {
		for _, c := range p.Categories {
			used[c] = true
		}
	}
	covered := map[string]bool{}
	for _, r := range v.d.Retention {
		for _, c := range r.Categories {
			covered[c] = true
		}
	}
	if !v.nonEmpty("categories", len(v.d.Categories), "data category") {
		return
	}
	fieldOwner := map[string]string{}
	for i, c := range v.d.Categories {
		p := index("categories", i)
		kp := field(p, "key")
		if v.text(kp, c.Key) {
			checkKey(&v.ps, kp, "data_category", c.Key, v.tax.Categories)
			v.unique(kp, "category", c.Key, i, v.categoryIx)
			// An overlapping pair would give one value two retention
			// rules and two sets of recipients.
			for _, a := range ancestors(c.Key) {
				if j, ok := v.categoryIx[a]; ok {
					v.add(kp, CodeInconsistent, "category %q lies inside category %q (index %d); declare either the parent or its children", clip(c.Key), clip(a), j)
				}
			}
		}
		v.text(field(p, "name"), c.Name)
		enum(v, field(p, "sensitivity"), c.Sensitivity, Sensitivities, "sensitivity")
		enumList(v, field(p, "sources"), c.Sources, Sources, "source", true)
		for j, f := range c.Fields {
			fp := index(field(p, "fields"), j)
			switch owner, taken := fieldOwner[f]; {
			case !validField(f):
				v.add(fp, CodeUnknownValue, "%q is not a subject field; use name, username, email, billing_address, messages, attributes.<name> or attributes.*", clip(f))
			case taken:
				v.add(fp, CodeDuplicate, "field %q already belongs to category %q; a field holds one category", f, clip(owner))
			default:
				fieldOwner[f] = c.Key
			}
		}
		v.limits(p, c)
		if c.Key == "" || v.categoryIx[c.Key] != i {
			continue
		}
		if !used[c.Key] {
			v.add(p, CodeUnused, "no purpose uses category %q; data without a purpose may not be collected", clip(c.Key))
		}
		if !covered[c.Key] {
			v.add(p, CodeNoRetention, "no retention rule covers category %q; add it to a rule in retention", clip(c.Key))
		}
	}
}

// limits checks a category's per-source purpose limits.
func (v *validator) limits(p string, c Category) {
	seen := map[steward.Source]bool{}
	for j, l := range c.Limits {
		lp := index(field(p, "limits"), j)
		sp := field(lp, "source")
		dup := seen[l.Source]
		seen[l.Source] = true
		switch {
		case l.Source == "":
			v.add(sp, CodeRequired, "source must not be blank")
		case dup:
			v.add(sp, CodeDuplicate, "source %q is limited twice in this category", clip(string(l.Source)))
		case !slices.Contains(c.Sources, l.Source):
			v.add(sp, CodeInconsistent, "source %q is not among this category's sources", clip(string(l.Source)))
		}
		pp := field(lp, "purposes")
		v.refList(pp, l.Purposes, v.purposeIx, "purpose", "purposes", true)
		for k, key := range l.Purposes {
			if i, ok := v.purposeIx[key]; ok && !slices.Contains(v.d.Purposes[i].Categories, c.Key) {
				v.add(index(pp, k), CodeInconsistent, "purpose %q does not use category %q", clip(key), clip(c.Key))
			}
		}
	}
}

func (v *validator) purposes() {
	if !v.nonEmpty("purposes", len(v.d.Purposes), "purpose") {
		return
	}
	for i, pu := range v.d.Purposes {
		p := index("purposes", i)
		kp := field(p, "key")
		if v.text(kp, pu.Key) {
			checkKey(&v.ps, kp, "data_use", pu.Key, v.tax.Uses)
			v.unique(kp, "purpose", pu.Key, i, v.purposeIx)
		}
		v.text(field(p, "name"), pu.Name)
		enum(v, field(p, "legal_basis"), pu.LegalBasis, LegalBases, "legal basis")
		v.refList(field(p, "subjects"), pu.Subjects, v.subjectIx, "subject", "subjects", true)
		v.refList(field(p, "categories"), pu.Categories, v.categoryIx, "category", "categories", true)
	}
}

// purposeCategories is the union of the categories the named purposes use.
// complete is false when a purpose is undeclared: that is reported once,
// and the union is then too small to judge anything by.
func (v *validator) purposeCategories(purposes []string) (m map[string]bool, complete bool) {
	m, complete = map[string]bool{}, true
	for _, key := range purposes {
		i, ok := v.purposeIx[key]
		if !ok {
			complete = false
			continue
		}
		for _, c := range v.d.Purposes[i].Categories {
			m[c] = true
		}
	}
	return m, complete
}
