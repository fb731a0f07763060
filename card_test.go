package steward_test

import (
	"strings"
	"testing"

	"github.com/stewardhq/steward"
)

// R is the replacement text, short so the expectations below stay readable.
const R = steward.CardRedaction

// luhnValid is the test's own Luhn check over a string of ASCII digits.
func luhnValid(digits string) bool {
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// withCheckDigit appends the Luhn check digit to prefix.
func withCheckDigit(prefix string) string {
	for d := '0'; d <= '9'; d++ {
		if s := prefix + string(d); luhnValid(s) {
			return s
		}
	}
	panic("unreachable")
}

var (
	pan13 = "4222222222222"
	pan15 = "378282246310005"
	pan16 = "4111111111111111"
	mc16  = "5555555555554444"
	pan19 = withCheckDigit("621234567890123456")
	// Luhn-valid, but too short and too long to be card numbers.
	luhn12 = withCheckDigit("41111111111")
	luhn20 = withCheckDigit("4111111111111111111")
)

func TestCardFixtures(t *testing.T) {
	for _, s := range []string{pan13, pan15, pan16, mc16, pan19, luhn12, luhn20} {
		if !luhnValid(s) {
			t.Errorf("fixture %s is not Luhn-valid", s)
		}
	}
	if len(pan19) != 19 || len(luhn12) != 12 || len(luhn20) != 20 {
		t.Fatalf("fixture lengths: %d %d %d", len(pan19), len(luhn12), len(luhn20))
	}
	if luhnValid("4111111111111112") {
		t.Fatal("4111111111111112 must fail the Luhn check")
	}
}

func TestRedactCardNumbers(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		n    int
	}{
		{"Empty", "", "", 0},
		{"Plain16", "card " + pan16 + " thanks", "card " + R + " thanks", 1},
		{"Plain13Whole", pan13, R, 1},
		{"Plain15", "amex " + pan15, "amex " + R, 1},
		{"Plain19", "pan=" + pan19 + ".", "pan=" + R + ".", 1},
		{"AtStart", pan16 + " is mine", R + " is mine", 1},
		{"AtEnd", "mine is " + pan16, "mine is " + R, 1},
		{"Spaces", "4111 1111 1111 1111", R, 1},
		{"Dashes", "pay 5555-5555-5555-4444 now", "pay " + R + " now", 1},
		{"AmexGroups", "3782 822463 10005", R, 1},
		{"MixedSeparators", "4111 1111-1111 1111", R, 1},
		{"GluedToLetters", "ref" + pan16 + "x", "ref" + R + "x", 1},
		{"GluedGroups", "id:4111-1111-1111-1111;", "id:" + R + ";", 1},
		{"Several", "first " + pan16 + ", second 3782-822463-10005, third " + mc16 + ".",
			"first " + R + ", second " + R + ", third " + R + ".", 3},
		{"TwoSeparatedBySpace", pan16 + " " + mc16, R + " " + R, 2},
		{"TrailingGroupTooLong", pan16 + " 1234", R + " 1234", 1},
		{"LeadingShortGroup", "12 " + pan16, "12 " + R, 1},
		{"Multiline", "line one\n" + pan16 + "\nline three", "line one\n" + R + "\nline three", 1},

		{"NonLuhn16", "4111111111111112", "4111111111111112", 0},
		{"NonLuhnGroups", "4111 1111 1111 1112", "4111 1111 1111 1112", 0},
		{"Luhn12", "code " + luhn12, "code " + luhn12, 0},
		{"Luhn20", "code " + luhn20, "code " + luhn20, 0},
		{"ISODate", "born 1815-12-10", "born 1815-12-10", 0},
		{"DottedDate", "on 10.12.1815", "on 10.12.1815", 0},
		{"DateRange", "2024-01-15 2024-02-20", "2024-01-15 2024-02-20", 0},
		{"Timestamp", "2024-01-15T10:30:00Z", "2024-01-15T10:30:00Z", 0},
		{"PhoneUS", "call +1 555-123-4567", "call +1 555-123-4567", 0},
		{"PhoneDE", "+49 30 1234567890", "+49 30 1234567890", 0},
		{"NoDigits", "no numbers here", "no numbers here", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := steward.RedactCardNumbers(tt.in)
			if got != tt.want || n != tt.n {
				t.Errorf("RedactCardNumbers(%q) = %q, %d; want %q, %d", tt.in, got, n, tt.want, tt.n)
			}
		})
	}
}

// group is a run of ASCII digits; joined says it follows the previous run
// after exactly one space or dash.
type group struct {
	digits string
	joined bool
}

func groupsOf(s string) []group {
	var gs []group
	prevEnd := -1
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		joined := prevEnd >= 0 && start == prevEnd+1 && (s[prevEnd] == ' ' || s[prevEnd] == '-')
		gs = append(gs, group{s[start:i], joined})
		prevEnd = i
	}
	return gs
}

// cardIn returns a Luhn-valid run of 13 to 19 digits written as whole digit
// groups joined by single spaces or dashes, if s has one.
func cardIn(s string) (string, bool) {
	gs := groupsOf(s)
	for i := range gs {
		var digits strings.Builder
		for j := i; j < len(gs); j++ {
			if j > i && !gs[j].joined {
				break
			}
			digits.WriteString(gs[j].digits)
			if digits.Len() > 19 {
				break
			}
			if digits.Len() >= 13 && luhnValid(digits.String()) {
				return digits.String(), true
			}
		}
	}
	return "", false
}

func FuzzRedactCardNumbers(f *testing.F) {
	for _, s := range []string{
		"", "hello", pan16, "4111 1111 1111 1111", "5555-5555-5555-4444", "3782 822463 10005",
		"ref" + pan16 + "x", pan16 + " " + mc16, "12 " + pan16, luhn20, luhn12,
		"2024-01-15 2024-02-20", "+49 30 1234567890", R + pan16, "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, n := steward.RedactCardNumbers(in)
		if card, ok := cardIn(out); ok {
			t.Fatalf("RedactCardNumbers(%q) = %q still holds the card number %s", in, out, card)
		}
		if n < 0 {
			t.Fatalf("negative count %d", n)
		}
		if n == 0 && out != in {
			t.Fatalf("RedactCardNumbers(%q) changed the text to %q but counted nothing", in, out)
		}
		if got, want := strings.Count(out, R), strings.Count(in, R)+n; got != want {
			t.Fatalf("RedactCardNumbers(%q) = %q, %d: %d redaction markers, want %d", in, out, n, got, want)
		}
		if !strings.ContainsAny(in, "0123456789") && (out != in || n != 0) {
			t.Fatalf("RedactCardNumbers(%q) = %q, %d; text without digits must come back unchanged", in, out, n)
		}
	})
}
