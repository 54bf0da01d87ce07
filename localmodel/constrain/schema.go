package constrain

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp/syntax"
	"sort"
	"strings"
	"unicode"
)

// JSON schemas compile straight to NFA fragments whose matches are exactly
// the minimal-whitespace JSON texts valid for the schema.
//
// Supported: type object (properties, emitted in the schema's order, all
// present, as in OpenAI's strict mode; additionalProperties must be false or
// absent), string (enum, const, pattern, minLength, maxLength: on the
// decoded string, the JSON text escaping it correctly), integer and number
// (minimum, maximum, exclusiveMinimum, exclusiveMaximum with integer
// bounds), boolean, null, array (items, minItems, maxItems), enum and const
// of any type, type lists. Anything else is an ErrUnsupported error naming
// the keyword and where it is; an invalid value (minLength -5, an empty
// enum) is an error naming it too. A pattern must match the whole string
// (as if anchored: generation needs an end).

// maxLengthBound bounds minLength/maxLength/maxItems (the automaton grows
// with them).
const maxLengthBound = 10000

var supported = map[string]bool{"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "minItems": true, "maxItems": true, "enum": true, "const": true, "pattern": true,
	"minLength": true, "maxLength": true, "description": true, "title": true, "$schema": true, "default": true, "examples": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true}

// schemaNFA parses a schema and adds its fragment.
func (n *nfa) schemaNFA(schema []byte) (frag, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(schema)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return frag{}, fmt.Errorf("constrain: schema is not valid JSON: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return frag{}, fmt.Errorf("constrain: schema must be an object")
	}
	return n.schema(m, "$", propertyOrder(schema))
}

func (n *nfa) schema(s map[string]any, path string, order map[string][]string) (frag, error) {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !supported[k] {
			return frag{}, fmt.Errorf("%w: schema keyword %q at %s", ErrUnsupported, k, path)
		}
	}
	if c, ok := s["const"]; ok {
		b, _ := json.Marshal(c)
		return n.literal(b), nil
	}
	if e, ok := s["enum"]; ok {
		vals, ok := e.([]any)
		if !ok || len(vals) == 0 {
			return frag{}, fmt.Errorf("constrain: enum at %s must be a non-empty array", path)
		}
		fs := make([]frag, len(vals))
		for i, x := range vals {
			b, _ := json.Marshal(x)
			fs[i] = n.literal(b)
		}
		return n.alt(fs...), nil
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
		return frag{}, fmt.Errorf("%w: schema without type, enum or const at %s", ErrUnsupported, path)
	}
	if len(types) == 0 {
		return frag{}, fmt.Errorf("constrain: type at %s names no type", path)
	}
	var fs []frag
	for _, t := range types {
		f, err := n.typed(t, s, path, order)
		if err != nil {
			return frag{}, err
		}
		fs = append(fs, f)
	}
	return n.alt(fs...), nil
}

// intKey reads a non-negative integer keyword (present: ok).
func intKey(s map[string]any, k, path string) (int, bool, error) {
	v, ok := s[k]
	if !ok {
		return 0, false, nil
	}
	num, isNum := v.(json.Number)
	x, err := num.Int64()
	if !isNum || err != nil || x < 0 || x > maxLengthBound {
		return 0, false, fmt.Errorf("constrain: %s at %s must be an integer from 0 to %d, got %v", k, path, maxLengthBound, v)
	}
	return int(x), true, nil
}

