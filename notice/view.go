package notice

import (
	"fmt"
	"strings"

	"github.com/stewardhq/steward/policy"
)

// view is what both templates render, so the HTML and the Markdown cannot
// say different things.
type view struct {
	Title       string
	For         string // Who the notice is for: the tenant or the service.
	Operator    string
	Version     int
	Effective   string
	Upcoming    *upcomingView
	UpcomingID  string
	Sections    []*section // Top-level sections; children hang below.
	Attribution string
}

type upcomingView struct {
	Version int
	Date    string
}

// section is one notice section with its text already in words.
type section struct {
	ID       string
	Heading  string
	Level    int // 2 for top-level sections, 3 for their children.
	Summary  string
	Blocks   []block
	Children []*section
}

// block is a lead sentence, optionally followed by a list.
type block struct {
	Text  string
	Items []item
}

type item struct {
	Title string
	Text  string
}

func build(p *policy.Document, opts Options) (*view, error) {
	op := p.Operator
	v := &view{
		Title:       op.ServiceName + " Privacy Policy",
		For:         opts.TenantName,
		Operator:    op.LegalName,
		Version:     opts.Version,
		UpcomingID:  UpcomingID,
		Attribution: policy.Attribution,
	}
	if v.For == "" {
		v.For = op.ServiceName
	}
	if !opts.EffectiveAt.IsZero() {
		v.Effective = date(opts.EffectiveAt)
	}
	if u := opts.Upcoming; u != nil {
		v.Upcoming = &upcomingView{Version: u.Version, Date: date(u.EffectiveAt)}
	}
	w := writer{p: p}
	byID := map[string]*section{}
	for _, s := range p.Notice {
		sec := &section{ID: s.ID, Heading: s.Heading, Level: 2, Summary: s.Summary}
		for _, g := range groupRefs(s.Covers) {
			bs, err := w.blocks(g)
			if err != nil {
				return nil, fmt.Errorf("notice section %q: %w", s.ID, err)
			}
			sec.Blocks = append(sec.Blocks, bs...)
		}
		byID[s.ID] = sec
		// Validation guarantees parents come first; the outline is two
		// levels deep because headings deeper than h3 help nobody skim.
		if parent, ok := byID[s.Parent]; ok && s.Parent != "" {
			sec.Level = parent.Level + 1
			if sec.Level > 3 {
				sec.Level = 3
			}
			parent.Children = append(parent.Children, sec)
			continue
		}
		v.Sections = append(v.Sections, sec)
	}
	return v, nil
}

// refGroup is a run of references into one list ("categories/a",
// "categories/b"), or a single reference to a whole member.
type refGroup struct {
	base string   // "categories", "requests.deadline", …
	keys []string // Element keys; nil for a whole member.
}

// groupRefs merges adjacent element references into one list, so five
// categories read as one list and not five one-item lists.
func groupRefs(refs []string) []refGroup {
	var gs []refGroup
	for _, r := range refs {
		base, key, byKey := strings.Cut(r, "/")
		if byKey && len(gs) > 0 && gs[len(gs)-1].base == base && gs[len(gs)-1].keys != nil {
			gs[len(gs)-1].keys = append(gs[len(gs)-1].keys, key)
			continue
		}
		g := refGroup{base: base}
		if byKey {
			g.keys = []string{key}
		}
		gs = append(gs, g)
	}
	return gs
}
