package policy

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestFideslang(t *testing.T) {
	tax := Fideslang()
	for name, tt := range map[string]struct {
		terms map[string]Term
		n     int
		key   string
	}{
		"Categories": {tax.Categories, 85, "user.contact.email"},
		"Uses":       {tax.Uses, 54, "marketing.advertising.third_party.targeted"},
		"Subjects":   {tax.Subjects, 15, "job_applicant"},
	} {
		t.Run(name, func(t *testing.T) {
			if len(tt.terms) != tt.n {
				t.Errorf("%d terms, want %d", len(tt.terms), tt.n)
			}
			term, ok := tt.terms[tt.key]
			if !ok || term.Name == "" || term.Description == "" {
				t.Errorf("%s = %+v", tt.key, term)
			}
			for k, term := range tt.terms {
				if term.Parent != "" {
					if _, ok := tt.terms[term.Parent]; !ok || !strings.HasPrefix(k, term.Parent+".") {
						t.Errorf("%s has parent %q", k, term.Parent)
					}
				}
			}
		})
	}
	if p := tax.Categories["user.contact.email"].Parent; p != "user.contact" {
		t.Errorf("parent of user.contact.email = %q", p)
	}
}

// TestFideslangAttribution keeps the licence's attribution beside the files.
func TestFideslangAttribution(t *testing.T) {
	readme, err := os.ReadFile("fideslang/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fideslang taxonomy © Ethyca / IAB Tech Lab, CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"} {
		if !strings.Contains(string(readme), want) || !strings.Contains(Attribution, want) {
			t.Errorf("attribution %q missing", want)
		}
	}
	if lic, err := os.ReadFile("fideslang/LICENSE"); err != nil || !bytes.Contains(lic, []byte("Attribution 4.0 International")) {
		t.Errorf("LICENSE: %v", err)
	}
	if !strings.Contains(string(schemaJSON), "fideslang taxonomy © Ethyca / IAB Tech Lab, CC BY 4.0") {
		t.Error("the schema, which shows the taxonomy's keys, lacks the attribution")
	}
}

// TestFideslangCopiesMatchShared keeps the embedded files identical to the
// ones in shared/ when that directory is present.
func TestFideslangCopiesMatchShared(t *testing.T) {
	for _, name := range []string{"data_categories.json", "data_uses.json", "data_subjects.json", "LICENSE"} {
		shared, err := os.ReadFile("../../shared/fideslang/" + name)
		if errors.Is(err, fs.ErrNotExist) {
			t.Skip("shared/fideslang is not present")
		}
		if err != nil {
			t.Fatal(err)
		}
		local, err := os.ReadFile("fideslang/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(shared, local) {
			t.Errorf("fideslang/%s differs from shared/fideslang/%s", name, name)
		}
	}
}

func TestAncestors(t *testing.T) {
	for key, want := range map[string][]string{
		"user.contact.email": {"user", "user.contact"},
		"user":               nil,
		"":                   nil,
		"a..b":               {"a", "a."},
	} {
		if got := ancestors(key); !slices.Equal(got, want) {
			t.Errorf("ancestors(%q) = %q, want %q", key, got, want)
		}
	}
}