func (n *nfa) typed(t string, s map[string]any, path string, order map[string][]string) (frag, error) {
	switch t {
	case "string":
		return n.jsonString(s, path)
	case "integer", "number":
		return n.number(t == "integer", s, path)
	case "boolean":
		return n.alt(n.literal([]byte("true")), n.literal([]byte("false"))), nil
	case "null":
		return n.literal([]byte("null")), nil
	case "array":
		items, ok := s["items"].(map[string]any)
		if !ok {
			return frag{}, fmt.Errorf("%w: array without an items schema at %s", ErrUnsupported, path)
		}
		lo, _, err1 := intKey(s, "minItems", path)
		hi, hasHi, err2 := intKey(s, "maxItems", path)
		if err := errors.Join(err1, err2); err != nil {
			return frag{}, err
		}
		if hasHi && hi < lo {
			return frag{}, fmt.Errorf("constrain: maxItems %d < minItems %d at %s", hi, lo, path)
		}
		item := func() (frag, error) { return n.schema(items, path+"[]", order) }
		open, closeB := n.literal([]byte("[")), n.literal([]byte("]"))
		if hasHi && hi == 0 {
			return n.concat(open, closeB), nil
		}
		first, err := item()
		if err != nil {
			return frag{}, err
		}
		rest, err := n.repeat(func() (frag, error) {
			f, err := item()
			if err != nil {
				return frag{}, err
			}
			return n.concat(n.literal([]byte(",")), f), nil
		}, max(lo-1, 0), hi-1, hasHi)
		if err != nil {
			return frag{}, err
		}
		body := n.concat(first, rest)
		if lo == 0 {
			body = n.optional(body)
		}
		return n.concat(open, body, closeB), nil
	case "object":
		if ap, ok := s["additionalProperties"]; ok && ap != false {
			return frag{}, fmt.Errorf("%w: additionalProperties other than false at %s", ErrUnsupported, path)
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
		parts := []frag{n.literal([]byte("{"))}
		for i, name := range names {
			ps, ok := props[name].(map[string]any)
			if !ok {
				return frag{}, fmt.Errorf("constrain: property %q at %s is not a schema", name, path)
			}
			f, err := n.schema(ps, path+"."+name, order)
			if err != nil {
				return frag{}, err
			}
			key, _ := json.Marshal(name)
			sep := ""
			if i > 0 {
				sep = ","
			}
			parts = append(parts, n.literal([]byte(sep+string(key)+":")), f)
		}
		parts = append(parts, n.literal([]byte("}")))
		return n.concat(parts...), nil
	}
	return frag{}, fmt.Errorf("%w: type %q at %s", ErrUnsupported, t, path)
}

// optional makes f skippable.
func (n *nfa) optional(f frag) frag {
	in, out := n.add(), n.add()
	n.epsilon(in, f.in)
	n.epsilon(f.out, out)
	n.epsilon(in, out)
	return frag{in, out}
}

// repeat concatenates lo required and (hi-lo) optional copies of mk's
// fragment, or lo copies and a loop when the count is unbounded.
func (n *nfa) repeat(mk func() (frag, error), lo, hi int, bounded bool) (frag, error) {
	tooBig := fmt.Errorf("%w: more than %d automaton states", ErrTooComplex, MaxNFAStates)
	// Measure one copy first: a repetition that cannot fit fails at once.
	copies := lo + 1
	if bounded {
		copies = max(hi, lo)
	}
	before := len(n.trans)
	probe, err := mk()
	if err != nil {
		return frag{}, err
	}
	if per := len(n.trans) - before; per*copies > MaxNFAStates-before {
		return frag{}, tooBig
	}
	var fs []frag
	if lo > 0 {
		fs = append(fs, probe)
	}
	for i := 1; i < lo; i++ {
		f, err := mk()
		if err != nil {
			return frag{}, err
		}
		if n.full {
			return frag{}, tooBig
		}
		fs = append(fs, f)
	}
	if !bounded {
		f, err := mk()
		if err != nil {
			return frag{}, err
		}
		in, out := n.add(), n.add()
		n.epsilon(in, f.in)
		n.epsilon(f.out, out)
		n.epsilon(in, out)
		n.epsilon(f.out, f.in)
		fs = append(fs, frag{in, out})
	} else {
		// Optional copies nest, so "a(b(c)?)?" stays linear.
		var tail *frag
		for i := hi; i > lo; i-- {
			f, err := mk()
			if err != nil {
				return frag{}, err
			}
			if n.full {
				return frag{}, tooBig
			}
			if tail != nil {
				f = n.concat(f, *tail)
			}
			o := n.optional(f)
			tail = &o
		}
		if tail != nil {
			fs = append(fs, *tail)
		}
	}
	if len(fs) == 0 {
		s := n.add()
		return frag{s, s}, nil
	}
	return n.concat(fs...), nil
}

// jsonString adds a JSON string (quotes included) whose decoded value
// satisfies the schema's pattern or length bounds.
func (n *nfa) jsonString(s map[string]any, path string) (frag, error) {
	lo, hasLo, err1 := intKey(s, "minLength", path)
	hi, hasHi, err2 := intKey(s, "maxLength", path)
	if err := errors.Join(err1, err2); err != nil {
		return frag{}, err
	}
	if hasLo && hasHi && hi < lo {
		return frag{}, fmt.Errorf("constrain: maxLength %d < minLength %d at %s", hi, lo, path)
	}
	quote := func() frag { return n.literal([]byte(`"`)) }
	if p, ok := s["pattern"]; ok {
		ps, isStr := p.(string)
		if !isStr {
			return frag{}, fmt.Errorf("constrain: pattern at %s must be a string", path)
		}
		if hasLo || hasHi {
			return frag{}, fmt.Errorf("%w: pattern together with minLength/maxLength at %s (put the length in the pattern)", ErrUnsupported, path)
		}
		re, err := syntax.Parse(ps, syntax.Perl)
		if err != nil {
			return frag{}, fmt.Errorf("constrain: pattern at %s: %w", path, err)
		}
		body, err := n.regexChars(re, (*nfa).jsonChar) // not Simplify: it would unroll {n} before the size check
		if err != nil {
			return frag{}, fmt.Errorf("pattern at %s: %w", path, err)
		}
		return n.concat(quote(), body, quote()), nil
	}
	any := []rune{0, unicode.MaxRune}
	body, err := n.repeat(func() (frag, error) { return n.jsonChar(any), nil }, lo, hi, hasHi)
	if err != nil {
		return frag{}, err
	}
	return n.concat(quote(), body, quote()), nil
}

// jsonChar adds one character of a JSON string from the rune ranges,
// written as JSON writes it: itself, or escaped (quote, backslash, control
// characters as \n-style or \u00XX escapes).
func (n *nfa) jsonChar(ranges []rune) frag {
	var plain []rune // ranges minus '"', '\\' and controls
	var special []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for _, c := range []rune{'"', '\\'} {
			if lo <= c && c <= hi {
				special = append(special, c)
			}
		}
		for c := lo; c <= hi && c < 0x20; c++ {
			special = append(special, c)
		}
		for _, r := range [][2]rune{{max(lo, 0x20), min(hi, '"'-1)}, {max(lo, '"'+1), min(hi, '\\'-1)}, {max(lo, '\\'+1), hi}} {
			if r[0] <= r[1] {
				plain = append(plain, r[0], r[1])
			}
		}
	}
	var fs []frag
	if len(plain) > 0 {
		fs = append(fs, n.runeRanges(plain))
	}
	if len(special) > 0 {
		// One backslash, then what may follow it: the short escapes and
		// \u00XX with the hex digits grouped by high nibble (a handful of
		// states however many control characters the class holds).
		short := map[rune]byte{'"': '"', '\\': '\\', '\n': 'n', '\t': 't', '\r': 'r', '\b': 'b', '\f': 'f'}
		var alts []frag
		var lows [2][]rune
		for _, c := range special {
			if e, ok := short[c]; ok {
				alts = append(alts, n.literal([]byte{e}))
			}
			if c < 0x20 {
				d := "0123456789abcdef"[c&0xf]
				lows[c>>4] = append(lows[c>>4], rune(d), rune(d))
				if u := strings.ToUpper(string(d)); u != string(d) {
					lows[c>>4] = append(lows[c>>4], rune(u[0]), rune(u[0]))
				}
			}
		}
		for h, l := range lows {
			if len(l) > 0 {
				alts = append(alts, n.concat(n.literal([]byte{'u', '0', '0', "01"[h]}), n.runeRanges(l)))
			}
		}
		fs = append(fs, n.concat(n.literal([]byte{'\\'}), n.alt(alts...)))
	}
	if len(fs) == 0 {
		return frag{n.add(), n.add()} // matches nothing
	}
	return n.alt(fs...)
}

