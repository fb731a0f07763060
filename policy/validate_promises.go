package policy

import (
	"fmt"
	"time"
)

// This file validates the policy's promises in time and age: retention,
// request deadlines, the minimum age and the notice period for changes.

// Bounds on the promises. A deadline or notice period longer than a year
// is a typo; no regulator accepts it.
const (
	MinAge         = 13 // COPPA; below it every subject would need verified parental consent.
	MaxAge         = 21
	maxPromiseSpan = 366 * 24 * time.Hour
)

// duration parses a duration, reporting it when it is malformed, negative
// or longer than max.
func (v *validator) duration(path string, d Duration, max time.Duration) (Period, bool) {
	if d == "" {
		v.add(path, CodeRequired, "%s must not be blank; use an ISO 8601 duration such as P30D", lastName(path))
		return Period{}, false
	}
	p, err := d.Period()
	if err != nil {
		v.add(path, CodeDuration, "%s", err.Error())
		return Period{}, false
	}
	if p.Negative {
		v.add(path, CodeOutOfRange, "%s is negative; a duration here must be zero or more", d)
		return p, false
	}
	if p.Approx() > max {
		v.add(path, CodeOutOfRange, "%s is longer than %s", d, describeMax(max))
		return p, false
	}
	return p, true
}

func describeMax(max time.Duration) string {
	if max == MaxDuration {
		return "100 years"
	}
	return fmt.Sprintf("%d days", int(max.Hours()/24))
}

// neverKept reports a rule that keeps data only while a transaction runs.
func neverKept(r RetentionRule) bool {
	p, err := r.Duration.Period()
	return err == nil && !p.Negative && p.IsZero() && r.Clock == ClockTransactionEnd
}

func (v *validator) retention() {
	if !v.nonEmpty("retention", len(v.d.Retention), "retention rule") {
		return
	}
	type pair struct {
		category string
		clock    Clock
	}
	seen := map[pair]int{}
	never := map[string]int{} // Category → rule that never keeps it.
	for i, r := range v.d.Retention {
		if neverKept(r) {
			for _, c := range r.Categories {
				if _, ok := never[c]; !ok {
					never[c] = i
				}
			}
		}
	}
	for i, r := range v.d.Retention {
		p := index("retention", i)
		ip := field(p, "id")
		if v.id(ip, r.ID) {
			v.unique(ip, "retention rule", r.ID, i, v.ruleIx)
		}
		cp := field(p, "categories")
		v.refList(cp, r.Categories, v.categoryIx, "category", "categories", true)
		enum(v, field(p, "clock"), r.Clock, Clocks, "retention clock")
		enum(v, field(p, "action"), r.Action, Actions, "retention action")
		dp := field(p, "duration")
		if d, ok := v.duration(dp, r.Duration, MaxDuration); ok && d.IsZero() &&
			r.Clock != ClockTransactionEnd && r.Clock != ClockAccountDeletion && r.Clock != "" {
			v.add(dp, CodeOutOfRange, "a zero duration counted from %s would delete data as it arrives; to say data is never kept, use clock transaction_end", r.Clock)
		}
		for j, c := range r.Categories {
			if k, ok := seen[pair{c, r.Clock}]; ok && r.Clock != "" {
				v.add(index(cp, j), CodeDuplicate, "category %q already has a rule counted from %s (retention[%d])", clip(c), r.Clock, k)
				continue
			}
			seen[pair{c, r.Clock}] = i
			if k, ok := never[c]; ok && k != i {
				v.add(index(cp, j), CodeInconsistent, "retention[%d] says category %q is never kept after a transaction, so no other rule may keep it", k, clip(c))
			}
		}
	}
	// Steward stores profile fields; a category it must never keep cannot
	// own one.
	for i, c := range v.d.Categories {
		if k, ok := never[c.Key]; ok && len(c.Fields) > 0 {
			v.add(field(index("categories", i), "fields"), CodeInconsistent, "category %q is never kept (retention[%d]), so it cannot map stored subject fields", clip(c.Key), k)
		}
	}
}

func (v *validator) requests() {
	r, p := v.d.Requests, "requests"
	if d, ok := v.duration(field(p, "deadline"), r.Deadline, maxPromiseSpan); ok && d.IsZero() {
		v.add(field(p, "deadline"), CodeOutOfRange, "the deadline for answering requests must be longer than zero")
	}
	v.duration(field(p, "extension"), r.Extension, maxPromiseSpan)
	enumList(v, field(p, "rights"), r.Rights, Rights, "right", true)
}

func (v *validator) minimumAge() {
	if a := v.d.MinimumAge; a < MinAge || a > MaxAge {
		v.add("minimum_age", CodeOutOfRange, "minimum_age is %d; it must be between %d and %d", a, MinAge, MaxAge)
	}
}

func (v *validator) changes() {
	c, p := v.d.Changes, "changes"
	if d, ok := v.duration(field(p, "notice_period"), c.NoticePeriod, maxPromiseSpan); ok && d.Approx() < 24*time.Hour {
		v.add(field(p, "notice_period"), CodeOutOfRange, "the notice period must be at least one day (P1D), or subjects could not review a change before it applies")
	}
	enumList(v, field(p, "notify_via"), c.NotifyVia, NotifyChannels, "notification channel", true)
}
