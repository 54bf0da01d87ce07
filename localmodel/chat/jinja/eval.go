package jinja

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Template is a parsed template.
type Template struct{ body []node }

// Parse reads a template.
func Parse(src string) (*Template, error) {
	segs, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{segs: segs}
	body, _, err := p.parseBody()
	if err != nil {
		return nil, err
	}
	return &Template{body}, nil
}

// maxOutput bounds what one rendering may write (a template looping on
// itself is an error, not an out-of-memory).
const maxOutput = 16 << 20

// ErrRaised wraps the message of raise_exception().
var ErrRaised = errors.New("template raised an exception")

// Render runs the template with the given variables.
func (t *Template) Render(vars map[string]any) (string, error) {
	r := &runtime{scopes: []map[string]any{globals(), {}}}
	for k, v := range vars {
		r.scopes[1][k] = v
	}
	var sb strings.Builder
	r.out = &sb
	if err := r.exec(t.body); err != nil && err != errBreak && err != errContinue {
		return "", err
	}
	return sb.String(), nil
}

// undefined is a missing variable, attribute or key.
type undefined struct{}

// Dict is a mapping that keeps its keys in insertion order.
type Dict struct {
	keys []string
	m    map[string]any
}

// NewDict makes a Dict from alternating keys and values.
func NewDict(kv ...any) *Dict {
	d := &Dict{m: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		d.Set(kv[i].(string), kv[i+1])
	}
	return d
}