// regexChars builds a regex whose character-producing nodes emit through
// char (JSON-escaped characters for string patterns).
func (n *nfa) regexChars(re *syntax.Regexp, char func(*nfa, []rune) frag) (frag, error) {
	switch re.Op {
	case syntax.OpLiteral:
		var fs []frag
		for _, r := range re.Rune {
			rs := []rune{r, r}
			if re.Flags&syntax.FoldCase != 0 {
				rs = foldRanges(r)
			}
			fs = append(fs, char(n, rs))
		}
		return n.concat(fs...), nil
	case syntax.OpCharClass:
		return char(n, re.Rune), nil
	case syntax.OpAnyChar:
		return char(n, []rune{0, unicode.MaxRune}), nil
	case syntax.OpAnyCharNotNL:
		return char(n, []rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune}), nil
	case syntax.OpCapture:
		return n.regexChars(re.Sub[0], char)
	case syntax.OpConcat, syntax.OpAlternate:
		fs := make([]frag, 0, len(re.Sub))
		for _, s := range re.Sub {
			f, err := n.regexChars(s, char)
			if err != nil {
				return frag{}, err
			}
			fs = append(fs, f)
		}
		if re.Op == syntax.OpConcat {
			return n.concat(fs...), nil
		}
		return n.alt(fs...), nil
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		lo, hi, bounded := 0, 1, true
		switch re.Op {
		case syntax.OpStar:
			bounded = false
		case syntax.OpPlus:
			lo, bounded = 1, false
		}
		return n.repeat(func() (frag, error) { return n.regexChars(re.Sub[0], char) }, lo, hi, bounded)
	case syntax.OpRepeat:
		if re.Min > maxLengthBound || re.Max > maxLengthBound {
			return frag{}, fmt.Errorf("%w: repetition {%d,%d} above %d", ErrUnsupported, re.Min, re.Max, maxLengthBound)
		}
		return n.repeat(func() (frag, error) { return n.regexChars(re.Sub[0], char) }, re.Min, re.Max, re.Max >= 0)
	}
	return n.regex(re) // anchors, empty match, no match: no characters
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
