package notice

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/stewardhq/steward/policy"
)

// This file turns the policy's closed vocabularies, durations and country
// codes into plain English. Every enum value has an entry, so a new value
// added to the policy package without wording here shows up as its raw code
// in the golden files rather than vanishing.

var legalBasisWords = map[policy.LegalBasis]string{
	"consent":              "your consent",
	"contract":             "our contract with you",
	"legal_obligation":     "a legal obligation",
	"vital_interests":      "protecting someone's vital interests",
	"public_task":          "a task in the public interest",
	"legitimate_interests": "our legitimate interests",
}

var recipientKindWords = map[policy.RecipientKind]string{
	policy.RecipientProcessor:        "Service providers who process data on our behalf",
	policy.RecipientAdvertiser:       "Advertisers and ad networks",
	policy.RecipientAffiliate:        "Corporate affiliates",
	policy.RecipientAnalyticsPartner: "Analytics partners",
	policy.RecipientAuthority:        "Authorities, only when the law requires it",
	policy.RecipientSuccessor:        "Successors, if the business is transferred",
	policy.RecipientContestSponsor:   "Contest sponsors",
	policy.RecipientMarketingPartner: "Marketing partners",
}

var sourceWords = map[string]string{
	"registration":                       "when you register",
	"order":                              "when you place an order",
	"newsletter":                         "when you subscribe to the newsletter",
	"survey":                             "when you answer a survey",
	"form":                               "when you fill out a form",
	"contact":                            "when you contact us",
	"social_network":                     "from social networks you connect",
	"fraud_detection_provider":           "from our fraud-detection provider",
	"third_party":                        "from third parties",
	"visit":                              "automatically when you visit the website",
	string(policy.SourcePaymentProvider): "from our payment provider",
}

var clockWords = map[policy.Clock]string{
	policy.ClockCollection:      "from collection",
	policy.ClockLastActivity:    "after your last activity",
	policy.ClockAccountDeletion: "after the account is deleted",
	policy.ClockTransactionEnd:  "after the transaction",
}

var actionWords = map[policy.Action]string{
	"delete":        "deleted",
	"depersonalize": "depersonalized so they can no longer identify you",
}

var trackingWords = map[policy.TrackingKind]string{
	"cookies": "cookies", "local_storage": "local storage", "sessions": "sessions", "pixels": "pixels",
}

var rightWords = map[policy.Right]string{
	"access":           "see the personal data we hold about you",
	"know":             "know what we collect, use and disclose, and why",
	"portability":      "receive your data in a portable format",
	"rectification":    "correct inaccurate data",
	"erasure":          "have your data deleted",
	"restriction":      "restrict how we use your data",
	"objection":        "object to processing",
	"opt_out_of_sale":  "opt out of the sale of your data",
	"withdraw_consent": "withdraw your consent at any time",
}

var lawWords = map[policy.Law]string{
	"gdpr":    "the EU General Data Protection Regulation (GDPR)",
	"uk_gdpr": "the UK GDPR",
	"ccpa":    "the California Consumer Privacy Act (CCPA)",
	"caloppa": "the California Online Privacy Protection Act (CalOPPA)",
	"coppa":   "the Children's Online Privacy Protection Act (COPPA)",
	"lgpd":    "Brazil's General Data Protection Law (LGPD)",
	"pipeda":  "Canada's PIPEDA",
}

var safeguardWords = map[policy.Safeguard]string{
	"adequacy_decision":            "an adequacy decision",
	"standard_contractual_clauses": "standard contractual clauses",
	"binding_corporate_rules":      "binding corporate rules",
	"explicit_consent":             "your explicit consent",
}

var measureWords = map[policy.Measure]string{
	"transport_encryption":  "All data travels over encrypted connections.",
	"field_encryption":      "Personal data is encrypted at rest, field by field.",
	"crypto_shredding":      "Deleting a person's data destroys their encryption key, so backups cannot bring it back.",
	"access_control":        "Only authorized people can reach personal data.",
	"audit_log":             "Every access to personal data is recorded.",
	"identity_verification": "We verify your identity before acting on a request.",
	"card_number_redaction": "Card numbers are removed from any text we keep.",
}

var channelWords = map[policy.Channel]string{"email": "Email", "url": "Web", "postal": "Post"}

var notifyWords = map[policy.NotifyChannel]string{"service": "a notice in the Service", "email": "email"}

// word looks a code up, falling back to the code itself.
func word[K ~string](m map[K]string, k K) string {
	if s, ok := m[k]; ok {
		return s
	}
	return string(k)
}

func words[K ~string](m map[K]string, ks []K) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = word(m, k)
	}
	return out
}

// durationWords says "6 years", "1 month and 15 days"; valid policies hold
// only parseable durations, so a bad one is shown as written.
func durationWords(d policy.Duration) string {
	p, err := d.Period()
	if err != nil {
		return string(d)
	}
	var parts []string
	add := func(n int, unit string) {
		if n == 1 {
			parts = append(parts, "1 "+unit)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf("%d %ss", n, unit))
		}
	}
	add(p.Years, "year")
	add(p.Months, "month")
	add(p.Weeks, "week")
	add(p.Days, "day")
	add(p.Hours, "hour")
	add(p.Minutes, "minute")
	add(p.Seconds, "second")
	if len(parts) == 0 {
		return "no time"
	}
	return and(parts)
}

// isZero reports whether d has no length.
func isZero(d policy.Duration) bool {
	p, err := d.Period()
	return err == nil && p.IsZero()
}

// countryName returns the English name of an ISO 3166-1 code.
func countryName(code string) string {
	if code == policy.AnyCountry {
		return "anywhere in the world"
	}
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if n := display.English.Regions().Name(r); n != "" {
		return n
	}
	return code
}

func countries(codes []string) string {
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = countryName(c)
	}
	return and(names)
}

// and joins items as English prose: "a", "a and b", "a, b and c".
func and(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// lower lowercases the first letter of a name used inside a sentence,
// unless the name looks like an acronym or brand ("IP", "mst.software").
func lower(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || len(s) > n && unicode.IsUpper(rune(s[n])) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// upper capitalizes the first letter of a sentence.
func upper(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// date formats a day the way people read it; notices state dates in UTC so
// every reader sees the same day.
func date(t time.Time) string {
	return t.UTC().Format("2 January 2006")
}

// sentence ends s with a full stop unless it already has one.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}
