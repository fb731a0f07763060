package policy

import (
	"testing"
	"time"
)

func TestDurationPeriod(t *testing.T) {
	tests := []struct {
		in   Duration
		want Period
		ok   bool
	}{
		{"P6Y", Period{Years: 6}, true},
		{"P60D", Period{Days: 60}, true},
		{"P1M", Period{Months: 1}, true},
		{"P2W", Period{Weeks: 2}, true},
		{"P0D", Period{}, true},
		{"PT12H", Period{Hours: 12}, true},
		{"P1Y2M3W4DT5H6M7S", Period{Years: 1, Months: 2, Weeks: 3, Days: 4, Hours: 5, Minutes: 6, Seconds: 7}, true},
		{"-P1D", Period{Negative: true, Days: 1}, true},
		{"P999999999Y", Period{Years: 999999999}, true},
		{"", Period{}, false},
		{"P", Period{}, false},
		{"PT", Period{}, false},
		{"P1DT", Period{}, false},
		{"p6y", Period{}, false},
		{"6Y", Period{}, false},
		{"P1.5Y", Period{}, false},
		{"P6Y6Y", Period{}, false},
		{"P1D2M", Period{}, false},
		{"P1000000000Y", Period{}, false},
		{"P-1D", Period{}, false},
		{" P1D", Period{}, false},
	}
	for _, tt := range tests {
		got, err := tt.in.Period()
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%q: got %+v, %v; want %+v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestPeriodApprox(t *testing.T) {
	day := 24 * time.Hour
	for in, want := range map[Duration]time.Duration{
		"P60D":  60 * day,
		"PT90M": 90 * time.Minute,
		"P1W":   7 * day,
		"-P1D":  -day,
		"P100Y": time.Duration(MaxDuration),
	} {
		p, _ := in.Period()
		if got := p.Approx(); got != want {
			t.Errorf("%s: %v, want %v", in, got, want)
		}
	}
	p, _ := Duration("P999999999Y").Period()
	if p.Approx() <= MaxDuration {
		t.Error("a huge period must saturate above MaxDuration, not wrap")
	}
}

func TestPeriodAddTo(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		d        Duration
		from, to string
	}{
		{"P1M", "2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z"}, // Clamped to the month's end.
		{"P1M", "2028-01-31T10:00:00Z", "2028-02-29T10:00:00Z"}, // Leap year.
		{"P1M", "2026-03-15T00:00:00Z", "2026-04-15T00:00:00Z"},
		{"P6Y", "2024-02-29T00:00:00Z", "2030-02-28T00:00:00Z"},
		{"P60D", "2026-01-01T00:00:00Z", "2026-03-02T00:00:00Z"},
		{"P1M2D", "2026-01-31T00:00:00Z", "2026-03-02T00:00:00Z"},
		{"PT36H", "2026-01-01T00:00:00Z", "2026-01-02T12:00:00Z"},
		{"-P1M", "2026-03-31T00:00:00Z", "2026-02-28T00:00:00Z"},
	}
	for _, tt := range tests {
		p, err := tt.d.Period()
		if err != nil {
			t.Fatal(err)
		}
		if got := p.AddTo(at(tt.from)); !got.Equal(at(tt.to)) {
			t.Errorf("%s + %s = %s, want %s", tt.from, tt.d, got.Format(time.RFC3339), tt.to)
		}
	}
}
