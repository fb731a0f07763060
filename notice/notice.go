// Package notice renders the human privacy notice from a policy document, as
// accessible HTML and as Markdown. Every sentence it prints about data comes
// from the elements each notice section covers, so the text people read
// cannot promise more or less than the policy Steward enforces.
package notice

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	texttemplate "text/template"
	"time"

	"github.com/stewardhq/steward/policy"
)

// Options say whose notice this is and which version it shows.
type Options struct {
	TenantName  string    // Shown as who the notice is for; empty means the operator's service.
	Version     int       // The policy version shown; 0 omits it.
	EffectiveAt time.Time // When the shown version took effect; zero omits it.
	Upcoming    *Upcoming // A published version not yet in force, announced at the top.
}

// Upcoming is a version that takes effect later, announced so people can
// read it before it applies (the policy's notice period).
type Upcoming struct {
	Version     int
	EffectiveAt time.Time
}

// UpcomingID is the anchor of the announcement of an upcoming version, so
// an email about the change can link straight to it.
const UpcomingID = "upcoming"

//go:embed templates/*.tmpl
var templateFS embed.FS

// Both templates are parsed once at start-up; a broken template is a
// programming error that must stop the binary, not fail one request.
var (
	htmlTmpl = htmltemplate.Must(htmltemplate.New("notice.html.tmpl").ParseFS(templateFS, "templates/notice.html.tmpl"))
	mdTmpl   = texttemplate.Must(texttemplate.New("notice.md.tmpl").Funcs(texttemplate.FuncMap{"md": escapeMarkdown}).ParseFS(templateFS, "templates/notice.md.tmpl"))
)

// RenderHTML writes the notice for p as a complete, accessible HTML
// document. p must be valid (policy.Parse or Validate); a section covering
// an element the renderer cannot put in words is an error rather than a
// silent gap in the notice.
func RenderHTML(w io.Writer, p *policy.Document, opts Options) error {
	v, err := build(p, opts)
	if err != nil {
		return err
	}
	if err := htmlTmpl.Execute(w, v); err != nil {
		return fmt.Errorf("render notice html: %w", err)
	}
	return nil
}

// RenderMarkdown writes the same notice as Markdown, with an explicit
// {#id} anchor on every heading so links work as they do in the HTML.
func RenderMarkdown(w io.Writer, p *policy.Document, opts Options) error {
	v, err := build(p, opts)
	if err != nil {
		return err
	}
	if err := mdTmpl.Execute(w, v); err != nil {
		return fmt.Errorf("render notice markdown: %w", err)
	}
	return nil
}
