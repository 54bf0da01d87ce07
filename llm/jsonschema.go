package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ponder-go/ponder/internal/clip"
)

// ValidateJSON checks that data is one JSON value matching schema. It supports
// the subset of JSON Schema that structured-output APIs accept: type (string
// or list), properties, required, additionalProperties (bool or schema),
// items, minItems, maxItems, enum, const, minLength, maxLength, pattern,
// minimum, maximum, exclusiveMinimum, exclusiveMaximum, anyOf, $defs/$ref
// (local "#/$defs/..." only). Unknown keywords are ignored. The error names
// the JSON path of the first violation, e.g. `$.items[2].name`.
func ValidateJSON(schema json.RawMessage, data []byte) error {
	var s any
	if err := json.Unmarshal(schema, &s); err != nil {
		return fmt.Errorf("%w: invalid JSON schema: %v", ErrBadRequest, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%w: output is not valid JSON: %v", ErrBadOutput, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: output has data after the JSON value", ErrBadOutput)
	}
	root, _ := s.(map[string]any)
	if err := validate(root, root, v, "$"); err != nil {
		return fmt.Errorf("%w: %v", ErrBadOutput, err)
	}
	return nil
}

func validate(root, s map[string]any, v any, path string) error {
	if s == nil {
		return nil
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := resolveRef(root, ref)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		return validate(root, target, v, path)
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		var errs []string
		for _, alt := range anyOf {
			m, _ := alt.(map[string]any)
			err := validate(root, m, v, path)
			if err == nil {
				errs = nil
				break
			}
			errs = append(errs, err.Error())
		}
		if errs != nil {
			return fmt.Errorf("%s: matches none of anyOf (%s)", path, strings.Join(errs, "; "))
		}
	}
	if c, ok := s["const"]; ok && !jsonEqual(c, v) {
		return fmt.Errorf("%s: must be %v", path, c)
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if jsonEqual(e, v) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%s: %s is not one of %v", path, show(v), enum)
		}
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				if xs, ok := x.(string); ok {
					types = append(types, xs)
				}
			}
		}
		matched := false
		for _, ty := range types {
			if typeMatches(ty, v) {
				matched = true
				break
			}
		}
		if !matched {
			return fmt.Errorf("%s: expected %s, got %s", path, strings.Join(types, " or "), jsonType(v))
		}
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				name, _ := r.(string)
				if _, present := v[name]; !present {
					return fmt.Errorf("%s: missing required property %q", path, name)
				}
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := path + "." + k
			if ps, ok := props[k]; ok {
				m, _ := ps.(map[string]any)
				if err := validate(root, m, v[k], sub); err != nil {
					return err
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					return fmt.Errorf("%s: property %q is not allowed", path, k)
				}
			case map[string]any:
				if err := validate(root, ap, v[k], sub); err != nil {
					return err
				}
			}
		}
	case []any:
		if n, ok := num(s["minItems"]); ok && float64(len(v)) < n {
			return fmt.Errorf("%s: %d items, at least %v required", path, len(v), n)
		}
		if n, ok := num(s["maxItems"]); ok && float64(len(v)) > n {
			return fmt.Errorf("%s: %d items, at most %v allowed", path, len(v), n)
		}
		if items, ok := s["items"].(map[string]any); ok {
			for i, x := range v {
				if err := validate(root, items, x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	case string:
		n := float64(utf8.RuneCountInString(v))
		if m, ok := num(s["minLength"]); ok && n < m {
			return fmt.Errorf("%s: string of length %v, at least %v required", path, n, m)
		}
		if m, ok := num(s["maxLength"]); ok && n > m {
			return fmt.Errorf("%s: string of length %v, at most %v allowed", path, n, m)
		}
		if p, ok := s["pattern"].(string); ok {
			re, err := regexp.Compile(p)
			if err != nil {
				return fmt.Errorf("%s: schema pattern %q: %v", path, p, err)
			}
			if !re.MatchString(v) {
				return fmt.Errorf("%s: %q does not match pattern %q", path, v, p)
			}
		}
	case json.Number:
		f, _ := v.Float64()
		if m, ok := num(s["minimum"]); ok && f < m {
			return fmt.Errorf("%s: %v is below the minimum %v", path, v, m)
		}
		if m, ok := num(s["maximum"]); ok && f > m {
			return fmt.Errorf("%s: %v is above the maximum %v", path, v, m)
		}
		if m, ok := num(s["exclusiveMinimum"]); ok && f <= m {
			return fmt.Errorf("%s: %v must be above %v", path, v, m)
		}
		if m, ok := num(s["exclusiveMaximum"]); ok && f >= m {
			return fmt.Errorf("%s: %v must be below %v", path, v, m)
		}
	}
	return nil
}

func resolveRef(root map[string]any, ref string) (map[string]any, error) {
	const p1, p2 = "#/$defs/", "#/definitions/"
	var defs map[string]any
	var name string
	switch {
	case ref == "#":
		return root, nil
	case strings.HasPrefix(ref, p1):
		defs, _ = root["$defs"].(map[string]any)
		name = ref[len(p1):]
	case strings.HasPrefix(ref, p2):
		defs, _ = root["definitions"].(map[string]any)
		name = ref[len(p2):]
	default:
		return nil, fmt.Errorf("unsupported $ref %q (only local #/$defs/...)", ref)
	}
	m, ok := defs[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q not found", ref)
	}
	return m, nil
}

func typeMatches(ty string, v any) bool {
	switch ty {
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
	case "null":
		return v == nil
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		if !strings.ContainsAny(string(n), ".eE") {
			return true // an integer literal, however many digits
		}
		f, err := n.Float64()
		return err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	return false
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case json.Number:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func num(x any) (float64, bool) {
	switch x := x.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func jsonEqual(a, b any) bool {
	// Schemas decode numbers as float64, values as json.Number: compare as text.
	ja, _ := json.Marshal(normNum(a))
	jb, _ := json.Marshal(normNum(b))
	return bytes.Equal(ja, jb)
}

func normNum(v any) any {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		if err == nil {
			return f
		}
	}
	return v
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return clip.String(string(b), 60)
}

func checkRegex(pattern, text string) error {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return fmt.Errorf("%w: regex %q: %v", ErrBadRequest, pattern, err)
	}
	if !re.MatchString(text) {
		return fmt.Errorf("%w: output %q does not match %q", ErrBadOutput, clip.String(text, 80), pattern)
	}
	return nil
}