// Set adds or replaces a key.
func (d *Dict) Set(k string, v any) {
	if _, ok := d.m[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.m[k] = v
}

// Get returns a key's value.
func (d *Dict) Get(k string) (any, bool) { v, ok := d.m[k]; return v, ok }

// Keys lists the keys in order.
func (d *Dict) Keys() []string { return d.keys }

// function is a callable value: globals, macros and bound methods.
type function func(args []any, kwargs map[string]any) (any, error)

// loopInfo is the loop variable of a for loop.
type loopInfo struct {
	items []any
	i     int
}

var (
	errBreak    = errors.New("break outside a loop")
	errContinue = errors.New("continue outside a loop")
)

type runtime struct {
	scopes []map[string]any
	out    *strings.Builder
	depth  int
	steps  int
}

// maxSteps bounds the statements one rendering may run (nested loops over
// long ranges end with an error, not a hang).
const maxSteps = 5_000_000

func globals() map[string]any {
	return map[string]any{
		"raise_exception": function(func(args []any, _ map[string]any) (any, error) {
			msg := ""
			if len(args) > 0 {
				msg = toString(args[0])
			}
			return nil, fmt.Errorf("%w: %s", ErrRaised, msg)
		}),
		"namespace": function(func(args []any, kw map[string]any) (any, error) {
			d := &Dict{m: map[string]any{}}
			if len(args) > 0 {
				if src, ok := args[0].(*Dict); ok {
					for _, k := range src.keys {
						d.Set(k, src.m[k])
					}
				}
			}
			for _, k := range sortedKeys(kw) {
				d.Set(k, kw[k])
			}
			return d, nil
		}),
		"range": function(func(args []any, _ map[string]any) (any, error) {
			lo, hi, step := 0, 0, 1
			ints := make([]int, len(args))
			for i, a := range args {
				n, ok := a.(int)
				if !ok {
					return nil, fmt.Errorf("range: %v is not an integer", a)
				}
				ints[i] = n
			}
			switch len(ints) {
			case 1:
				hi = ints[0]
			case 2:
				lo, hi = ints[0], ints[1]
			case 3:
				lo, hi, step = ints[0], ints[1], ints[2]
			default:
				return nil, fmt.Errorf("range takes 1 to 3 arguments")
			}
			if step == 0 || (hi-lo)/step > 1<<20 {
				return nil, fmt.Errorf("range(%d, %d, %d) is too long", lo, hi, step)
			}
			var out []any
			for i := lo; step > 0 && i < hi || step < 0 && i > hi; i += step {
				out = append(out, i)
			}
			return out, nil
		}),
		"strftime_now": function(func(args []any, _ map[string]any) (any, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("strftime_now takes a format")
			}
			return strftime(time.Now(), toString(args[0])), nil
		}),
	}
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (r *runtime) lookup(n string) any {
	for i := len(r.scopes) - 1; i >= 0; i-- {
		if v, ok := r.scopes[i][n]; ok {
			return v
		}
	}
	return undefined{}
}

func (r *runtime) set(n string, v any) { r.scopes[len(r.scopes)-1][n] = v }

func (r *runtime) exec(nodes []node) error {
	for _, n := range nodes {
		if r.out.Len() > maxOutput {
			return fmt.Errorf("jinja: output passed %d bytes", maxOutput)
		}
		if r.steps++; r.steps > maxSteps {
			return fmt.Errorf("jinja: more than %d steps", maxSteps)
		}
		switch n := n.(type) {
		case textNode:
			r.out.WriteString(n.s)
		case outputNode:
			v, err := r.eval(n.x)
			if err != nil {
				return err
			}
			r.out.WriteString(toString(v))
		case ifNode:
			done := false
			for i, c := range n.conds {
				v, err := r.eval(c)
				if err != nil {
					return err
				}
				if truthy(v) {
					if err := r.exec(n.bodies[i]); err != nil {
						return err
					}
					done = true
					break
				}
			}
			if !done {
				if err := r.exec(n.els); err != nil {
					return err
				}
			}
		case forNode:
			if err := r.execFor(n); err != nil {
				return err
			}
		case setNode:
			if err := r.execSet(n); err != nil {
				return err
			}
		case macroNode:
			r.set(n.name, r.macro(n))
		case loopControl:
			if n.brk {
				return errBreak
			}
			return errContinue
		}
	}
	return nil
}

func (r *runtime) execSet(n setNode) error {
	var v any
	var err error
	if n.body != nil {
		saved := r.out
		var sb strings.Builder
		r.out = &sb
		err = r.exec(n.body)
		r.out = saved
		v = sb.String()
	} else {
		v, err = r.eval(n.x)
	}
	if err != nil {
		return err
	}
	switch {
	case len(n.targets) == 0: // {% do %}
		return nil
	case n.attr != "":
		d, ok := r.lookup(n.targets[0]).(*Dict)
		if !ok {
			return fmt.Errorf("jinja: cannot set %s.%s: %s is not a namespace", n.targets[0], n.attr, n.targets[0])
		}
		d.Set(n.attr, v)
	case len(n.targets) == 1:
		r.set(n.targets[0], v)
	default:
		items, ok := v.([]any)
		if !ok || len(items) != len(n.targets) {
			return fmt.Errorf("jinja: cannot unpack %s into %d names", typeName(v), len(n.targets))
		}
		for i, t := range n.targets {
			r.set(t, items[i])
		}
	}
	return nil
}

func (r *runtime) execFor(n forNode) error {
	v, err := r.eval(n.iter)
	if err != nil {
		return err
	}
	all, err := iterate(v)
	if err != nil {
		return err
	}
	r.scopes = append(r.scopes, map[string]any{})
	defer func() { r.scopes = r.scopes[:len(r.scopes)-1] }()
	bind := func(item any) error {
		if len(n.targets) == 1 {
			r.set(n.targets[0], item)
			return nil
		}
		parts, ok := item.([]any)
		if !ok || len(parts) != len(n.targets) {
			return fmt.Errorf("jinja: cannot unpack %s into %d loop variables", typeName(item), len(n.targets))
		}
		for i, t := range n.targets {
			r.set(t, parts[i])
		}
		return nil
	}
	items := all
	if n.cond != nil {
		items = nil
		for _, it := range all {
			if r.steps++; r.steps > maxSteps {
				return fmt.Errorf("jinja: more than %d steps", maxSteps)
			}
			if err := bind(it); err != nil {
				return err
			}
			c, err := r.eval(n.cond)
			if err != nil {
				return err
			}
			if truthy(c) {
				items = append(items, it)
			}
		}
	}
	if len(items) == 0 {
		return r.exec(n.els)
	}
	loop := &loopInfo{items: items}
	for i, it := range items {
		if r.steps++; r.steps > maxSteps {
			return fmt.Errorf("jinja: more than %d steps", maxSteps)
		}
		loop.i = i
		if err := bind(it); err != nil {
			return err
		}
		r.set("loop", loop)
		err := r.exec(n.body)
		if err == errBreak {
			break
		}
		if err != nil && err != errContinue {
			return err
		}
	}
	return nil
}

func (r *runtime) macro(n macroNode) function {
	return func(args []any, kw map[string]any) (any, error) {
		if r.depth > 64 {
			return nil, fmt.Errorf("jinja: macro %s recursed too deep", n.name)
		}
		r.depth++
		defer func() { r.depth-- }()
		scope := map[string]any{}
		for i, p := range n.params {
			switch {
			case i < len(args):
				scope[p] = args[i]
			case kw[p] != nil:
				scope[p] = kw[p]
			case n.defaults[i] != nil:
				v, err := r.eval(n.defaults[i])
				if err != nil {
					return nil, err
				}
				scope[p] = v
			default:
				scope[p] = undefined{}
			}
		}
		saved, savedScopes := r.out, r.scopes
		var sb strings.Builder
		r.out = &sb
		r.scopes = append(append([]map[string]any{}, r.scopes[:2]...), scope)
		err := r.exec(n.body)
		r.out, r.scopes = saved, savedScopes
		return sb.String(), err
	}
}

// iterate lists what a for loop walks: list items, dict keys, string
// characters.
func iterate(v any) ([]any, error) {
	switch v := v.(type) {
	case []any:
		return v, nil
	case *Dict:
		out := make([]any, len(v.keys))
		for i, k := range v.keys {
			out[i] = k
		}
		return out, nil
	case string:
		var out []any
		for _, c := range v {
			out = append(out, string(c))
		}
		return out, nil
	case undefined, nil:
		return nil, nil
	}
	return nil, fmt.Errorf("jinja: %s is not iterable", typeName(v))
}

func (r *runtime) eval(x expr) (any, error) {
	switch x := x.(type) {
	case literal:
		return x.v, nil
	case name:
		return r.lookup(x.s), nil
	case listLit:
		out := make([]any, len(x.items))
		for i, it := range x.items {
			v, err := r.eval(it)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case dictLit:
		d := &Dict{m: map[string]any{}}
		for i := range x.keys {
			k, err := r.eval(x.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := r.eval(x.vals[i])
			if err != nil {
				return nil, err
			}
			d.Set(toString(k), v)
		}
		return d, nil
	case attr:
		v, err := r.eval(x.x)
		if err != nil {
			return nil, err
		}
		return getAttr(v, x.s), nil
	case index:
		v, err := r.eval(x.x)
		if err != nil {
			return nil, err
		}
		i, err := r.eval(x.i)
		if err != nil {
			return nil, err
		}
		return getItem(v, i), nil
	case slice:
		return r.evalSlice(x)
	case call:
		fn, err := r.eval(x.fn)
		if err != nil {
			return nil, err
		}
		args, kw, err := r.evalArgs(x.args, x.kwargs)
		if err != nil {
			return nil, err
		}
		f, ok := fn.(function)
		if !ok {
			return nil, fmt.Errorf("jinja: %s is not callable", describe(x.fn))
		}
		return f(args, kw)
	case filter:
		v, err := r.eval(x.x)
		if err != nil {
			return nil, err
		}
		args, kw, err := r.evalArgs(x.args, x.kwargs)
		if err != nil {
			return nil, err
		}
		return applyFilter(x.name, v, args, kw)
	case test:
		v, err := r.eval(x.x)
		if err != nil {
			return nil, err
		}
		args, _, err := r.evalArgs(x.args, nil)
		if err != nil {
			return nil, err
		}
		ok, err := applyTest(x.name, v, args)
		return ok != x.negate, err
	case unary:
		v, err := r.eval(x.x)
		if err != nil {
			return nil, err
		}
		if x.op == "not" {
			return !truthy(v), nil
		}
		switch n := v.(type) {
		case int:
			return -n, nil
		case float64:
			return -n, nil
		}
		return nil, fmt.Errorf("jinja: cannot negate %s", typeName(v))
	case condExpr:
		c, err := r.eval(x.cond)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return r.eval(x.then)
		}
		return r.eval(x.els)
	case binary:
		l, err := r.eval(x.l)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "and":
			if !truthy(l) {
				return l, nil
			}
			return r.eval(x.r)
		case "or":
			if truthy(l) {
				return l, nil
			}
			return r.eval(x.r)
		}
		rv, err := r.eval(x.r)
		if err != nil {
			return nil, err
		}
		return binop(x.op, l, rv)
	}
	return nil, fmt.Errorf("jinja: cannot evaluate %T", x)
}

func (r *runtime) evalArgs(args []expr, kwargs map[string]expr) ([]any, map[string]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		v, err := r.eval(a)
		if err != nil {
			return nil, nil, err
		}
		out[i] = v
	}
	var kw map[string]any
	for k, a := range kwargs {
		v, err := r.eval(a)
		if err != nil {
			return nil, nil, err
		}
		if kw == nil {
			kw = map[string]any{}
		}
		kw[k] = v
	}
	return out, kw, nil
}

