package policy

import (
	_ "embed"
	"fmt"
)

// defaultJSON is the built-in default policy: the seed privacy policy
// (shared/seed-privacy-policy.txt) encoded as a document. It is kept in the
// canonical form Marshal writes; a test regenerates it with -update.
//
// Where the seed is a template that was never finished, the document takes
// the real value from elsewhere in the seed: the Tracking Technologies
// section's two unfilled variables (a "$"-prefixed platform and site name)
// read as "website" and "mst.software", as the seed's own Cookies section
// says, and the Website definition's stray quoting reads as "mst.software's
// site". Where the seed is silent (the notice period, the extension of the
// request deadline, where data is hosted, when the six years start), the
// document chooses a value and records it in its assumptions, which
// `steward policy validate` lists for the operator to confirm. So the
// default validates, and says honestly which of its values nobody wrote.
//
//go:embed default.json
var defaultJSON []byte

// Default returns a fresh copy of the built-in default policy. It panics if
// the embedded document does not validate, which a test rules out; a
// policy engine that starts with a broken default must not start at all.
func Default() *Document {
	d, err := Parse(defaultJSON)
	if err != nil {
		panic(fmt.Sprintf("policy: the built-in default policy is invalid: %v", err))
	}
	return d
}
