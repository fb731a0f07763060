package notice

import (
	"fmt"
	"strings"

	"github.com/stewardhq/steward/policy"
)

// writer puts the policy elements a section covers into words. Each case
// here is the one place a kind of element is phrased, whichever section
// covers it.
type writer struct{ p *policy.Document }

func (w writer) blocks(g refGroup) ([]block, error) {
	d := w.p
	switch g.base {
	case "operator":
		return []block{w.operator()}, nil
	case "operator.country":
		return para(fmt.Sprintf("%s is incorporated in %s.", d.Operator.LegalName, countryName(d.Operator.Country))), nil
	case "operator.governing_law":
		return para(fmt.Sprintf("This policy is governed by the laws of %s.", countryName(d.Operator.GoverningLaw))), nil
	case "operator.website":
		return para(fmt.Sprintf("This policy covers %s and the %s Service.", d.Operator.Website, d.Operator.ServiceName)), nil
	case "operator.contact", "operator.address":
		return []block{w.contact()}, nil
	case "laws":
		return w.laws(g.keys), nil
	case "subjects":
		return pick(d.Subjects, g.keys, func(s policy.Subject) string { return s.Key }, "Whose information this covers:", w.subject)
	case "categories":
		return pick(d.Categories, g.keys, func(c policy.Category) string { return c.Key }, "The information we collect:", w.category)
	case "purposes":
		return pick(d.Purposes, g.keys, func(p policy.Purpose) string { return p.Key }, "Why we use it, and the legal basis for each use:", w.purpose)
	case "recipients":
		return w.recipients(g.keys)
	case "retention":
		return pick(d.Retention, g.keys, func(r policy.RetentionRule) string { return r.ID }, "How long we keep it:", w.retention)
	case "tracking":
		return pick(d.Tracking, g.keys, func(t policy.Tracker) string { return t.ID }, "The tracking technologies we use:", w.tracker)
	case "requests.rights":
		return []block{{Text: "You can ask us to:", Items: textItems(words(rightWords, d.Requests.Rights))}}, nil
	case "requests.deadline":
		return para(fmt.Sprintf("We answer every request within %s.", durationWords(d.Requests.Deadline))), nil
	case "requests.extension":
		if isZero(d.Requests.Extension) {
			return para("We do not extend that deadline."), nil
		}
		return para(fmt.Sprintf("When a request is complex we may take up to %s more, and we tell you why before the first deadline passes.", durationWords(d.Requests.Extension))), nil
	case "requests.verify_identity":
		if d.Requests.VerifyIdentity {
			return para("We verify your identity before acting on a request, so nobody else can get or change your data."), nil
		}
		return nil, nil
	case "minimum_age":
		return para(fmt.Sprintf("The Service is not meant for children under %d.", d.MinimumAge)), nil
	case "changes":
		return append(w.noticePeriod(), w.notifyVia()...), nil
	case "changes.notice_period":
		return w.noticePeriod(), nil
	case "changes.notify_via":
		return w.notifyVia(), nil
	case "transfers", "transfers.storage_countries", "transfers.transfer_countries", "transfers.safeguards":
		return w.transfers(), nil
	case "security":
		return []block{{Text: "How we protect your information:", Items: textItems(words(measureWords, d.Security))}}, nil
	case "sells_personal_data":
		if d.SellsPersonalData {
			return para("We sell personal information; you can opt out of the sale at any time."), nil
		}
		return para("We do not sell personal information."), nil
	}
	return nil, fmt.Errorf("no wording for %q", g.base)
}

func para(s string) []block { return []block{{Text: s}} }

func textItems(ss []string) []item {
	out := make([]item, len(ss))
	for i, s := range ss {
		out[i] = item{Text: upper(s)}
	}
	return out
}

// pick renders the listed elements (all of them when keys is nil) as one
// list, in the order the section names them.
func pick[T any](all []T, keys []string, key func(T) string, lead string, render func(T) item) ([]block, error) {
	if keys == nil {
		b := block{Text: lead}
		for _, e := range all {
			b.Items = append(b.Items, render(e))
		}
		return []block{b}, nil
	}
	b := block{}
	for _, k := range keys {
		e, ok := find(all, k, key)
		if !ok {
			return nil, fmt.Errorf("%q is not declared", k)
		}
		b.Items = append(b.Items, render(e))
	}
	return []block{b}, nil
}

func find[T any](all []T, k string, key func(T) string) (T, bool) {
	for _, e := range all {
		if key(e) == k {
			return e, true
		}
	}
	var zero T
	return zero, false
}

func (w writer) operator() block {
	o := w.p.Operator
	return block{Text: fmt.Sprintf("%s (%s, %s) is responsible for your information under this policy.", o.LegalName, o.ServiceName, o.Website)}
}

