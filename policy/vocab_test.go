package policy

import (
	"regexp"
	"slices"
	"testing"

	"github.com/stewardhq/steward"
)

// TestVocabularies keeps every closed vocabulary free of repeats (Sources
// extends steward.Sources, which may one day grow the same names) and in
// the snake_case the document uses.
func TestVocabularies(t *testing.T) {
	word := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for _, vocab := range vocabularies {
		seen := map[string]bool{}
		for _, v := range vocab {
			if seen[v] || !word.MatchString(v) {
				t.Errorf("vocabulary %v: bad or repeated value %q", vocab, v)
			}
			seen[v] = true
		}
	}
	for _, s := range steward.Sources {
		if !slices.Contains(Sources, s) {
			t.Errorf("policy.Sources lacks Steward's source %q", s)
		}
	}
}

func TestValidField(t *testing.T) {
	for f, want := range map[string]bool{
		"name": true, "username": true, "email": true, "billing_address": true, "messages": true,
		"attributes.plan": true, "attributes.a1_b": true,
		"attributes.": false, "attributes.Plan": false, "attributes.1a": false, "phone": false, "": false,
	} {
		if got := validField(f); got != want {
			t.Errorf("validField(%q) = %v", f, got)
		}
	}
}

func TestValidCountry(t *testing.T) {
	if n := len(countryCodes); n != 249 {
		t.Errorf("%d country codes, want the 249 assigned ones", n)
	}
	for c, want := range map[string]bool{"RU": true, "US": true, "DE": true, "GB": true, "UK": false, "EU": false, "ru": false, "XX": false, "*": false, "": false} {
		if got := ValidCountry(c); got != want {
			t.Errorf("ValidCountry(%q) = %v", c, got)
		}
	}
}
