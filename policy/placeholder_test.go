package policy

import (
	"slices"
	"strings"
	"testing"
)

func TestFindPlaceholders(t *testing.T) {
	found := map[string]string{
		"our $platform works":             "$platform",
		`our \$platform works`:            "$platform",
		"$elnombre uses Sessions":         "$elnombre",
		"Hello ${name}!":                  "${name}",
		"Dear {{ name }},":                "{{ name }}",
		"{% if eu %}GDPR{% endif %}":      "{% if eu %}",
		"Contact {company} today":         "{company}",
		"[COMPANY] is responsible":        "[COMPANY]",
		"[COMPANY NAME] Ltd":              "[COMPANY NAME]",
		"[Your Company Name] is":          "[Your Company Name]",
		"[insert date]":                   "[insert date]",
		"<COMPANY NAME> is":               "<COMPANY NAME>",
		"<Your Website>":                  "<Your Website>",
		"Mail %s for help":                "%s",
		"%d days":                         "%d",
		"see %1$s":                        "%1$s",
		"__COMPANY__ policy":              "__COMPANY__",
		"TODO: write this":                "TODO",
		"todo":                            "todo",
		"Effective date TBD":              "TBD",
		"FIXME":                           "FIXME",
		"Call XXX-XXXX":                   "XXX",
		"Lorem ipsum dolor sit amet":      "Lorem ipsum",
		"Please insert your company here": "insert your company",
		"Write to privacy@example.com":    "example.com",
	}
	for in, want := range found {
		if got := FindPlaceholders(in); !slices.Contains(got, want) {
			t.Errorf("FindPlaceholders(%q) = %q, want it to contain %q", in, got, want)
		}
	}
	clean := []string{
		"We charge $5 a month, or US$50 a year.",
		"We keep 100% of your data encrypted; 50% discount.",
		"Visit <https://mst.software> or [our blog](https://mst.software/blog).",
		"Rights under GDPR Art. 12(3) and (1) update, (2) change.",
		"(your information helps us to better respond to your individual needs)",
		"Escaped URLs like https://x.test/a%20b and https://x.test/%2f.",
		"Name / Username, Email Addresses, Billing Addresses",
		"Don't hesitate to contact us: support@mst.software",
		"Today we do what we said; the total is 42.",
		"for example, a name or an email address",
	}
	for _, in := range clean {
		if got := FindPlaceholders(in); len(got) > 0 {
			t.Errorf("FindPlaceholders(%q) = %q, want none", in, got)
		}
	}
}

// TestSeedPlaceholders checks that the detector finds exactly the two
// placeholders the seed policy shipped with, and nothing else in its text.
func TestSeedPlaceholders(t *testing.T) {
	got := FindPlaceholders(string(readSeed(t)))
	want := []string{"$platform", "$elnombre"}
	if !slices.Equal(got, want) {
		t.Fatalf("placeholders in the seed = %q, want %q", got, want)
	}
}

// TestNoPlaceholderAnywhere checks that the walk reaches strings in every
// part of the document, nested lists included.
func TestNoPlaceholderAnywhere(t *testing.T) {
	d := Default()
	d.Purposes[2].Categories[0] = "{{cat}}"
	d.Tracking[1].Purposes[0] = "$purpose"
	d.Assumptions[3].Note = "[TBD]"
	ps := Validate(d)
	for _, path := range []string{"purposes[2].categories[0]", "tracking[1].purposes[0]", "assumptions[3].note"} {
		if !hasProblem(ps, path, CodePlaceholder) {
			t.Errorf("no placeholder problem at %s:%s", path, dump(ps))
		}
	}
	if !strings.Contains(dump(ps), `"{{cat}}"`) {
		t.Error("the message does not quote the placeholder")
	}
}
