package policy

import (
	"reflect"
	"regexp"
	"strings"
	"time"
)

// The seed policy shipped with "$platform" and "$elnombre" in its text: a
// template was filled in by hand and two variables were missed. These
// patterns catch the common template syntaxes and the filler people leave
// behind, in any string of the document. They are deliberately specific
// (an all-caps word in brackets, not any bracket) so that real prose passes.
var placeholderPatterns = []*regexp.Regexp{
	regexp.MustCompile(`\$\{[^}]*\}`),                  // ${name}
	regexp.MustCompile(`\$[A-Za-z_][A-Za-z0-9_]*`),     // $platform, $elnombre
	regexp.MustCompile(`\{\{.*?\}\}|\{%.*?%\}`),        // {{name}}, {% if %}
	regexp.MustCompile(`\{[A-Za-z_][A-Za-z0-9_.-]*\}`), // {company}, {0}-style names
	regexp.MustCompile(`\[[A-Z][A-Z0-9 _./-]*\]`),      // [COMPANY], [COMPANY NAME]
	regexp.MustCompile(`<[A-Z][A-Z0-9 _./-]*>`),        // <COMPANY NAME>
	regexp.MustCompile(`(?i)\[(?:insert|enter|your|company|business|name|date|address|e-?mail|website|url|country|phone)\b[^\]]*\]`), // [Your Company]
	regexp.MustCompile(`(?i)<(?:insert|enter|your|company|business|name|date|address|e-?mail|website|url|country|phone)\b[^>]*>`),    // <insert date>
	regexp.MustCompile(`(?:^|[^A-Za-z0-9%])(%(?:\d+\$)?[-+#0]*\d*(?:\.\d+)?[sdvqxXf])\b`),                                            // %s, %d, %1$s
	regexp.MustCompile(`__[A-Za-z][A-Za-z0-9_]*__`),                                                                                  // __COMPANY__
	regexp.MustCompile(`(?i)\b(?:todo|tbd|fixme|xxx+)\b`),
	regexp.MustCompile(`(?i)\blorem ipsum\b`),
	regexp.MustCompile(`(?i)\b(?:insert|enter|add) (?:your|the) (?:company|business|website|app|name|address|email|country)`),
	regexp.MustCompile(`(?i)\bexample\.(?:com|org|net)\b`), // Reserved documentation domains.
}

var percentEscape = regexp.MustCompile(`^%[0-9A-Fa-f]{2}$`)

// FindPlaceholders returns the template placeholders left in s, in order
// of appearance, each once.
func FindPlaceholders(s string) []string {
	var found []string
	seen := map[string]bool{}
	for _, re := range placeholderPatterns {
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			tok := m[len(m)-1]
			if tok == "" {
				tok = m[0]
			}
			tok = strings.TrimSpace(tok)
			if percentEscape.MatchString(tok) {
				continue // "%2f" in a URL is an escaped "/", not "%f" with width 2.
			}
			if !seen[tok] {
				seen[tok] = true
				found = append(found, tok)
			}
		}
	}
	return found
}

// MaxText bounds every string of the document; a notice summary is a few
// sentences, not a book.
const MaxText = 4000

var timeType = reflect.TypeFor[time.Time]()

// checkStrings walks every string of the document, reporting placeholders
// and strings too long to be meant.
func checkStrings(ps *problemList, path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			checkStrings(ps, path, v.Elem())
		}
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		for _, f := range jsonFields(v.Type()) {
			checkStrings(ps, field(path, f.name), v.Field(f.index))
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkStrings(ps, index(path, i), v.Index(i))
		}
	case reflect.String:
		s := v.String()
		if len(s) > MaxText {
			ps.add(path, CodeTooLarge, "the text is %d bytes; at most %d are allowed", len(s), MaxText)
			return
		}
		if found := FindPlaceholders(s); len(found) > 0 {
			ps.add(path, CodePlaceholder, "contains the template placeholder%s %s; replace %s with the real value", plural(len(found)), quoteList(found), itThem(len(found)))
		}
	}
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = `"` + clip(s) + `"`
	}
	return strings.Join(q, ", ")
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
