package policy

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"unicode"
)

// The seed policy lives in shared/ beside the repository (../../shared from
// this package, in a workspace and in CI's clone alike). A copy under
// testdata keeps the tests working where shared/ is absent, and a test
// keeps the copy identical to the original when both are present.
const (
	sharedSeed = "../../shared/seed-privacy-policy.txt"
	seedCopy   = "testdata/seed-privacy-policy.txt"
)

func readSeed(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(sharedSeed)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = os.ReadFile(seedCopy)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSeedCopyMatchesShared(t *testing.T) {
	shared, err := os.ReadFile(sharedSeed)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not present; using the copy in testdata", sharedSeed)
	}
	if err != nil {
		t.Fatal(err)
	}
	local, err := os.ReadFile(seedCopy)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, local) {
		t.Fatalf("%s differs from %s; copy the shared file over it", seedCopy, sharedSeed)
	}
}

// heading is one heading of the seed, with the heading it sits under when
// it is a sub-heading (the bulleted "- Cookies" under Tracking Technologies).
type heading struct {
	Text, Parent string
}

// seedHeadings extracts the headings of the seed text. The seed is plain
// text: a heading is a line of its own (a blank line follows it), short,
// starting with a capital, and not ending like a sentence. A bullet on a
// line of its own, between blank lines, is a sub-heading of the heading
// above it; bullets in a list are content. "Updated at <date>" is the
// version stamp, which the store's version and effective_at carry.
func seedHeadings(text string) []heading {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	blank := func(i int) bool { return i < 0 || i >= len(lines) || strings.TrimSpace(lines[i]) == "" }
	var hs []heading
	parent := ""
	for i, l := range lines {
		s := strings.TrimSpace(l)
		if s == "" || !blank(i+1) {
			continue
		}
		if sub, ok := strings.CutPrefix(s, "- "); ok {
			if blank(i-1) && len(sub) <= 40 && !strings.HasPrefix(sub, "**") && parent != "" {
				hs = append(hs, heading{sub, parent})
			}
			continue
		}
		first := []rune(s)[0]
		if len(s) > 90 || strings.ContainsAny(s[len(s)-1:], ".:,;") || !unicode.IsUpper(first) || strings.HasPrefix(s, "Updated at ") {
			continue
		}
		hs = append(hs, heading{s, ""})
		parent = s
	}
	return hs
}

func normalizeHeading(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// TestDefaultCoversSeedHeadings walks the seed's headings and checks that
// each is a section of the default policy's notice, and that the section
// points at policy elements that exist. A heading the default forgot, or a
// section whose references dangle, fails the test.
func TestDefaultCoversSeedHeadings(t *testing.T) {
	hs := seedHeadings(string(readSeed(t)))
	if len(hs) < 35 {
		t.Fatalf("found only %d headings in the seed; the extractor is broken: %v", len(hs), hs)
	}
	d := Default()
	refs := newRefIndex(d)
	byID := map[string]Section{}
	for _, s := range d.Notice {
		byID[s.ID] = s
	}
	matched := map[string]bool{}
	for _, h := range hs {
		name := h.Text
		if h.Parent != "" {
			name = h.Parent + " > " + h.Text
		}
		t.Run(name, func(t *testing.T) {
			var sec *Section
			for i, s := range d.Notice {
				parent := ""
				if s.Parent != "" {
					parent = byID[s.Parent].Heading
				}
				if normalizeHeading(s.Heading) == normalizeHeading(h.Text) && normalizeHeading(parent) == normalizeHeading(h.Parent) {
					sec = &d.Notice[i]
					break
				}
			}
			if sec == nil {
				t.Fatalf("the default policy's notice has no section for this seed heading")
			}
			matched[sec.ID] = true
			if len(sec.Covers) == 0 {
				t.Fatalf("section %q maps to no policy element", sec.ID)
			}
			for _, ref := range sec.Covers {
				if err := refs.resolve(ref); err != nil {
					t.Errorf("section %q: %v", sec.ID, err)
				}
			}
		})
	}
	// The notice renders the seed, not something else: every section of
	// the default comes from a seed heading.
	for _, s := range d.Notice {
		if !matched[s.ID] {
			t.Errorf("notice section %q (%q) is not a heading of the seed", s.ID, s.Heading)
		}
	}
}

func TestSeedHeadingsExtractor(t *testing.T) {
	text := "Title\n\nUpdated at 2021-03-18\n\nA sentence that ends.\n\nWhat Do We Do?\n\n- item one\n- item two\n\nTracking\n\n- Cookies\n\nBody text here.\n"
	got := seedHeadings(text)
	want := []heading{{"Title", ""}, {"What Do We Do?", ""}, {"Tracking", ""}, {"Cookies", "Tracking"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("heading %d = %v, want %v", i, got[i], want[i])
		}
	}
}