func (r *runtime) evalSlice(x slice) (any, error) {
	v, err := r.eval(x.x)
	if err != nil {
		return nil, err
	}
	bound := func(e expr) (int, bool, error) {
		if e == nil {
			return 0, false, nil
		}
		b, err := r.eval(e)
		if err != nil {
			return 0, false, err
		}
		if b == nil {
			return 0, false, nil
		}
		n, ok := b.(int)
		if !ok {
			return 0, false, fmt.Errorf("jinja: slice bound %v is not an integer", b)
		}
		return n, true, nil
	}
	lo, hasLo, err1 := bound(x.lo)
	hi, hasHi, err2 := bound(x.hi)
	step, hasStep, err3 := bound(x.step)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	if !hasStep {
		step = 1
	}
	if step == 0 {
		return nil, fmt.Errorf("jinja: slice step cannot be zero")
	}
	var items []any
	str, isStr := v.(string)
	if isStr {
		for _, c := range str {
			items = append(items, string(c))
		}
	} else if l, ok := v.([]any); ok {
		items = l
	} else {
		return nil, fmt.Errorf("jinja: cannot slice %s", typeName(v))
	}
	n := len(items)
	norm := func(i int, has bool, def int) int {
		if !has {
			return def
		}
		if i < 0 {
			i += n
		}
		if step > 0 {
			return min(max(i, 0), n)
		}
		return min(max(i, -1), n-1)
	}
	var out []any
	if step > 0 {
		for i := norm(lo, hasLo, 0); i < norm(hi, hasHi, n); i += step {
			out = append(out, items[i])
		}
	} else {
		for i := norm(lo, hasLo, n-1); i > norm(hi, hasHi, -1); i += step {
			out = append(out, items[i])
		}
	}
	if isStr {
		var sb strings.Builder
		for _, c := range out {
			sb.WriteString(c.(string))
		}
		return sb.String(), nil
	}
	if out == nil {
		out = []any{}
	}
	return out, nil
}

