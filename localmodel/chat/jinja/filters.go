package jinja

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

func applyFilter(name string, v any, args []any, kw map[string]any) (any, error) {
	arg := func(i int, key string) any {
		if i < len(args) {
			return args[i]
		}
		if x, ok := kw[key]; ok {
			return x
		}
		return undefined{}
	}
	switch name {
	case "length", "count":
		switch x := v.(type) {
		case string:
			return len([]rune(x)), nil
		case []any:
			return len(x), nil
		case *Dict:
			return len(x.keys), nil
		case undefined, nil:
			return 0, nil
		}
		return nil, fmt.Errorf("jinja: %s has no length", typeName(v))
	case "tojson":
		indent := -1
		if n, ok := arg(0, "indent").(int); ok {
			indent = n
		}
		var sb strings.Builder
		if err := writeJSON(&sb, v, indent, 0); err != nil {
			return nil, err
		}
		return sb.String(), nil
	case "trim":
		return strings.TrimSpace(toString(v)), nil
	case "upper":
		return strings.ToUpper(toString(v)), nil
	case "lower":
		return strings.ToLower(toString(v)), nil
	case "title":
		return title(toString(v)), nil
	case "capitalize":
		return capitalize(toString(v)), nil
	case "string":
		return toString(v), nil
	case "safe", "e", "escape":
		if name == "safe" {
			return v, nil
		}
		s := toString(v)
		r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
		return r.Replace(s), nil
	case "int":
		switch x := v.(type) {
		case int:
			return x, nil
		case float64:
			return int(x), nil
		case string:
			if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
				return n, nil
			}
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return int(f), nil
			}
		case bool:
			if x {
				return 1, nil
			}
		}
		return 0, nil
	case "float":
		if f, ok := number(v); ok {
			return f, nil
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(toString(v)), 64); err == nil {
			return f, nil
		}
		return 0.0, nil
	case "abs":
		switch x := v.(type) {
		case int:
			if x < 0 {
				return -x, nil
			}
			return x, nil
		case float64:
			return math.Abs(x), nil
		}
		return nil, fmt.Errorf("jinja: abs of %s", typeName(v))
	case "round":
		f, ok := number(v)
		if !ok {
			return nil, fmt.Errorf("jinja: round of %s", typeName(v))
		}
		p := 0
		if n, ok := arg(0, "precision").(int); ok {
			p = n
		}
		m := math.Pow(10, float64(p))
		return math.RoundToEven(f*m) / m, nil
	case "default", "d":
		useFalsy := truthy(arg(1, "boolean"))
		if _, undef := v.(undefined); undef || useFalsy && !truthy(v) {
			d := arg(0, "default_value")
			if _, u := d.(undefined); u {
				return "", nil
			}
			return d, nil
		}
		return v, nil
	case "join":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		sep := ""
		if s, ok := arg(0, "d").(string); ok {
			sep = s
		}
		parts := make([]string, len(items))
		for i, x := range items {
			if a, ok := arg(1, "attribute").(string); ok {
				x = getAttr(x, a)
			}
			parts[i] = toString(x)
		}
		return strings.Join(parts, sep), nil
	case "first", "last":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return undefined{}, nil
		}
		if name == "first" {
			return items[0], nil
		}
		return items[len(items)-1], nil
	case "list":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		return append([]any{}, items...), nil
	case "reverse":
		if s, ok := v.(string); ok {
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r), nil
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		for i, x := range items {
			out[len(items)-1-i] = x
		}
		return out, nil
	case "items":
		if d, ok := v.(*Dict); ok {
			return dictMethod(d, "items")(nil, nil)
		}
		return []any{}, nil
	case "dictsort":
		d, ok := v.(*Dict)
		if !ok {
			return nil, fmt.Errorf("jinja: dictsort of %s", typeName(v))
		}
		keys := append([]string{}, d.keys...)
		sort.Strings(keys)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = []any{k, d.m[k]}
		}
		return out, nil
	case "unique":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		var out []any
		for _, x := range items {
			dup := false
			for _, y := range out {
				if equal(x, y) {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, x)
			}
		}
		return out, nil
	case "map":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		for i, x := range items {
			if a, ok := kw["attribute"]; ok {
				out[i] = getAttr(x, toString(a))
				if _, u := out[i].(undefined); u {
					if d, ok := kw["default"]; ok {
						out[i] = d
					}
				}
				continue
			}
			if len(args) == 0 {
				return nil, fmt.Errorf("jinja: map needs a filter name or attribute=")
			}
			if out[i], err = applyFilter(toString(args[0]), x, args[1:], nil); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "select", "reject", "selectattr", "rejectattr":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		byAttr := strings.HasSuffix(name, "attr")
		rest := args
		attrName := ""
		if byAttr {
			if len(args) == 0 {
				return nil, fmt.Errorf("jinja: %s needs an attribute", name)
			}
			attrName, rest = toString(args[0]), args[1:]
		}
		var out []any
		for _, x := range items {
			subject := x
			if byAttr {
				subject = getAttr(x, attrName)
			}
			ok := truthy(subject)
			if len(rest) > 0 {
				if ok, err = applyTest(toString(rest[0]), subject, rest[1:]); err != nil {
					return nil, err
				}
			}
			if ok == strings.HasPrefix(name, "select") {
				out = append(out, x)
			}
		}
		return out, nil
	case "indent":
		width := 4
		if n, ok := arg(0, "width").(int); ok {
			width = n
		}
		pad := strings.Repeat(" ", width)
		lines := strings.Split(toString(v), "\n")
		for i := range lines {
			if i == 0 && !truthy(arg(1, "first")) || lines[i] == "" && !truthy(arg(2, "blank")) {
				continue
			}
			lines[i] = pad + lines[i]
		}
		return strings.Join(lines, "\n"), nil
	case "replace":
		if len(args) < 2 {
			return nil, fmt.Errorf("jinja: replace takes two arguments")
		}
		return strings.ReplaceAll(toString(v), toString(args[0]), toString(args[1])), nil
	case "wordcount":
		return len(strings.Fields(toString(v))), nil
	}
	return nil, fmt.Errorf("jinja: filter %q is not supported", name)
}

