package notice_test

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/notice"
	"github.com/stewardhq/steward/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedOptions are the options the golden files are rendered with; fixed
// dates keep the files stable.
func fixedOptions() notice.Options {
	return notice.Options{
		TenantName:  "Acme Shop",
		Version:     3,
		EffectiveAt: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		Upcoming:    &notice.Upcoming{Version: 4, EffectiveAt: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)},
	}
}

type renderFunc func(io.Writer, *policy.Document, notice.Options) error

var formats = []struct {
	name   string
	render renderFunc
}{
	{"html", notice.RenderHTML},
	{"md", notice.RenderMarkdown},
}

// MustRender renders the default policy in one format.
func MustRender(tb testing.TB, render renderFunc, opts notice.Options) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := render(&buf, policy.Default(), opts); err != nil {
		tb.Fatalf("render: %v", err)
	}
	return buf.String()
}

func TestGolden(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			got := MustRender(t, f.render, fixedOptions())
			path := filepath.Join("testdata", "default."+f.name)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./notice -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s; run go test ./notice -update and review the diff", path)
			}
		})
	}
}

// TestEverySectionIsAHeading checks the seed's headings, as the notice
// outline holds them, each appear as a linkable heading in both formats.
func TestEverySectionIsAHeading(t *testing.T) {
	p := policy.Default()
	html := MustRender(t, notice.RenderHTML, fixedOptions())
	md := MustRender(t, notice.RenderMarkdown, fixedOptions())
	seen := map[string]bool{}
	for _, s := range p.Notice {
		if seen[s.ID] {
			t.Errorf("section id %q is not unique", s.ID)
		}
		seen[s.ID] = true
		h := "h2"
		if s.Parent != "" {
			h = "h3"
		}
		if !strings.Contains(html, `<section id="`+s.ID+`"`) {
			t.Errorf("html: no <section id=%q>", s.ID)
		}
		if !regexp.MustCompile(`<` + h + ` id="` + regexp.QuoteMeta(s.ID) + `-heading">` + regexp.QuoteMeta(htmlEscape(s.Heading)) + ` <a class="self-link" href="#` + regexp.QuoteMeta(s.ID) + `"`).MatchString(html) {
			t.Errorf("html: no <%s> with self-link for %q", h, s.Heading)
		}
		if n := strings.Count(html, `<a href="#`+s.ID+`">`); n != 1 {
			t.Errorf("html: nav links %q %d times, want 1", s.ID, n)
		}
		if !strings.Contains(md, " {#"+s.ID+"}\n") {
			t.Errorf("md: no heading anchor {#%s}", s.ID)
		}
		if !strings.Contains(md, "(#"+s.ID+")") {
			t.Errorf("md: contents do not link #%s", s.ID)
		}
	}
	ids := regexp.MustCompile(`\bid="([^"]+)"`).FindAllStringSubmatch(html, -1)
	all := map[string]bool{}
	for _, m := range ids {
		if all[m[1]] {
			t.Errorf("html: id %q is used twice", m[1])
		}
		all[m[1]] = true
	}
}

func htmlEscape(s string) string {
	var b strings.Builder
	// xml.EscapeText writes apostrophes and quotes as the same numeric
	// entities html/template uses (&#39;, &#34;).
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func TestUpcoming(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			opts := fixedOptions()
			with := MustRender(t, f.render, opts)
			if !strings.Contains(with, "Version 4 takes effect on 1 July 2024") {
				t.Error("announcement missing when Upcoming is set")
			}
			if !strings.Contains(with, `id="upcoming"`) && !strings.Contains(with, "{#upcoming}") {
				t.Error("announcement has no upcoming anchor")
			}
			opts.Upcoming = nil
			without := MustRender(t, f.render, opts)
			if strings.Contains(without, "takes effect on") || strings.Contains(without, "upcoming") {
				t.Error("announcement present without Upcoming")
			}
		})
	}
}

var mdLink = regexp.MustCompile(`\[([^\]]*)\]\(#[a-z0-9-]+\)`)

func TestNoPlaceholders(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			out := MustRender(t, f.render, fixedOptions())
			// Markdown link syntax "[Your Consent](#consent)" looks like a
			// "[Your …]" placeholder to the detector; check the link text.
			out = mdLink.ReplaceAllString(out, "$1")
			if found := policy.FindPlaceholders(out); len(found) > 0 {
				t.Errorf("placeholders in output: %q", found)
			}
			for _, s := range []string{"$", "{{", "[COMPANY]", "<no value>", "%!"} {
				if strings.Contains(out, s) {
					t.Errorf("output contains %q", s)
				}
			}
		})
	}
}

// TestHTMLWellFormed tokenizes the document with encoding/xml in HTML mode
// (no x/net/html dependency) and checks every tag closes in order.
func TestHTMLWellFormed(t *testing.T) {
	out := MustRender(t, notice.RenderHTML, fixedOptions())
	dec := xml.NewDecoder(strings.NewReader(out))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var stack []string
	count := map[string]int{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("html does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tok.Name.Local)
			count[tok.Name.Local]++
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != tok.Name.Local {
				t.Fatalf("</%s> closes %v", tok.Name.Local, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed elements: %v", stack)
	}
	for _, el := range []string{"html", "head", "title", "body", "h1", "main", "nav"} {
		if count[el] != 1 {
			t.Errorf("<%s> appears %d times, want 1", el, count[el])
		}
	}
	for _, s := range []string{"<!doctype html>", `<html lang="en">`, `<nav aria-label="Table of contents">`, policy.Attribution[:20]} {
		if !strings.Contains(out, s) {
			t.Errorf("html lacks %q", s)
		}
	}
}

// TestPlainLanguage spot-checks the retention and promise wording the
// seed policy makes, so a refactor cannot quietly drop a promise.
func TestPlainLanguage(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			out := MustRender(t, f.render, fixedOptions())
			for _, s := range []string{
				"kept for up to 6 years from collection, then deleted",
				"card data, other financial details and social security numbers are never kept after the transaction",
				"not meant for children under 13",
				"within 1 month",
				"up to 2 months more",
				"at least 30 days before it takes effect",
				"incorporated in Russia",
				"support@mst.software",
				"Legal basis: your consent",
			} {
				if !strings.Contains(strings.ToLower(out), strings.ToLower(s)) {
					t.Errorf("output lacks %q", s)
				}
			}
		})
	}
}