func (w writer) contact() block {
	o := w.p.Operator
	a := o.Address
	var addr []string
	for _, s := range []string{a.Line1, a.Line2, a.PostalCode, a.City, a.Region} {
		if s != "" {
			addr = append(addr, s)
		}
	}
	if a.Country != "" {
		addr = append(addr, countryName(a.Country))
	}
	b := block{Text: fmt.Sprintf("You can reach %s through any of these channels:", o.LegalName)}
	for _, c := range o.Contact {
		b.Items = append(b.Items, item{Title: word(channelWords, c.Channel), Text: c.Value})
	}
	b.Items = append(b.Items, item{Title: "Address", Text: strings.Join(addr, ", ")})
	return b
}

func (w writer) laws(keys []string) []block {
	laws := w.p.Laws
	if keys != nil {
		laws = nil
		for _, k := range keys {
			laws = append(laws, policy.Law(k))
		}
	}
	return para(upper(fmt.Sprintf("this policy is written to meet %s.", and(words(lawWords, laws)))))
}

func (w writer) subject(s policy.Subject) item {
	return item{Title: s.Name, Text: s.Description}
}

func (w writer) category(c policy.Category) item {
	var src []string
	for _, s := range c.Sources {
		src = append(src, word(sourceWords, string(s)))
	}
	text := sentence(c.Description)
	if len(src) > 0 {
		text = strings.TrimSpace(text + " Collected " + and(src) + ".")
	}
	return item{Title: c.Name, Text: text}
}

func (w writer) purpose(p policy.Purpose) item {
	text := strings.TrimSpace(sentence(p.Description) + " Legal basis: " + word(legalBasisWords, p.LegalBasis) + ".")
	return item{Title: p.Name, Text: text}
}

// recipients groups recipients by kind, so people see at a glance who gets
// their data: service providers, advertisers, authorities.
func (w writer) recipients(keys []string) ([]block, error) {
	rs := w.p.Recipients
	if keys != nil {
		rs = nil
		for _, k := range keys {
			r, ok := find(w.p.Recipients, k, func(r policy.Recipient) string { return r.ID })
			if !ok {
				return nil, fmt.Errorf("recipient %q is not declared", k)
			}
			rs = append(rs, r)
		}
	}
	var bs []block
	at := map[policy.RecipientKind]int{}
	for _, r := range rs {
		i, ok := at[r.Kind]
		if !ok {
			i = len(bs)
			at[r.Kind] = i
			bs = append(bs, block{Text: word(recipientKindWords, r.Kind) + ":"})
		}
		var cats []string
		for _, k := range r.Categories {
			if c, ok := find(w.p.Categories, k, func(c policy.Category) string { return c.Key }); ok {
				cats = append(cats, lower(c.Name))
			}
		}
		text := sentence(r.Description)
		if len(cats) > 0 {
			text += " They receive " + and(cats) + "."
		}
		text += " Where: " + countries(r.Countries) + "."
		bs[i].Items = append(bs[i].Items, item{Title: r.Name, Text: strings.TrimSpace(text)})
	}
	return bs, nil
}

// retention says each rule in words: "kept for up to 6 years from
// collection, then deleted", or "never kept after the transaction".
func (w writer) retention(r policy.RetentionRule) item {
	var names []string
	for _, k := range r.Categories {
		if c, ok := find(w.p.Categories, k, func(c policy.Category) string { return c.Key }); ok {
			names = append(names, lower(c.Name))
		}
	}
	what := upper(and(names))
	if isZero(r.Duration) {
		return item{Text: fmt.Sprintf("%s are never kept %s.", what, word(clockWords, r.Clock))}
	}
	return item{Text: fmt.Sprintf("%s are kept for up to %s %s, then %s.", what, durationWords(r.Duration), word(clockWords, r.Clock), word(actionWords, r.Action))}
}

func (w writer) tracker(t policy.Tracker) item {
	var uses []string
	for _, k := range t.Purposes {
		if p, ok := find(w.p.Purposes, k, func(p policy.Purpose) string { return p.Key }); ok {
			uses = append(uses, lower(p.Name))
		}
	}
	need := "Used only with your consent."
	if t.Essential {
		need = "Essential, so used without asking."
	}
	text := fmt.Sprintf("%s Type: %s. %s", sentence(t.Description), word(trackingWords, t.Kind), need)
	if len(uses) > 0 {
		text += " Purposes: " + and(uses) + "."
	}
	return item{Title: t.Name, Text: text}
}

func (w writer) noticePeriod() []block {
	return para(fmt.Sprintf("We announce every change at least %s before it takes effect.", durationWords(w.p.Changes.NoticePeriod)))
}

func (w writer) notifyVia() []block {
	return para(upper(fmt.Sprintf("we tell you through %s.", and(words(notifyWords, w.p.Changes.NotifyVia)))))
}

func (w writer) transfers() []block {
	t := w.p.Transfers
	s := fmt.Sprintf("Your information is stored %s and may be transferred %s", in(t.StorageCountries), in(t.TransferCountries))
	if len(t.Safeguards) > 0 {
		s += ", protected by " + and(words(safeguardWords, t.Safeguards))
	}
	return para(s + ".")
}

// in says "anywhere in the world" or "in Germany and France".
func in(codes []string) string {
	if len(codes) == 1 && codes[0] == policy.AnyCountry {
		return countryName(codes[0])
	}
	return "in " + countries(codes)
}
