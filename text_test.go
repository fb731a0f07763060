package steward

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// wantInvalid fails unless err is an EInvalid domain error about field.
func wantInvalid(tb testing.TB, err error, field string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s error on field %q", EInvalid, field)
	}
	if ErrorCode(err) != EInvalid || ErrorField(err) != field {
		tb.Fatalf("got %v (code %q, field %q), want code %q on field %q", err, ErrorCode(err), ErrorField(err), EInvalid, field)
	}
}

func TestNormalizeEmail(t *testing.T) {
	local64 := strings.Repeat("a", 64)
	// 64 + 1 + 189 = 254 bytes, the longest address allowed.
	domain189 := strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
	max := local64 + "@" + domain189
	if len(max) != MaxEmailLen {
		t.Fatalf("fixture is %d bytes", len(max))
	}

	ok := []struct {
		name, in, want string
	}{
		{"Lower", "ada@example.com", "ada@example.com"},
		{"Case", "Ada.Lovelace@Example.COM", "ada.lovelace@example.com"},
		{"Whitespace", " \t ada@example.com\r\n", "ada@example.com"},
		{"NFD", "Re\u0301my@example.com", "r\u00e9my@example.com"},
		{"NFC", "R\u00c9MY@example.com", "r\u00e9my@example.com"},
		{"IDNDomain", "ÄDA@BÜCHER.DE", "äda@bücher.de"},
		{"IDNDomainNFD", "ada@bu\u0308cher.de", "ada@b\u00fccher.de"},
		{"CJKDomain", "user@例え.jp", "user@例え.jp"},
		{"Punycode", "ada@xn--bcher-kva.de", "ada@xn--bcher-kva.de"},
		{"PlusTag", "ada+news@example.co.uk", "ada+news@example.co.uk"},
		{"Apostrophe", "o'brien@example.com", "o'brien@example.com"},
		{"HyphenInLabel", "ada@my-host.example.com", "ada@my-host.example.com"},
		{"Max254", max, max},
	}
	for _, tt := range ok {
		t.Run("OK/"+tt.name, func(t *testing.T) {
			got, err := NormalizeEmail(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeEmail(%+q) = %+q, %v; want %+q", tt.in, got, err, tt.want)
			}
			if !norm.NFC.IsNormalString(got) {
				t.Errorf("NormalizeEmail(%+q) = %+q is not NFC", tt.in, got)
			}
			// Writing and looking up both normalise, so a normalised value
			// must normalise to itself.
			if again, err := NormalizeEmail(got); err != nil || again != got {
				t.Errorf("NormalizeEmail(%+q) = %+q, %v; not idempotent", got, again, err)
			}
		})
	}

	bad := []struct {
		name, in string
	}{
		{"Empty", ""},
		{"Blank", "   "},
		{"NoAt", "ada.example.com"},
		{"TwoAts", "ada@lovelace@example.com"},
		{"DoubleAt", "ada@@example.com"},
		{"EmptyLocal", "@lovelace.org"},
		{"EmptyDomain", "ada@"},
		{"LeadingDot", ".ada@example.com"},
		{"TrailingDot", "ada.@example.com"},
		{"DoubleDot", "ada..lovelace@example.com"},
		{"DomainLeadingDot", "ada@.example.com"},
		{"DomainTrailingDot", "ada@example.com."},
		{"DomainDoubleDot", "ada@example..com"},
		{"InnerSpace", "ada lovelace@example.com"},
		{"SpaceBeforeAt", "ada @example.com"},
		{"Quotes", `"ada"@example.com`},
		{"DisplayName", "Ada <ada@example.com>"},
		{"AngleBrackets", "<ada@example.com>"},
		{"Comment", "ada(work)@example.com"},
		{"IPLiteral", "ada@[127.0.0.1]"},
		{"NoDotInDomain", "ada@localhost"},
		{"LabelLeadingHyphen", "ada@-example.com"},
		{"LabelTrailingHyphen", "ada@example-.com"},
		{"Underscore", "ada@exa_mple.com"},
		{"LongLabel", "ada@" + strings.Repeat("x", 64) + ".com"},
		{"LongLocal", local64 + "a@example.com"},
		{"Over254", local64 + "@" + domain189 + "e"},
		{"InvalidUTF8", "ada\xff@example.com"},
		{"NUL", "ada\x00@example.com"},
		{"Escape", "ada\x1b@example.com"},
		{"RLO", "ada\u202e@example.com"},
		{"RLM", "ada\u200f@example.com"},
		{"LRI", "ada\u2066@example.com"},
		{"ALM", "ada\u061c@example.com"},
		{"BidiInDomain", "ada@exam\u202eple.com"},
	}
	for _, tt := range bad {
		t.Run("Err/"+tt.name, func(t *testing.T) {
			got, err := NormalizeEmail(tt.in)
			wantInvalid(t, err, "email")
			if got != "" {
				t.Errorf("NormalizeEmail(%+q) returned %+q with its error", tt.in, got)
			}
			if strings.TrimSpace(tt.in) != "" && strings.Contains(ErrorMessage(err), strings.TrimSpace(tt.in)) {
				t.Errorf("error message %q repeats the address", ErrorMessage(err))
			}
		})
	}
}

