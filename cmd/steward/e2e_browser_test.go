//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBrowserNotice loads a tenant's privacy notice from a real server in
// real headless Chromium (Debian's chromium package; scripts/install-deps
// installs it) and checks the DOM the browser built and a screenshot of it.
func TestBrowserNotice(t *testing.T) {
	chromium := mustChromium(t)
	ts := MustServe(t, "")
	ten, _ := MustTenant(t, ts.Data, "Acme Shop")
	url := ts.URL + "/privacy/" + ten

	dom := runChromium(t, chromium, "--dump-dom", url)
	page := parseDOM(t, dom)

	t.Logf("title %q, lang %q, %d h1, %d nav links, %d ids", page.title, page.lang, page.h1, len(page.navLinks), len(page.ids))
	if page.lang == "" {
		t.Errorf("<html> has no lang attribute")
	}
	if strings.TrimSpace(page.title) == "" {
		t.Errorf("document has no <title>")
	} else if !strings.Contains(strings.ToLower(page.title), "privacy policy") {
		t.Errorf("title %q does not mention the privacy policy", page.title)
	}
	if page.h1 != 1 {
		t.Errorf("page has %d <h1> elements, want exactly 1", page.h1)
	}
	if len(page.navLinks) == 0 {
		t.Errorf("the <nav> has no links to sections")
	}
	for _, href := range page.navLinks {
		id, ok := strings.CutPrefix(href, "#")
		if !ok || id == "" {
			t.Errorf("nav link %q is not a link to a section id", href)
			continue
		}
		if page.ids[id] == 0 {
			t.Errorf("nav link %q points at no element", href)
		}
	}
	for id, n := range page.ids {
		if n > 1 {
			t.Errorf("id %q is used by %d elements", id, n)
		}
	}
	if page.ids["content"] == 0 || !page.main {
		t.Errorf("no <main id=\"content\"> for the skip link")
	}

	shot := filepath.Join(t.TempDir(), "notice.png")
	runChromium(t, chromium, "--screenshot="+shot, "--window-size=1200,2000", url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() <= 10<<10 {
		t.Fatalf("screenshot is %d bytes, too small to show the page", st.Size())
	}
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 2000 {
		t.Errorf("screenshot is %dx%d, want 1200x2000", b.Dx(), b.Dy())
	}
}

// mustChromium finds Debian's chromium; without it the test skips locally
// and fails under CI, which installs it (scripts/install-deps).
func mustChromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not found under CI (scripts/install-deps installs it): %v", err)
		}
		t.Skip("chromium not found; skipping the browser tests (install it with: sudo ./scripts/install-deps)")
	}
	return path
}

// runChromium runs one headless Chromium with a fresh profile, bounded by a
// 30 s timeout after which its whole process group is killed, and returns
// its standard output.
func runChromium(t *testing.T, chromium string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--no-first-run",
		"--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(),
	}, args...)
	cmd := exec.CommandContext(ctx, chromium, full...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		// Chromium's helpers (zygote, renderers) share its process group;
		// none may outlive the run.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		t.Fatalf("chromium %s: timed out after 30s; stderr:\n%s", strings.Join(args, " "), tail(stderr.String(), 4000))
	}
	if err != nil {
		t.Fatalf("chromium %s: %v; stderr:\n%s", strings.Join(args, " "), err, tail(stderr.String(), 4000))
	}
	return stdout.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// domFacts is what the test checks in a dumped DOM.
type domFacts struct {
	lang     string
	title    string
	h1       int
	main     bool
	ids      map[string]int
	navLinks []string
}

// parseDOM reads Chromium's serialised DOM with encoding/xml's non-strict
// HTML mode.
func parseDOM(t *testing.T, dom string) domFacts {
	t.Helper()
	if !strings.Contains(dom, "</html>") {
		t.Fatalf("chromium dumped no document:\n%s", tail(dom, 2000))
	}
	d := xml.NewDecoder(strings.NewReader(dom))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	f := domFacts{ids: map[string]int{}}
	inTitle, nav := false, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parse dumped DOM: %v\n%s", err, tail(dom, 2000))
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(tok.Name.Local)
			for _, a := range tok.Attr {
				switch strings.ToLower(a.Name.Local) {
				case "id":
					f.ids[a.Value]++
				case "lang":
					if name == "html" {
						f.lang = a.Value
					}
				case "href":
					if name == "a" && nav > 0 {
						f.navLinks = append(f.navLinks, a.Value)
					}
				}
			}
			switch name {
			case "title":
				inTitle = true
			case "h1":
				f.h1++
			case "main":
				f.main = true
			case "nav":
				nav++
			}
		case xml.EndElement:
			switch strings.ToLower(tok.Name.Local) {
			case "title":
				inTitle = false
			case "nav":
				nav--
			}
		case xml.CharData:
			if inTitle {
				f.title += string(tok)
			}
		}
	}
	return f
}
