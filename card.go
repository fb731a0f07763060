package steward

// CardRedaction replaces a payment card number found in stored text. The
// seed policy promises card data is never kept, so Steward removes it
// before anything is encrypted or written.
const CardRedaction = "[card number redacted]"

// RedactCardNumbers replaces every Luhn-valid run of 13 to 19 digits, written
// together or in groups separated by single spaces or dashes, and returns the
// cleaned text with the number of card numbers removed.
func RedactCardNumbers(s string) (string, int) {
	groups := digitGroups(s)
	if len(groups) == 0 {
		return s, 0
	}
	type span struct{ start, end int }
	var found []span
	for i := 0; i < len(groups); i++ {
		best := -1
		digits := 0
		for j := i; j < len(groups); j++ {
			if j > i && !groups[j].joined {
				break
			}
			digits += groups[j].end - groups[j].start
			if digits > 19 {
				break
			}
			if digits >= 13 && luhn(s, groups[i:j+1]) {
				best = j
			}
		}
		if best >= 0 {
			found = append(found, span{groups[i].start, groups[best].end})
			i = best
		}
	}
	if len(found) == 0 {
		return s, 0
	}
	out := make([]byte, 0, len(s))
	prev := 0
	for _, f := range found {
		out = append(out, s[prev:f.start]...)
		out = append(out, CardRedaction...)
		prev = f.end
	}
	out = append(out, s[prev:]...)
	return string(out), len(found)
}

type digitGroup struct {
	start, end int
	joined     bool // Separated from the previous group by one space or dash.
}

func digitGroups(s string) []digitGroup {
	var gs []digitGroup
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		joined := len(gs) > 0 && start-gs[len(gs)-1].end == 1 && (s[start-1] == ' ' || s[start-1] == '-')
		// A group glued to letters (an order id like A1234…) still counts:
		// a card number is a card number wherever it appears.
		gs = append(gs, digitGroup{start: start, end: i, joined: joined})
	}
	return gs
}

// luhn checks the Luhn checksum over the digits of the given groups.
func luhn(s string, groups []digitGroup) bool {
	sum, double := 0, false
	for g := len(groups) - 1; g >= 0; g-- {
		for i := groups[g].end - 1; i >= groups[g].start; i-- {
			d := int(s[i] - '0')
			if double {
				d *= 2
				if d > 9 {
					d -= 9
				}
			}
			sum += d
			double = !double
		}
	}
	return sum%10 == 0
}
