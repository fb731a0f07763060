package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

// schemaChecker validates JSON values against the subset of JSON Schema
// (draft 2020-12) that schema.json uses. It refuses any keyword it does not
// implement, so the schema cannot grow a constraint these tests silently
// skip.
type schemaChecker struct {
	root map[string]any
}

var annotations = map[string]bool{"$schema": true, "$id": true, "$defs": true, "title": true, "description": true, "$comment": true, "format": true}

// resolve merges a $ref target with the keywords beside the $ref.
func (c *schemaChecker) resolve(s map[string]any) (map[string]any, error) {
	ref, ok := s["$ref"].(string)
	if !ok {
		return s, nil
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	target, ok := c.root["$defs"].(map[string]any)[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q resolves to nothing", ref)
	}
	target, err := c.resolve(target)
	if err != nil {
		return nil, err
	}
	merged := map[string]any{}
	for k, v := range target {
		merged[k] = v
	}
	for k, v := range s {
		if k != "$ref" {
			merged[k] = v
		}
	}
	return merged, nil
}

func (c *schemaChecker) check(path string, schema map[string]any, v any) []string {
	s, err := c.resolve(schema)
	if err != nil {
		return []string{path + ": " + err.Error()}
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	for kw, arg := range s {
		switch kw {
		case "type":
			if !hasType(v, arg.(string)) {
				fail("want type %s, got %T", arg, v)
				return errs
			}
		case "enum":
			if !slices.ContainsFunc(arg.([]any), func(e any) bool { return e == v }) {
				fail("%v is not in enum %v", v, arg)
			}
		case "pattern":
			if str, ok := v.(string); ok && !regexp.MustCompile(arg.(string)).MatchString(str) {
				fail("%q does not match %s", str, arg)
			}
		case "minLength", "maxLength":
			if str, ok := v.(string); ok {
				n := float64(len([]rune(str)))
				if kw == "minLength" && n < arg.(float64) || kw == "maxLength" && n > arg.(float64) {
					fail("length %v violates %s %v", n, kw, arg)
				}
			}
		case "minimum", "maximum":
			if n, ok := v.(float64); ok && (kw == "minimum" && n < arg.(float64) || kw == "maximum" && n > arg.(float64)) {
				fail("%v violates %s %v", n, kw, arg)
			}
		case "minItems":
			if a, ok := v.([]any); ok && float64(len(a)) < arg.(float64) {
				fail("%d items, want at least %v", len(a), arg)
			}
		case "uniqueItems":
			if a, ok := v.([]any); ok && arg.(bool) {
				for i := range a {
					for j := range i {
						if reflect.DeepEqual(a[i], a[j]) {
							fail("items %d and %d are equal", j, i)
						}
					}
				}
			}
		case "items":
			if a, ok := v.([]any); ok {
				for i, e := range a {
					errs = append(errs, c.check(fmt.Sprintf("%s[%d]", path, i), arg.(map[string]any), e)...)
				}
			}
		case "required":
			if o, ok := v.(map[string]any); ok {
				for _, name := range arg.([]any) {
					if _, ok := o[name.(string)]; !ok {
						fail("missing required %s", name)
					}
				}
			}
		case "properties":
			if o, ok := v.(map[string]any); ok {
				props := arg.(map[string]any)
				for name, val := range o {
					if ps, ok := props[name]; ok {
						errs = append(errs, c.check(path+"."+name, ps.(map[string]any), val)...)
					}
				}
			}
		case "additionalProperties":
			if o, ok := v.(map[string]any); ok && arg == false {
				props, _ := s["properties"].(map[string]any)
				for name := range o {
					if _, ok := props[name]; !ok {
						fail("unknown member %s", name)
					}
				}
			}
		default:
			if !annotations[kw] {
				fail("schema keyword %q is not supported by this checker", kw)
			}
		}
	}
	return errs
}

func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == math.Trunc(n)
	case "number":
		_, ok := v.(float64)
		return ok
	}
	return false
}

func loadSchema(t *testing.T) *schemaChecker {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("$schema = %v", root["$schema"])
	}
	return &schemaChecker{root: root}
}

func generic(t *testing.T, d *Document) any {
	t.Helper()
	b, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSchemaAcceptsDefault(t *testing.T) {
	c := loadSchema(t)
	if errs := c.check("$", c.root, generic(t, Default())); len(errs) > 0 {
		t.Fatalf("the default policy does not conform to the schema:\n%s", strings.Join(errs, "\n"))
	}
}

// TestSchemaRejects makes sure the checker and the schema do reject bad
// documents, so the acceptance above means something.
func TestSchemaRejects(t *testing.T) {
	c := loadSchema(t)
	for name, mutate := range map[string]func(m map[string]any){
		"UnknownMember":   func(m map[string]any) { m["colour"] = "blue" },
		"MissingRequired": func(m map[string]any) { delete(m, "operator") },
		"WrongType":       func(m map[string]any) { m["minimum_age"] = "13" },
		"OutOfRange":      func(m map[string]any) { m["minimum_age"] = 99.0 },
		"BadEnum": func(m map[string]any) {
			m["purposes"].([]any)[0].(map[string]any)["legal_basis"] = "whim"
		},
		"BadDuration": func(m map[string]any) {
			m["retention"].([]any)[0].(map[string]any)["duration"] = "6 years"
		},
		"BadCountry": func(m map[string]any) { m["operator"].(map[string]any)["country"] = "Russia" },
		"EmptyList":  func(m map[string]any) { m["categories"] = []any{} },
		"NestedUnknown": func(m map[string]any) {
			m["recipients"].([]any)[0].(map[string]any)["contry"] = "US"
		},
	} {
		t.Run(name, func(t *testing.T) {
			v := generic(t, Default()).(map[string]any)
			mutate(v)
			if errs := c.check("$", c.root, v); len(errs) == 0 {
				t.Fatal("the schema accepted a broken document")
			}
		})
	}
}

// vocabularies maps each closed-vocabulary type to its Go list, which the
// schema's enum must equal.
var vocabularies = map[reflect.Type][]string{
	reflect.TypeFor[LegalBasis]():          toStrings(LegalBases),
	reflect.TypeFor[RecipientKind]():       toStrings(RecipientKinds),
	reflect.TypeFor[Clock]():               toStrings(Clocks),
	reflect.TypeFor[Action]():              toStrings(Actions),
	reflect.TypeFor[Sensitivity]():         toStrings(Sensitivities),
	reflect.TypeFor[TrackingKind]():        toStrings(TrackingKinds),
	reflect.TypeFor[Right]():               toStrings(Rights),
	reflect.TypeFor[Channel]():             toStrings(Channels),
	reflect.TypeFor[NotifyChannel]():       toStrings(NotifyChannels),
	reflect.TypeFor[Law]():                 toStrings(Laws),
	reflect.TypeFor[Safeguard]():           toStrings(Safeguards),
	reflect.TypeFor[Measure]():             toStrings(Measures),
	reflect.TypeFor[steward.Source]():      toStrings(Sources),
	reflect.TypeFor[steward.SubjectKind](): toStrings(steward.SubjectKinds),
}

// TestSchemaMatchesTypes walks the Go document types beside the schema:
// every struct is a closed object with the same members and the same
// required set (members without omitempty), every list an array, every
// vocabulary an enum with the same values. Changing one without the other
// fails here.
func TestSchemaMatchesTypes(t *testing.T) {
	c := loadSchema(t)
	c.compare(t, "$", reflect.TypeFor[Document](), c.root)
}

func (c *schemaChecker) compare(t *testing.T, path string, typ reflect.Type, schema map[string]any) {
	t.Helper()
	s, err := c.resolve(schema)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	want := func(kw string, v any) {
		if !reflect.DeepEqual(s[kw], v) {
			t.Errorf("%s (%s): schema %s = %v, want %v", path, typ, kw, s[kw], v)
		}
	}
	switch {
	case typ == reflect.TypeFor[time.Time]():
		want("type", "string")
		want("format", "date-time")
	case typ.Kind() == reflect.Struct:
		want("type", "object")
		want("additionalProperties", false)
		props, _ := s["properties"].(map[string]any)
		var names, required, schemaNames []string
		for _, f := range jsonFields(typ) {
			names = append(names, f.name)
			if f.required {
				required = append(required, f.name)
			}
			ps, ok := props[f.name].(map[string]any)
			if !ok {
				t.Errorf("%s: schema lacks member %s", path, f.name)
				continue
			}
			c.compare(t, path+"."+f.name, typ.Field(f.index).Type, ps)
		}
		for n := range props {
			schemaNames = append(schemaNames, n)
		}
		sort.Strings(names)
		sort.Strings(schemaNames)
		if !slices.Equal(names, schemaNames) {
			t.Errorf("%s: Go members %v, schema members %v", path, names, schemaNames)
		}
		var schemaRequired []string
		for _, r := range asList(s["required"]) {
			schemaRequired = append(schemaRequired, r.(string))
		}
		sort.Strings(required)
		sort.Strings(schemaRequired)
		if !slices.Equal(required, schemaRequired) {
			t.Errorf("%s: Go requires %v, schema requires %v", path, required, schemaRequired)
		}
	case typ.Kind() == reflect.Slice:
		want("type", "array")
		items, ok := s["items"].(map[string]any)
		if !ok {
			t.Errorf("%s: array without items", path)
			return
		}
		c.compare(t, path+"[]", typ.Elem(), items)
	case typ == reflect.TypeFor[Duration]():
		if _, ok := s["pattern"]; !ok || s["type"] != "string" {
			t.Errorf("%s: a duration needs a string pattern", path)
		}
	case typ.Kind() == reflect.String && typ != reflect.TypeFor[string]():
		vocab, ok := vocabularies[typ]
		if !ok {
			t.Errorf("%s: no vocabulary registered for %s", path, typ)
			return
		}
		var enum []string
		for _, e := range asList(s["enum"]) {
			enum = append(enum, e.(string))
		}
		if !slices.Equal(enum, vocab) {
			t.Errorf("%s: schema enum %v, Go vocabulary %v", path, enum, vocab)
		}
	case typ.Kind() == reflect.String:
		want("type", "string")
	case typ.Kind() == reflect.Int:
		want("type", "integer")
	case typ.Kind() == reflect.Bool:
		want("type", "boolean")
	default:
		t.Errorf("%s: unexpected Go type %s", path, typ)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestSchemaCopy(t *testing.T) {
	a := Schema()
	a[0] = 'x'
	if Schema()[0] != '{' {
		t.Fatal("Schema returns shared bytes")
	}
}