func describe(x expr) string {
	switch x := x.(type) {
	case name:
		return x.s
	case attr:
		return describe(x.x) + "." + x.s
	}
	return "value"
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "none"
	case undefined:
		return "undefined"
	case string:
		return "string"
	case int:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case *Dict:
		return "dict"
	case function:
		return "function"
	case *loopInfo:
		return "loop"
	}
	return fmt.Sprintf("%T", v)
}

func truthy(v any) bool {
	switch v := v.(type) {
	case nil, undefined:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case int:
		return v != 0
	case float64:
		return v != 0
	case []any:
		return len(v) > 0
	case *Dict:
		return len(v.keys) > 0
	}
	return true
}

// toString prints a value as Jinja (Python) would.
func toString(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case undefined:
		return ""
	case string:
		return v
	case bool:
		if v {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e16 {
			return strconv.FormatFloat(v, 'f', 1, 64)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = repr(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *Dict:
		parts := make([]string, len(v.keys))
		for i, k := range v.keys {
			parts[i] = repr(k) + ": " + repr(v.m[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func repr(v any) string {
	if s, ok := v.(string); ok {
		return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
	}
	return toString(v)
}

func getAttr(v any, n string) any {
	switch x := v.(type) {
	case *Dict:
		if val, ok := x.m[n]; ok {
			return val
		}
		if m := dictMethod(x, n); m != nil {
			return m
		}
		return undefined{}
	case string:
		if m := stringMethod(x, n); m != nil {
			return m
		}
	case []any:
		if m := listMethod(x, n); m != nil {
			return m
		}
	case *loopInfo:
		return x.attr(n)
	}
	return undefined{}
}

func getItem(v, i any) any {
	switch x := v.(type) {
	case *Dict:
		if val, ok := x.m[toString(i)]; ok {
			return val
		}
		return undefined{}
	case []any:
		n, ok := i.(int)
		if !ok {
			return undefined{}
		}
		if n < 0 {
			n += len(x)
		}
		if n < 0 || n >= len(x) {
			return undefined{}
		}
		return x[n]
	case string:
		n, ok := i.(int)
		if !ok {
			if s, ok := i.(string); ok {
				return getAttr(x, s)
			}
			return undefined{}
		}
		rs := []rune(x)
		if n < 0 {
			n += len(rs)
		}
		if n < 0 || n >= len(rs) {
			return undefined{}
		}
		return string(rs[n])
	case *loopInfo:
		if s, ok := i.(string); ok {
			return x.attr(s)
		}
	}
	return undefined{}
}

func (l *loopInfo) attr(n string) any {
	switch n {
	case "index":
		return l.i + 1
	case "index0":
		return l.i
	case "first":
		return l.i == 0
	case "last":
		return l.i == len(l.items)-1
	case "length":
		return len(l.items)
	case "revindex":
		return len(l.items) - l.i
	case "revindex0":
		return len(l.items) - l.i - 1
	case "previtem":
		if l.i > 0 {
			return l.items[l.i-1]
		}
	case "nextitem":
		if l.i+1 < len(l.items) {
			return l.items[l.i+1]
		}
	case "cycle":
		return function(func(args []any, _ map[string]any) (any, error) {
			if len(args) == 0 {
				return nil, fmt.Errorf("loop.cycle needs arguments")
			}
			return args[l.i%len(args)], nil
		})
	}
	return undefined{}
}

func equal(a, b any) bool {
	switch x := a.(type) {
	case int:
		switch y := b.(type) {
		case int:
			return x == y
		case float64:
			return float64(x) == y
		}
	case float64:
		switch y := b.(type) {
		case int:
			return x == float64(y)
		case float64:
			return x == y
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for _, k := range x.keys {
			if !equal(x.m[k], y.m[k]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	case bool:
		if n {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func binop(op string, l, r any) (any, error) {
	switch op {
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	case "in", "not in":
		in, err := contains(r, l)
		if err != nil {
			return nil, err
		}
		return in == (op == "in"), nil
	case "~":
		return toString(l) + toString(r), nil
	}
	li, lInt := l.(int)
	ri, rInt := r.(int)
	if op == "+" {
		if ls, ok := l.(string); ok {
			if rs, ok := r.(string); ok {
				return ls + rs, nil
			}
		}
		if ll, ok := l.([]any); ok {
			if rl, ok := r.([]any); ok {
				return append(append([]any{}, ll...), rl...), nil
			}
		}
	}
	if op == "*" {
		if s, ok := l.(string); ok && rInt {
			if ri < 0 || len(s)*ri > maxOutput {
				return "", nil
			}
			return strings.Repeat(s, ri), nil
		}
	}
	if ls, ok := l.(string); ok {
		if rs, ok := r.(string); ok {
			switch op {
			case "<":
				return ls < rs, nil
			case ">":
				return ls > rs, nil
			case "<=":
				return ls <= rs, nil
			case ">=":
				return ls >= rs, nil
			}
		}
	}
	lf, ok1 := number(l)
	rf, ok2 := number(r)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("jinja: %s %s %s is not defined", typeName(l), op, typeName(r))
	}
	both := lInt && rInt
	switch op {
	case "+":
		if both {
			return li + ri, nil
		}
		return lf + rf, nil
	case "-":
		if both {
			return li - ri, nil
		}
		return lf - rf, nil
	case "*":
		if both {
			return li * ri, nil
		}
		return lf * rf, nil
	case "/":
		if rf == 0 {
			return nil, fmt.Errorf("jinja: division by zero")
		}
		return lf / rf, nil
	case "//":
		if rf == 0 {
			return nil, fmt.Errorf("jinja: division by zero")
		}
		if both {
			q := li / ri
			if (li%ri != 0) && ((li < 0) != (ri < 0)) {
				q--
			}
			return q, nil
		}
		return math.Floor(lf / rf), nil
	case "%":
		if rf == 0 {
			return nil, fmt.Errorf("jinja: modulo by zero")
		}
		if both {
			m := li % ri
			if m != 0 && (m < 0) != (ri < 0) {
				m += ri
			}
			return m, nil
		}
		return lf - rf*math.Floor(lf/rf), nil
	case "**":
		if both && ri >= 0 {
			return int(math.Pow(lf, rf)), nil
		}
		return math.Pow(lf, rf), nil
	case "<":
		return lf < rf, nil
	case ">":
		return lf > rf, nil
	case "<=":
		return lf <= rf, nil
	case ">=":
		return lf >= rf, nil
	}
	return nil, fmt.Errorf("jinja: unknown operator %s", op)
}

func contains(container, item any) (bool, error) {
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			return false, fmt.Errorf("jinja: 'in <string>' needs a string, not %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	case []any:
		for _, x := range c {
			if equal(x, item) {
				return true, nil
			}
		}
		return false, nil
	case *Dict:
		_, ok := c.m[toString(item)]
		return ok, nil
	case undefined, nil:
		return false, nil
	}
	return false, fmt.Errorf("jinja: %s is not a container", typeName(container))
}

func stringMethod(s, n string) function {
	chars := func(args []any) string {
		if len(args) > 0 && args[0] != nil {
			return toString(args[0])
		}
		return " \t\n\r\v\f"
	}
	switch n {
	case "strip":
		return func(a []any, _ map[string]any) (any, error) { return strings.Trim(s, chars(a)), nil }
	case "lstrip":
		return func(a []any, _ map[string]any) (any, error) { return strings.TrimLeft(s, chars(a)), nil }
	case "rstrip":
		return func(a []any, _ map[string]any) (any, error) { return strings.TrimRight(s, chars(a)), nil }
	case "upper":
		return func([]any, map[string]any) (any, error) { return strings.ToUpper(s), nil }
	case "lower":
		return func([]any, map[string]any) (any, error) { return strings.ToLower(s), nil }
	case "title":
		return func([]any, map[string]any) (any, error) { return title(s), nil }
	case "capitalize":
		return func([]any, map[string]any) (any, error) { return capitalize(s), nil }
	case "startswith", "endswith":
		return func(a []any, _ map[string]any) (any, error) {
			if len(a) != 1 {
				return nil, fmt.Errorf("jinja: %s takes one argument", n)
			}
			prefixes := []any{a[0]}
			if l, ok := a[0].([]any); ok {
				prefixes = l
			}
			for _, p := range prefixes {
				ps := toString(p)
				if n == "startswith" && strings.HasPrefix(s, ps) || n == "endswith" && strings.HasSuffix(s, ps) {
					return true, nil
				}
			}
			return false, nil
		}
	case "split":
		return func(a []any, _ map[string]any) (any, error) {
			limit := -1
			if len(a) > 1 {
				if n, ok := a[1].(int); ok && n >= 0 {
					limit = n + 1
				}
			}
			var parts []string
			if len(a) == 0 || a[0] == nil {
				parts = strings.Fields(s)
			} else {
				sep := toString(a[0])
				if sep == "" {
					return nil, fmt.Errorf("jinja: split with an empty separator")
				}
				parts = strings.SplitN(s, sep, limit)
			}
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		}
	case "replace":
		return func(a []any, _ map[string]any) (any, error) {
			if len(a) < 2 {
				return nil, fmt.Errorf("jinja: replace takes two arguments")
			}
			count := -1
			if len(a) > 2 {
				if c, ok := a[2].(int); ok {
					count = c
				}
			}
			return strings.Replace(s, toString(a[0]), toString(a[1]), count), nil
		}
	case "find":
		return func(a []any, _ map[string]any) (any, error) {
			if len(a) < 1 {
				return nil, fmt.Errorf("jinja: find takes an argument")
			}
			return strings.Index(s, toString(a[0])), nil
		}
	case "count":
		return func(a []any, _ map[string]any) (any, error) {
			if len(a) < 1 {
				return nil, fmt.Errorf("jinja: count takes an argument")
			}
			return strings.Count(s, toString(a[0])), nil
		}
	case "join":
		return func(a []any, _ map[string]any) (any, error) {
			if len(a) < 1 {
				return nil, fmt.Errorf("jinja: join takes an argument")
			}
			items, err := iterate(a[0])
			if err != nil {
				return nil, err
			}
			parts := make([]string, len(items))
			for i, x := range items {
				parts[i] = toString(x)
			}
			return strings.Join(parts, s), nil
		}
	case "isdigit", "isalpha", "isspace", "islower", "isupper":
		return func([]any, map[string]any) (any, error) {
			if s == "" {
				return false, nil
			}
			for _, c := range s {
				ok := map[string]bool{"isdigit": unicode.IsDigit(c), "isalpha": unicode.IsLetter(c), "isspace": unicode.IsSpace(c),
					"islower": !unicode.IsUpper(c), "isupper": !unicode.IsLower(c)}[n]
				if !ok {
					return false, nil
				}
			}
			return true, nil
		}
	}
	return nil
}

func listMethod(l []any, n string) function {
	switch n {
	case "index":
		return func(a []any, _ map[string]any) (any, error) {
			for i, x := range l {
				if len(a) > 0 && equal(x, a[0]) {
					return i, nil
				}
			}
			return nil, fmt.Errorf("jinja: value not in list")
		}
	case "count":
		return func(a []any, _ map[string]any) (any, error) {
			c := 0
			for _, x := range l {
				if len(a) > 0 && equal(x, a[0]) {
					c++
				}
			}
			return c, nil
		}
	}
	return nil
}

func dictMethod(d *Dict, n string) function {
	switch n {
	case "items":
		return func([]any, map[string]any) (any, error) {
			out := make([]any, len(d.keys))
			for i, k := range d.keys {
				out[i] = []any{k, d.m[k]}
			}
			return out, nil
		}
	case "keys":
		return func([]any, map[string]any) (any, error) { return iterate(d) }
	case "values":
		return func([]any, map[string]any) (any, error) {
			out := make([]any, len(d.keys))
			for i, k := range d.keys {
				out[i] = d.m[k]
			}
			return out, nil
		}
	case "get":
		return func(a []any, _ map[string]any) (any, error) {
			if len(a) < 1 {
				return nil, fmt.Errorf("jinja: get takes a key")
			}
			if v, ok := d.m[toString(a[0])]; ok {
				return v, nil
			}
			if len(a) > 1 {
				return a[1], nil
			}
			return nil, nil
		}
	}
	return nil
}

func title(s string) string {
	var sb strings.Builder
	prevLetter := false
	for _, c := range s {
		if prevLetter {
			sb.WriteRune(unicode.ToLower(c))
		} else {
			sb.WriteRune(unicode.ToUpper(c))
		}
		prevLetter = unicode.IsLetter(c) || unicode.IsDigit(c)
	}
	return sb.String()
}

func capitalize(s string) string {
	for i, c := range s {
		return string(unicode.ToUpper(c)) + strings.ToLower(s[i+len(string(c)):])
	}
	return s
}

// strftime formats t with the C directives chat templates use.
func strftime(t time.Time, f string) string {
	var sb strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			sb.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'd':
			sb.WriteString(t.Format("02"))
		case 'b':
			sb.WriteString(t.Format("Jan"))
		case 'B':
			sb.WriteString(t.Format("January"))
		case 'Y':
			sb.WriteString(t.Format("2006"))
		case 'y':
			sb.WriteString(t.Format("06"))
		case 'm':
			sb.WriteString(t.Format("01"))
		case 'H':
			sb.WriteString(t.Format("15"))
		case 'M':
			sb.WriteString(t.Format("04"))
		case 'S':
			sb.WriteString(t.Format("05"))
		case 'a':
			sb.WriteString(t.Format("Mon"))
		case 'A':
			sb.WriteString(t.Format("Monday"))
		case 'j':
			sb.WriteString(fmt.Sprintf("%03d", t.YearDay()))
		case '%':
			sb.WriteByte('%')
		default:
			sb.WriteByte('%')
			sb.WriteByte(f[i])
		}
	}
	return sb.String()
}
