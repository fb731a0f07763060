// Package jsoncodec is the JSON coder for stored profiles and API answers:
// github.com/go-json-experiment/json, the mirror of Go 1.27's
// encoding/json/v2 (on Go 1.27 it is the standard library's own), in its
// v1 mode, which keeps encoding/json's semantics and output. Decoding a
// decrypted profile and encoding the answer were 13% of a find's server
// CPU with encoding/json; this takes about half the time to decode and
// three quarters to encode.
//
// The output is encoding/json's byte for byte (fuzz tests hold it so),
// except that invalid UTF-8, which request decoding has already replaced
// so stored values never hold it, becomes an unescaped U+FFFD, as with Go
// 1.27's own encoding/json.
package jsoncodec

import (
	"encoding/json"
	"reflect"
	"slices"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

var v1Semantics = jsonv1.DefaultOptionsV1()

// Marshal encodes v as encoding/json.Marshal would.
func Marshal(v any) ([]byte, error) { return jsonv2.Marshal(v, v1Semantics) }

// Unmarshal decodes b into v as encoding/json.Unmarshal would.
func Unmarshal(b []byte, v any) error { return jsonv2.Unmarshal(b, v, v1Semantics) }

// SameAsEncodingJSON reports whether got, from Marshal, is what
// encoding/json wrote, want, for a value built from inputs: byte for byte
// when every input is valid UTF-8, else equal once decoded. For tests.
func SameAsEncodingJSON(got, want []byte, inputs ...string) bool {
	if !slices.ContainsFunc(inputs, func(s string) bool { return !utf8.ValidString(s) }) {
		return string(got) == string(want)
	}
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal(want, &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}
