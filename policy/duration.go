package policy

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Duration is an ISO 8601 duration such as "P6Y", "P60D", "P1M" or "PT12H".
// It is kept as the text the operator wrote, so a bad value survives
// decoding and is reported by Validate with its path. Only integer
// components are accepted; "-P1D" parses but no policy duration may be
// negative.
type Duration string

// Period is a parsed Duration. Calendar components stay separate because a
// month is not a fixed number of days: "P1M" from 31 January ends on the last
// day of February.
type Period struct {
	Negative                   bool
	Years, Months, Weeks, Days int
	Hours, Minutes, Seconds    int
}

// MaxDuration is the longest duration a policy may state; anything longer
// is a typo, not a retention period.
const MaxDuration = 100 * 365.2425 * 24 * time.Hour

// Nine digits per component keeps every sum inside int64 seconds.
var isoDuration = regexp.MustCompile(`^(-)?P(?:(\d{1,9})Y)?(?:(\d{1,9})M)?(?:(\d{1,9})W)?(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9})S)?)?$`)

// Period parses the duration.
func (d Duration) Period() (Period, error) {
	s := string(d)
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "-P" || strings.HasSuffix(s, "T") {
		return Period{}, fmt.Errorf("%q is not an ISO 8601 duration such as P6Y, P1M, P60D or PT12H", clip(s))
	}
	var n [7]int
	for i := range n {
		if m[i+2] != "" {
			n[i], _ = strconv.Atoi(m[i+2]) // Nine digits always fit.
		}
	}
	return Period{Negative: m[1] == "-", Years: n[0], Months: n[1], Weeks: n[2], Days: n[3], Hours: n[4], Minutes: n[5], Seconds: n[6]}, nil
}

// IsZero reports whether the period has no length.
func (p Period) IsZero() bool {
	return p.Years == 0 && p.Months == 0 && p.Weeks == 0 && p.Days == 0 && p.Hours == 0 && p.Minutes == 0 && p.Seconds == 0
}

// Approx returns the period's length with the mean Gregorian year and
// month, for comparisons and bounds; deadlines use AddTo. It saturates
// instead of overflowing.
func (p Period) Approx() time.Duration {
	secs := int64(p.Years)*31556952 + int64(p.Months)*2629746 + int64(p.Weeks)*604800 +
		int64(p.Days)*86400 + int64(p.Hours)*3600 + int64(p.Minutes)*60 + int64(p.Seconds)
	if secs > math.MaxInt64/int64(time.Second) {
		secs = math.MaxInt64 / int64(time.Second)
	}
	if p.Negative {
		secs = -secs
	}
	return time.Duration(secs) * time.Second
}

// AddTo returns t moved by the period. Years and months move the calendar
// date and clamp to the month's last day (31 January + P1M is 28 or 29
// February, as legal deadlines count), then weeks, days and the time
// components are added.
func (p Period) AddTo(t time.Time) time.Time {
	sign := 1
	if p.Negative {
		sign = -1
	}
	months := sign * (p.Years*12 + p.Months)
	if months != 0 {
		y, mo, d := t.Date()
		first := time.Date(y, mo+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
		if last := first.AddDate(0, 1, -1).Day(); d > last {
			d = last
		}
		t = first.AddDate(0, 0, d-1)
	}
	t = t.AddDate(0, 0, sign*(p.Weeks*7+p.Days))
	return t.Add(time.Duration(sign) * (time.Duration(p.Hours)*time.Hour + time.Duration(p.Minutes)*time.Minute + time.Duration(p.Seconds)*time.Second))
}

// clip shortens a value for an error message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	for i := n; i > 0; i-- {
		if s[i]&0xC0 != 0x80 { // Cut on a rune boundary.
			return s[:i] + "…"
		}
	}
	return "…"
}