func TestNormalizeUsername(t *testing.T) {
	ok := []struct {
		name, in, want string
	}{
		{"Lower", "ada", "ada"},
		{"Case", "Ada.Lovelace_1-X", "ada.lovelace_1-x"},
		{"Whitespace", "  ada\n", "ada"},
		{"NFD", "Re\u0301my", "r\u00e9my"},
		{"Letters", "Ærøskøbing", "ærøskøbing"},
		{"Max64Runes", strings.Repeat("é", 64), strings.Repeat("é", 64)},
	}
	for _, tt := range ok {
		t.Run("OK/"+tt.name, func(t *testing.T) {
			got, err := NormalizeUsername(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeUsername(%+q) = %+q, %v; want %+q", tt.in, got, err, tt.want)
			}
			if again, err := NormalizeUsername(got); err != nil || again != got {
				t.Errorf("NormalizeUsername(%+q) = %+q, %v; not idempotent", got, again, err)
			}
		})
	}
	bad := []struct {
		name, in string
	}{
		{"Empty", ""},
		{"Blank", " \t "},
		{"TooLong", strings.Repeat("a", 65)},
		{"TooLongRunes", strings.Repeat("é", 65)},
		{"Space", "ada lovelace"},
		{"At", "ada@example"},
		{"Slash", "ada/lovelace"},
		{"InvalidUTF8", "ada\xff"},
		{"Control", "ada\x00"},
		{"Bidi", "ada\u202e"},
		{"ZeroWidthSpace", "ada\u200b"},
		{"Emoji", "ada🙂"},
	}
	for _, tt := range bad {
		t.Run("Err/"+tt.name, func(t *testing.T) {
			got, err := NormalizeUsername(tt.in)
			wantInvalid(t, err, "username")
			if got != "" {
				t.Errorf("NormalizeUsername(%+q) returned %+q with its error", tt.in, got)
			}
		})
	}
}

func TestNormalizeText(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		max       int
		multiline bool
		want      string
		wantErr   bool
	}{
		{name: "Trim", in: "  Ada Lovelace \n", max: 200, want: "Ada Lovelace"},
		{name: "NFC", in: "Re\u0301my", max: 200, want: "R\u00e9my"},
		{name: "Empty", in: "", max: 200, want: ""},
		{name: "AtMaxRunes", in: strings.Repeat("é", 5), max: 5, want: strings.Repeat("é", 5)},
		{name: "OverMaxRunes", in: strings.Repeat("é", 6), max: 5, wantErr: true},
		{name: "MaxCountedAfterNFC", in: strings.Repeat("e\u0301", 5), max: 5, want: strings.Repeat("é", 5)},
		{name: "MaxCountedAfterTrim", in: "  abcde  ", max: 5, want: "abcde"},
		{name: "NewlineMultiline", in: "a\nb\r\nc\td", max: 200, multiline: true, want: "a\nb\r\nc\td"},
		{name: "NewlineSingleLine", in: "a\nb", max: 200, wantErr: true},
		{name: "TabSingleLine", in: "a\tb", max: 200, wantErr: true},
		{name: "CRSingleLine", in: "a\rb", max: 200, wantErr: true},
		{name: "NUL", in: "a\x00b", max: 200, multiline: true, wantErr: true},
		{name: "ANSIEscape", in: "\x1b[31mred", max: 200, multiline: true, wantErr: true},
		{name: "DEL", in: "a\x7fb", max: 200, multiline: true, wantErr: true},
		{name: "C1Control", in: "a\u0085b", max: 200, multiline: true, wantErr: true},
		{name: "RLO", in: "a\u202eb", max: 200, multiline: true, wantErr: true},
		{name: "LRE", in: "a\u202ab", max: 200, wantErr: true},
		{name: "FSI", in: "a\u2068b", max: 200, wantErr: true},
		{name: "PDI", in: "a\u2069b", max: 200, wantErr: true},
		{name: "LRM", in: "a\u200eb", max: 200, wantErr: true},
		{name: "ALM", in: "a\u061cb", max: 200, wantErr: true},
		{name: "ReplacementChar", in: "a\ufffdb", max: 200, wantErr: true},
		{name: "InvalidUTF8", in: "a\xc3b", max: 200, multiline: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeText("note", tt.in, tt.max, tt.multiline)
			if tt.wantErr {
				wantInvalid(t, err, "note")
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("normalizeText(%+q, %d, %v) = %+q, %v; want %+q", tt.in, tt.max, tt.multiline, got, err, tt.want)
			}
		})
	}
}
