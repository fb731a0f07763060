package notice

import "strings"

// markdownEscaper backslash-escapes the characters Markdown would read as
// syntax, so text from the policy stays text: a name like "_x_" is not
// emphasis, "[a](b)" is not a link and "<b>" is not HTML.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `#`, `\#`, `|`, `\|`, `{`, `\{`, `}`, `\}`,
)

// escapeMarkdown is the md template function. Escaping "#" and braces
// everywhere (not only at line starts) also keeps heading text from
// forging a {#id} anchor.
func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }
