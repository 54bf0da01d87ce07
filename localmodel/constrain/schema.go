package constrain

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// SchemaRegex compiles a JSON schema subset to a regular expression whose
// matches are exactly the minimal-whitespace JSON texts valid for it.
//
// Supported: type object (properties, emitted in the schema's order, all
// present, as in OpenAI's strict mode; additionalProperties must be false or
// absent), string (enum, const, pattern, minLength, maxLength), number,
// integer, boolean, null, array (items, minItems, maxItems), enum and const
// of any type, type lists. Anything else is an ErrUnsupported error naming
// the keyword and where it is.
func SchemaRegex(schema []byte) (string, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(schema)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("constrain: schema is not valid JSON: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("constrain: schema must be an object")
	}
	// Property order: the order of the keys in the schema text.
	order := propertyOrder(schema)
	return schemaRE(m, "$", order)
}

const (
	jsonStringChar = `(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})`
	jsonInteger    = `-?(?:0|[1-9][0-9]*)`
	jsonNumber     = `-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?`
)

var supported = map[string]bool{"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "minItems": true, "maxItems": true, "enum": true, "const": true, "pattern": true,
	"minLength": true, "maxLength": true, "description": true, "title": true, "$schema": true, "default": true, "examples": true}

func schemaRE(s map[string]any, path string, order map[string][]string) (string, error) {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !supported[k] {
			return "", fmt.Errorf("%w: schema keyword %q at %s", ErrUnsupported, k, path)
		}
	}
	if c, ok := s["const"]; ok {
		b, _ := json.Marshal(c)
		return regexp.QuoteMeta(string(b)), nil
	}
	if e, ok := s["enum"].([]any); ok {
		alts := make([]string, len(e))
		for i, x := range e {
			b, _ := json.Marshal(x)
			alts[i] = regexp.QuoteMeta(string(b))
		}
		return "(?:" + strings.Join(alts, "|") + ")", nil
	}
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if xs, ok := x.(string); ok {
				types = append(types, xs)
			}
		}
	case nil:
		return "", fmt.Errorf("%w: schema without type, enum or const at %s", ErrUnsupported, path)
	}
	var alts []string
	for _, t := range types {
		r, err := typeRE(t, s, path, order)
		if err != nil {
			return "", err
		}
		alts = append(alts, r)
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return "(?:" + strings.Join(alts, "|") + ")", nil
}

func intKey(s map[string]any, k string) (int, bool) {
	n, ok := s[k].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return int(v), err == nil
}

func typeRE(t string, s map[string]any, path string, order map[string][]string) (string, error) {
	switch t {
	case "string":
		if p, ok := s["pattern"].(string); ok {
			p = strings.TrimSuffix(strings.TrimPrefix(p, "^"), "$")
			if _, err := regexp.Compile(p); err != nil {
				return "", fmt.Errorf("constrain: pattern at %s: %w", path, err)
			}
			return `"(?:` + p + `)"`, nil
		}
		lo, hasLo := intKey(s, "minLength")
		hi, hasHi := intKey(s, "maxLength")
		switch {
		case hasLo && hasHi:
			return fmt.Sprintf(`"%s{%d,%d}"`, jsonStringChar, lo, hi), nil
		case hasLo:
			return fmt.Sprintf(`"%s{%d,}"`, jsonStringChar, lo), nil
		case hasHi:
			return fmt.Sprintf(`"%s{0,%d}"`, jsonStringChar, hi), nil
		}
		return `"` + jsonStringChar + `*"`, nil
	case "integer":
		return jsonInteger, nil
	case "number":
		return jsonNumber, nil
	case "boolean":
		return `(?:true|false)`, nil
	case "null":
		return `null`, nil
	case "array":
		items, ok := s["items"].(map[string]any)
		if !ok {
			return "", fmt.Errorf("%w: array without an items schema at %s", ErrUnsupported, path)
		}
		item, err := schemaRE(items, path+"[]", order)
		if err != nil {
			return "", err
		}
		lo, _ := intKey(s, "minItems")
		hi, hasHi := intKey(s, "maxItems")
		if hasHi && hi < lo {
			return "", fmt.Errorf("constrain: maxItems %d < minItems %d at %s", hi, lo, path)
		}
		if hasHi && hi == 0 {
			return `\[\]`, nil
		}
		rest := "*"
		switch {
		case hasHi:
			rest = fmt.Sprintf("{%d,%d}", max(lo-1, 0), hi-1)
		case lo > 1:
			rest = fmt.Sprintf("{%d,}", lo-1)
		}
		body := item + "(?:," + item + ")" + rest
		if lo == 0 {
			body = "(?:" + body + ")?"
		}
		return `\[` + body + `\]`, nil
	case "object":
		if ap, ok := s["additionalProperties"]; ok && ap != false {
			return "", fmt.Errorf("%w: additionalProperties other than false at %s", ErrUnsupported, path)
		}
		props, _ := s["properties"].(map[string]any)
		names := order[path]
		if len(names) != len(props) {
			names = names[:0]
			for k := range props {
				names = append(names, k)
			}
			sort.Strings(names)
		}
		var parts []string
		for _, name := range names {
			ps, ok := props[name].(map[string]any)
			if !ok {
				return "", fmt.Errorf("constrain: property %q at %s is not a schema", name, path)
			}
			r, err := schemaRE(ps, path+"."+name, order)
			if err != nil {
				return "", err
			}
			key, _ := json.Marshal(name)
			parts = append(parts, regexp.QuoteMeta(string(key))+":"+r)
		}
		return `\{` + strings.Join(parts, ",") + `\}`, nil
	}
	return "", fmt.Errorf("%w: type %q at %s", ErrUnsupported, t, path)
}

// propertyOrder records the key order of every "properties" object by JSON
// path, since Go maps forget it.
func propertyOrder(schema []byte) map[string][]string {
	out := map[string][]string{}
	var walk func(dec *json.Decoder, path string)
	walk = func(dec *json.Decoder, path string) {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		d, ok := tok.(json.Delim)
		if !ok || d != '{' {
			if ok && d == '[' {
				for dec.More() {
					walk(dec, path)
				}
				dec.Token()
			}
			return
		}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return
			}
			k, _ := kt.(string)
			switch k {
			case "properties":
				if t, err := dec.Token(); err != nil || t != json.Delim('{') {
					return
				}
				for dec.More() {
					nt, _ := dec.Token()
					name, _ := nt.(string)
					out[path] = append(out[path], name)
					walk(dec, path+"."+name)
				}
				dec.Token()
			case "items":
				walk(dec, path+"[]")
			default:
				walk(dec, path)
			}
		}
		dec.Token()
	}
	walk(json.NewDecoder(strings.NewReader(string(schema))), "$")
	return out
}
