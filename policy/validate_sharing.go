package policy

import (
	"slices"
	"strings"
)

// This file validates where data goes: recipients, tracking technologies
// and transfers to other countries.

func (v *validator) recipients() {
	t := v.d.Transfers
	declared := setOf(t.TransferCountries)
	for c := range setOf(t.StorageCountries) {
		declared[c] = true
	}
	declared[v.d.Operator.Country] = true
	transferAnywhere := slices.Contains(t.TransferCountries, AnyCountry)
	for i, r := range v.d.Recipients {
		p := index("recipients", i)
		ip := field(p, "id")
		if v.id(ip, r.ID) {
			v.unique(ip, "recipient", r.ID, i, v.recipientIx)
		}
		v.text(field(p, "name"), r.Name)
		enum(v, field(p, "kind"), r.Kind, RecipientKinds, "recipient kind")
		cp := field(p, "countries")
		v.countries(cp, r.Countries, true)
		for j, c := range r.Countries {
			switch {
			case c == AnyCountry && !transferAnywhere:
				v.add(index(cp, j), CodeInconsistent, "the recipient may be anywhere, so transfers.transfer_countries must be [\"*\"] too")
			case c != AnyCountry && ValidCountry(c) && !declared[AnyCountry] && !declared[c]:
				v.add(index(cp, j), CodeUndeclared, "country %q is not declared in transfers.transfer_countries", c)
			}
		}
		catp := field(p, "categories")
		v.refList(catp, r.Categories, v.categoryIx, "category", "categories", true)
		v.refList(field(p, "purposes"), r.Purposes, v.purposeIx, "purpose", "purposes", true)
		// A recipient may receive a category only for a purpose that uses
		// it; anything else would be a disclosure without a purpose.
		served, complete := v.purposeCategories(r.Purposes)
		for j, c := range r.Categories {
			if _, ok := v.categoryIx[c]; ok && complete && !served[c] {
				v.add(index(catp, j), CodeInconsistent, "none of this recipient's purposes uses category %q", clip(c))
			}
		}
	}
}

func (v *validator) tracking() {
	receives := make([]map[string]bool, len(v.d.Recipients))
	for i, r := range v.d.Recipients {
		receives[i] = setOf(r.Categories)
	}
	for i, tr := range v.d.Tracking {
		p := index("tracking", i)
		ip := field(p, "id")
		if v.id(ip, tr.ID) {
			v.unique(ip, "tracker", tr.ID, i, v.trackerIx)
		}
		enum(v, field(p, "kind"), tr.Kind, TrackingKinds, "tracking technology")
		v.text(field(p, "name"), tr.Name)
		pp := field(p, "purposes")
		v.refList(pp, tr.Purposes, v.purposeIx, "purpose", "purposes", true)
		if tr.Essential {
			// Essential trackers need no consent, which only essential
			// purposes justify.
			for j, key := range tr.Purposes {
				if key != "essential" && !strings.HasPrefix(key, "essential.") {
					v.add(index(pp, j), CodeInconsistent, "an essential tracker may serve only essential.* purposes, not %q", clip(key))
				}
			}
		}
		catp := field(p, "categories")
		v.refList(catp, tr.Categories, v.categoryIx, "category", "categories", true)
		served, complete := v.purposeCategories(tr.Purposes)
		for j, c := range tr.Categories {
			if _, ok := v.categoryIx[c]; ok && complete && !served[c] {
				v.add(index(catp, j), CodeInconsistent, "none of this tracker's purposes uses category %q", clip(c))
			}
		}
		rp := field(p, "recipients")
		v.refList(rp, tr.Recipients, v.recipientIx, "recipient", "recipients", false)
		checked := map[string]bool{}
		for j, id := range tr.Recipients {
			k, ok := v.recipientIx[id]
			if !ok || checked[id] || v.ps.full() {
				continue
			}
			checked[id] = true
			for _, c := range tr.Categories {
				if !receives[k][c] {
					v.add(index(rp, j), CodeInconsistent, "recipient %q is not declared to receive category %q", clip(id), clip(c))
				}
			}
		}
	}
}

func (v *validator) transfers() {
	t, p := v.d.Transfers, "transfers"
	v.countries(field(p, "storage_countries"), t.StorageCountries, true)
	v.countries(field(p, "transfer_countries"), t.TransferCountries, false)
	sp := field(p, "safeguards")
	if len(t.TransferCountries) > 0 && len(t.Safeguards) == 0 {
		v.add(sp, CodeEmpty, "data goes to other countries, so name at least one safeguard")
	}
	enumList(v, sp, t.Safeguards, Safeguards, "transfer safeguard", false)
}

func setOf(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}
