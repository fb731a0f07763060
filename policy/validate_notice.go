package policy

// This file validates the notice outline and the recorded assumptions,
// whose references must name elements the policy declares.

func (v *validator) notice() {
	if !v.nonEmpty("notice", len(v.d.Notice), "notice section") {
		return
	}
	ids := map[string]int{}
	for i, s := range v.d.Notice {
		p := index("notice", i)
		ip := field(p, "id")
		if v.id(ip, s.ID) {
			if k, ok := ids[s.ID]; ok {
				v.add(ip, CodeDuplicate, "section id %q is already used at index %d", s.ID, k)
			} else {
				ids[s.ID] = i
			}
		}
		v.text(field(p, "heading"), s.Heading)
		if s.Parent != "" {
			// Parents come first, so the outline is a tree read top down.
			if _, ok := ids[s.Parent]; !ok || s.Parent == s.ID {
				v.add(field(p, "parent"), CodeUndeclared, "parent %q is not the id of an earlier section", clip(s.Parent))
			}
		}
		cp := field(p, "covers")
		if !v.nonEmpty(cp, len(s.Covers), "policy element this section presents") {
			continue
		}
		for j, ref := range s.Covers {
			if err := v.refs.resolve(ref); err != nil {
				v.add(index(cp, j), CodeUndeclared, "%s", err.Error())
			}
		}
	}
}

func (v *validator) assumptions() {
	for i, a := range v.d.Assumptions {
		p := index("assumptions", i)
		if v.text(field(p, "ref"), a.Ref) {
			if err := v.refs.resolve(a.Ref); err != nil {
				v.add(field(p, "ref"), CodeUndeclared, "%s", err.Error())
			}
		}
		v.text(field(p, "note"), a.Note)
	}
}