func applyTest(name string, v any, args []any) (bool, error) {
	_, undef := v.(undefined)
	switch name {
	case "defined":
		return !undef, nil
	case "undefined":
		return undef, nil
	case "none":
		return v == nil, nil
	case "string":
		_, ok := v.(string)
		return ok, nil
	case "number":
		switch v.(type) {
		case int, float64:
			return true, nil
		}
		return false, nil
	case "integer":
		_, ok := v.(int)
		return ok, nil
	case "float":
		_, ok := v.(float64)
		return ok, nil
	case "boolean":
		_, ok := v.(bool)
		return ok, nil
	case "true":
		return v == true, nil
	case "false":
		return v == false, nil
	case "mapping":
		_, ok := v.(*Dict)
		return ok, nil
	case "sequence", "iterable":
		switch v.(type) {
		case []any, string, *Dict:
			return true, nil
		}
		return false, nil
	case "callable":
		_, ok := v.(function)
		return ok, nil
	case "odd", "even":
		n, ok := v.(int)
		return ok && (n%2 != 0) == (name == "odd"), nil
	case "equalto", "eq", "==", "sameas":
		return len(args) > 0 && equal(v, args[0]), nil
	case "ne", "!=":
		return len(args) > 0 && !equal(v, args[0]), nil
	case "in":
		if len(args) == 0 {
			return false, nil
		}
		return contains(args[0], v)
	case "lower":
		s, ok := v.(string)
		return ok && s == strings.ToLower(s), nil
	case "upper":
		s, ok := v.(string)
		return ok && s == strings.ToUpper(s), nil
	}
	return false, fmt.Errorf("jinja: test %q is not supported", name)
}

// writeJSON writes v as Python's json.dumps(ensure_ascii=False) does:
// ", " and ": " separators, or "," with an indent.
func writeJSON(sb *strings.Builder, v any, indent, depth int) error {
	if depth > 100 {
		return fmt.Errorf("jinja: tojson: nested too deep")
	}
	nl := func(d int) {
		if indent >= 0 {
			sb.WriteString("\n" + strings.Repeat(" ", indent*d))
		}
	}
	itemSep := ", "
	if indent >= 0 {
		itemSep = ","
	}
	switch x := v.(type) {
	case nil, undefined:
		sb.WriteString("null")
	case bool:
		sb.WriteString(strconv.FormatBool(x))
	case int:
		sb.WriteString(strconv.Itoa(x))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Errorf("jinja: tojson: %v", x)
		}
		sb.WriteString(toString(x))
	case string:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			return err
		}
		sb.WriteString(strings.TrimSuffix(buf.String(), "\n"))
	case []any:
		if len(x) == 0 {
			sb.WriteString("[]")
			return nil
		}
		sb.WriteString("[")
		for i, it := range x {
			if i > 0 {
				sb.WriteString(itemSep)
			}
			nl(depth + 1)
			if err := writeJSON(sb, it, indent, depth+1); err != nil {
				return err
			}
		}
		nl(depth)
		sb.WriteString("]")
	case *Dict:
		if len(x.keys) == 0 {
			sb.WriteString("{}")
			return nil
		}
		sb.WriteString("{")
		for i, k := range x.keys {
			if i > 0 {
				sb.WriteString(itemSep)
			}
			nl(depth + 1)
			if err := writeJSON(sb, k, indent, depth+1); err != nil {
				return err
			}
			sb.WriteString(": ")
			if err := writeJSON(sb, x.m[k], indent, depth+1); err != nil {
				return err
			}
		}
		nl(depth)
		sb.WriteString("}")
	default:
		return fmt.Errorf("jinja: tojson: %s", typeName(v))
	}
	return nil
}

// FromJSON decodes JSON into template values, keeping object key order
// (so tojson writes a tool's schema as it was given).
func FromJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("jinja: %w", err)
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("JSON nested deeper than 100")
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '[':
			out := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			_, err := dec.Token()
			return out, err
		case '{':
			d := &Dict{m: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				d.Set(k, v)
			}
			_, err := dec.Token()
			return d, err
		}
	case json.Number:
		if n, err := strconv.Atoi(t.String()); err == nil {
			return n, nil
		}
		return t.Float64()
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", t)
}

// ToJSON writes a template value as compact JSON, keys in order.
func ToJSON(v any) (string, error) {
	var sb strings.Builder
	err := writeJSON(&sb, v, -1, 0)
	return sb.String(), err
}
