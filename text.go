package steward

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizeText is the one definition of how free text is cleaned before it
// is stored: valid UTF-8, Unicode NFC, trimmed, no control characters (line
// breaks and tabs only where multiline is true) and no bidirectional
// override characters, which can disguise what a value says.
func normalizeText(field, v string, max int, multiline bool) (string, error) {
	if !utf8.ValidString(v) {
		return "", Errorf(EInvalid, field, "%s is not valid UTF-8", field)
	}
	v = strings.TrimSpace(norm.NFC.String(v))
	if utf8.RuneCountInString(v) > max {
		return "", Errorf(EInvalid, field, "%s is longer than %d characters", field, max)
	}
	for _, r := range v {
		if multiline && (r == '\n' || r == '\t' || r == '\r') {
			continue
		}
		if unicode.IsControl(r) || isBidiControl(r) || isInvisible(r) || r == utf8.RuneError {
			return "", Errorf(EInvalid, field, "%s contains a control or invisible formatting character", field)
		}
	}
	return v, nil
}

// redactionGrowth is how much n card-number redactions may lengthen a text:
// the marker is longer than the number it replaces, and a value that was
// within its limit must not be refused for Steward's own marker.
func redactionGrowth(n int) int { return n * utf8.RuneCountInString(CardRedaction) }

// isInvisible reports characters that render as nothing, which would let
// two values that look the same be stored, indexed and shown as different.
func isInvisible(r rune) bool {
	return (r >= 0x200B && r <= 0x200D) || r == 0x2060 || r == 0xFEFF || r == 0x00AD
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// NormalizeEmail is the one normalisation of email addresses, used both when
// storing and when looking up: trim, NFC, lower-case, then a structural check
// of the addr-spec (no display names, no comments, one @, a dotted domain).
func NormalizeEmail(v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", Errorf(EInvalid, "email", "email is not valid UTF-8")
	}
	// Lower-case first and compose after: lower-casing can decompose
	// (J + caron lower-cases to j + caron, which composes to ǰ).
	e := norm.NFC.String(strings.ToLower(strings.TrimSpace(v)))
	if e == "" {
		return "", Errorf(EInvalid, "email", "email must not be empty")
	}
	if len(e) > MaxEmailLen {
		return "", Errorf(EInvalid, "email", "email is longer than %d bytes", MaxEmailLen)
	}
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || at == len(e)-1 || strings.Count(e, "@") != 1 {
		return "", Errorf(EInvalid, "email", "email must look like name@example.com")
	}
	local, domain := e[:at], e[at+1:]
	if len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "", Errorf(EInvalid, "email", "the part of the email before @ is not valid")
	}
	for _, r := range local {
		if unicode.IsSpace(r) || unicode.IsControl(r) || isBidiControl(r) || isInvisible(r) || strings.ContainsRune(`"(),:;<>[\]`, r) {
			return "", Errorf(EInvalid, "email", "the part of the email before @ contains a character email addresses cannot have")
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return "", Errorf(EInvalid, "email", "the email's domain must contain a dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return "", Errorf(EInvalid, "email", "the email's domain is not valid")
		}
		for _, r := range l {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-') {
				return "", Errorf(EInvalid, "email", "the email's domain contains a character domains cannot have")
			}
		}
	}
	return e, nil
}

// NormalizeUsername is the one normalisation of usernames: trim, NFC,
// lower-case; 1-64 letters, digits and . _ - only.
func NormalizeUsername(v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", Errorf(EInvalid, "username", "username is not valid UTF-8")
	}
	u := norm.NFC.String(strings.ToLower(strings.TrimSpace(v)))
	if u == "" {
		return "", Errorf(EInvalid, "username", "username must not be empty")
	}
	if utf8.RuneCountInString(u) > MaxUsernameLen {
		return "", Errorf(EInvalid, "username", "username is longer than %d characters", MaxUsernameLen)
	}
	for _, r := range u {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-') {
			return "", Errorf(EInvalid, "username", "username may contain only letters, digits, '.', '_' and '-'")
		}
	}
	return u, nil
}
