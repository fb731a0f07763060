package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// MaxSize is the largest policy document accepted, in bytes. The default
// policy is a small fraction of it.
const MaxSize = 1 << 20

// maxDepth bounds nesting; the format itself is five levels deep.
const maxDepth = 32

// MaxList bounds every list. The seed needs a few dozen entries in its
// longest list; the bound keeps validation's cross-checks cheap on any input.
const MaxList = 1000

// encoding/json with DisallowUnknownFields stops at the first unknown field
// and does not say where it is, silently keeps the last of two members with
// the same name, and cannot tell a missing member from a zero one. A policy
// is refused whole with every problem named by its path, so decoding runs in
// two steps: read the JSON into a tree that keeps member order and flags
// duplicate members, then bind the tree to the Go types by their json tags,
// reporting unknown members, missing required members and type mismatches
// by path while binding everything that fits.

// object is a JSON object with its members in document order.
type object []member

type member struct {
	name  string
	value any // object, []any, string, json.Number, bool or nil.
}

var errTooDeep = errors.New("too deep")

// Decode reads a policy document strictly: unknown members, duplicate
// members, type mismatches and missing required members are problems with
// paths. It returns the document as far as it could be bound (nil when the
// bytes are not JSON) and the problems; it does not validate the content.
func Decode(b []byte) (*Document, []Problem) {
	var ps problemList
	if len(b) > MaxSize {
		ps.add("", CodeTooLarge, "the document is %d bytes; a policy may have at most %d", len(b), MaxSize)
		return nil, ps
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tree, err := readValue(dec, "", 0, &ps)
	if err != nil {
		ps.add("", syntaxCode(err), "%s", syntaxMessage(b, dec, err))
		return nil, ps
	}
	if _, err := dec.Token(); err != io.EOF {
		ps.add("", CodeMalformed, "unexpected data after the JSON document at %s", position(b, dec.InputOffset()))
		return nil, ps
	}
	d := new(Document)
	bind("", tree, reflect.ValueOf(d).Elem(), &ps)
	return d, ps
}

// readValue reads one JSON value into a tree.
func readValue(dec *json.Decoder, path string, depth int, ps *problemList) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxDepth {
		return nil, errTooDeep
	}
	switch d {
	case '{':
		obj := object{}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			name, _ := kt.(string) // The decoder only yields strings as keys.
			p := field(path, name)
			v, err := readValue(dec, p, depth+1, ps)
			if err != nil {
				return nil, err
			}
			if seen[name] {
				ps.add(p, CodeDuplicateMember, "the member %q appears more than once in this object; JSON readers disagree on which one counts", clip(name))
				continue
			}
			seen[name] = true
			obj = append(obj, member{name, v})
		}
		_, err := dec.Token() // '}'
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := readValue(dec, index(path, len(arr)), depth+1, ps)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token() // ']'
		return arr, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

func syntaxCode(err error) string {
	if err == errTooDeep {
		return CodeTooLarge
	}
	return CodeMalformed
}

func syntaxMessage(b []byte, dec *json.Decoder, err error) string {
	var se *json.SyntaxError
	switch {
	case err == errTooDeep:
		return fmt.Sprintf("the document nests deeper than %d levels", maxDepth)
	case err == io.EOF && len(bytes.TrimSpace(b)) == 0:
		return "the document is empty; a policy is a JSON object"
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return "the document ends in the middle of a JSON value"
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at %s: %s", position(b, se.Offset), strings.TrimPrefix(se.Error(), "json: "))
	}
	return fmt.Sprintf("malformed JSON at %s: %s", position(b, dec.InputOffset()), strings.TrimPrefix(err.Error(), "json: "))
}

// position turns a byte offset into "line L, column C".
func position(b []byte, off int64) string {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(b[:off], '\n'))
	return fmt.Sprintf("line %d, column %d", line, col)
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// bind stores the tree n in v. null binds nothing, as if the member were
// absent, so a required member given as null is reported missing.
func bind(path string, n any, v reflect.Value, ps *problemList) {
	if n == nil {
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		bind(path, n, v.Elem(), ps)
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		bindUnmarshaler(path, n, v, ps)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		obj, ok := n.(object)
		if !ok {
			typeProblem(path, "an object", n, ps)
			return
		}
		fields := jsonFields(v.Type())
		present := map[string]bool{}
		for _, m := range obj {
			i := slices.IndexFunc(fields, func(f fieldInfo) bool { return f.name == m.name })
			if i < 0 {
				if !ps.full() {
					ps.add(field(path, m.name), CodeUnknownField, "unknown member %q%s", clip(m.name), suggest(m.name, fieldNames(fields)))
				}
				continue
			}
			if m.value != nil {
				present[m.name] = true
			}
			bind(field(path, m.name), m.value, v.Field(fields[i].index), ps)
		}
		for _, f := range fields {
			if f.required && !present[f.name] {
				ps.add(field(path, f.name), CodeRequired, "%s is required", f.name)
			}
		}
	case reflect.Slice:
		arr, ok := n.([]any)
		if !ok {
			typeProblem(path, "a list", n, ps)
			return
		}
		if len(arr) > MaxList {
			ps.add(path, CodeTooLarge, "the list has %d entries; at most %d are allowed", len(arr), MaxList)
			arr = arr[:MaxList]
		}
		s := reflect.MakeSlice(v.Type(), len(arr), len(arr))
		for i, e := range arr {
			bind(index(path, i), e, s.Index(i), ps)
		}
		v.Set(s)
	case reflect.String:
		s, ok := n.(string)
		if !ok {
			typeProblem(path, "a string", n, ps)
			return
		}
		v.SetString(s)
	case reflect.Int:
		num, ok := n.(json.Number)
		if !ok {
			typeProblem(path, "a whole number", n, ps)
			return
		}
		i, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil || v.OverflowInt(i) {
			ps.add(path, CodeType, "expected a whole number, found %s", clip(string(num)))
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		b, ok := n.(bool)
		if !ok {
			typeProblem(path, "true or false", n, ps)
			return
		}
		v.SetBool(b)
	default:
		// The document types use none of the other kinds; a test binds
		// every member, so reaching this is a bug in this package.
		panic(fmt.Sprintf("policy: cannot bind %s at %s", v.Type(), path))
	}
}

// bindUnmarshaler hands a leaf to a type's own decoder (time.Time).
func bindUnmarshaler(path string, n any, v reflect.Value, ps *problemList) {
	s, ok := n.(string)
	if !ok {
		typeProblem(path, "a string", n, ps)
		return
	}
	raw, _ := json.Marshal(s)
	if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
		ps.add(path, CodeInvalid, "%q is not an RFC 3339 time such as 2026-01-01T00:00:00Z", clip(s))
	}
}

func typeProblem(path, want string, n any, ps *problemList) {
	ps.add(path, CodeType, "expected %s, found %s", want, kindOf(n))
}

func kindOf(n any) string {
	switch n.(type) {
	case object:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	}
	return "null"
}

type fieldInfo struct {
	name     string
	index    int
	required bool
}

// jsonFields lists a struct's JSON members in declaration order. A member
// without omitempty is required.
func jsonFields(t reflect.Type) []fieldInfo {
	var fs []fieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs = append(fs, fieldInfo{name: name, index: i, required: !strings.Contains(opts, "omitempty")})
	}
	return fs
}

func fieldNames(fields []fieldInfo) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return names
}
