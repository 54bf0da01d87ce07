package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"

	"github.com/ponder-go/ponder/internal/clip"
	"github.com/ponder-go/ponder/llm"
)

// Calculator evaluates arithmetic for agents, which are bad at it.
//
// It accepts + - * / % ** ^ ( ), the functions sqrt, pow, log (base 10, or
// log(x, base)), ln, exp, abs, round (round(x) or round(x, digits)), floor,
// ceil, min, max, the constants pi and e, numbers with thousands separators
// ("39,538,223"; write "min(1, 234)" with a space to mean two arguments) and
// percentages ("15%" is 0.15, "15% of 80" is 12). Division is real division.
//
// The expression is parsed by github.com/expr-lang/expr's parser and then
// checked and evaluated here, in float64, over a whitelist of node kinds.
// That sidesteps expr's traps for this use: "//" starting a comment (rejected
// before parsing), strings and string building (no string node is accepted),
// 1/0 giving +Inf (reported as division by zero), silent integer overflow
// (all arithmetic is float64) and unbounded work (input length and node count
// are capped; evaluation is a single pass over at most MaxNodes nodes).
type Calculator struct {
	MaxLen   int // longest accepted expression in bytes (default 500)
	MaxNodes int // largest accepted syntax tree (default 200)
}

// InputConstraint makes a constrained agent's calculator input an
// arithmetic expression over numbers copied exactly from context: a number,
// then one or more of an operator and another number ("39,538,223 /
// 733,391"). A small model then cannot invent digits or glue numbers
// together; it only chooses which numbers and which operator. With no
// number in context there is nothing to calculate and no constraint.
func (c *Calculator) InputConstraint(context string) *llm.Constraint {
	seen := map[string]bool{}
	var alts []string
	for _, n := range WrittenNumber.FindAllString(context, -1) {
		n = strings.TrimRight(n, ",")
		if !seen[n] {
			seen[n] = true
			alts = append(alts, regexp.QuoteMeta(n))
		}
	}
	if len(alts) == 0 {
		return nil
	}
	sort.Strings(alts)
	num := "(?:" + strings.Join(alts, "|") + ")"
	return &llm.Constraint{Kind: llm.ConstraintRegex, Regex: num + "(?: [-+*/] " + num + ")+"}
}

// WrittenNumber matches a number as passages, answers and the calculator
// write it: digits with optional thousands separators and decimals
// ("39,538,223", "53.911519").
var WrittenNumber = regexp.MustCompile(`\d[\d,]*(?:\.\d+)?`)

// ParseWrittenNumber reads a number WrittenNumber matches, separators and
// all.
func ParseWrittenNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	return v, err == nil
}

func (c *Calculator) Name() string { return "calculator" }
func (c *Calculator) Description() string {
	return "Evaluates an arithmetic expression, e.g. 39,538,223 / 733,391 or sqrt(2) * 10. Use it for any arithmetic."
}
func (c *Calculator) Schema() json.RawMessage {
	return StringSchema("expression", "an arithmetic expression such as (12 + 3) * 4 / 5")
}

// Call evaluates input. Errors read well as observations:
// "division by zero in '1/0'".
func (c *Calculator) Call(ctx context.Context, input string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	v, err := c.Eval(input)
	if err != nil {
		return "", err
	}
	return FormatNumber(v), nil
}

// ErrCalc is wrapped by every calculator error.
var ErrCalc = errors.New("calculator")

// Eval evaluates input to a number.
func (c *Calculator) Eval(input string) (float64, error) {
	maxLen, maxNodes := c.MaxLen, c.MaxNodes
	if maxLen <= 0 {
		maxLen = 500
	}
	if maxNodes <= 0 {
		maxNodes = 200
	}
	orig := strings.TrimSpace(input)
	fail := func(format string, args ...any) (float64, error) {
		return 0, fmt.Errorf("%w: %s in '%s'", ErrCalc, fmt.Sprintf(format, args...), clip.String(orig, 80))
	}
	if orig == "" {
		return fail("empty expression")
	}
	if len(orig) > maxLen {
		return fail("expression longer than %d characters", maxLen)
	}
	if strings.Contains(orig, "//") {
		return fail("'//' is not an operator (use / for division)")
	}
	if i := strings.IndexAny(orig, "\"'`"); i >= 0 {
		return fail("strings are not allowed (found %q)", orig[i])
	}
	src, err := preprocess(orig)
	if err != nil {
		return fail("%v", err)
	}
	cfg := conf.CreateNew()
	cfg.MaxNodes = uint(maxNodes)
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		msg := err.Error()
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return fail("syntax error: %s", msg)
	}
	e := evaluator{budget: maxNodes}
	v, err := e.eval(tree.Node)
	if err != nil {
		return fail("%v", err)
	}
	if math.IsNaN(v) {
		return fail("result is not a number")
	}
	if math.IsInf(v, 0) {
		return fail("result overflows")
	}
	return v, nil
}

var (
	// 39,538,223 and 1,234.5: thousands groups directly after digits.
	groupedNumber = regexp.MustCompile(`\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b`)
	percentOf     = regexp.MustCompile(`(\d+(?:\.\d+)?)\s*%\s*of\b`)
	percent       = regexp.MustCompile(`(\d+(?:\.\d+)?)%`)
	unicodeOps    = strings.NewReplacer("×", "*", "÷", "/", "−", "-", "–", "-")
)

// preprocess rewrites thousands separators and percentages into plain
// arithmetic.
func preprocess(s string) (string, error) {
	s = unicodeOps.Replace(s)
	s = groupedNumber.ReplaceAllStringFunc(s, func(m string) string { return strings.ReplaceAll(m, ",", "") })
	s = percentOf.ReplaceAllString(s, "($1/100)*")
	// "15%" is a percentage unless a number or "(" follows (then % is modulo).
	var b strings.Builder
	last := 0
	for _, loc := range percent.FindAllStringSubmatchIndex(s, -1) {
		rest := strings.TrimLeft(s[loc[1]:], " ")
		if rest != "" && (rest[0] >= '0' && rest[0] <= '9' || rest[0] == '(' || rest[0] == '.') {
			continue
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString("(" + s[loc[2]:loc[3]] + "/100)")
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

type evaluator struct{ budget int }

var funcs1 = map[string]func(float64) (float64, error){
	"sqrt": func(x float64) (float64, error) {
		if x < 0 {
			return 0, fmt.Errorf("square root of negative number %s", FormatNumber(x))
		}
		return math.Sqrt(x), nil
	},
	"ln": func(x float64) (float64, error) {
		if x <= 0 {
			return 0, fmt.Errorf("logarithm of non-positive number %s", FormatNumber(x))
		}
		return math.Log(x), nil
	},
	"exp":   func(x float64) (float64, error) { return math.Exp(x), nil },
	"abs":   func(x float64) (float64, error) { return math.Abs(x), nil },
	"floor": func(x float64) (float64, error) { return math.Floor(x), nil },
	"ceil":  func(x float64) (float64, error) { return math.Ceil(x), nil },
}

func (e *evaluator) eval(n ast.Node) (float64, error) {
	e.budget--
	if e.budget < 0 {
		return 0, errors.New("expression too large")
	}
	switch n := n.(type) {
	case *ast.IntegerNode:
		return float64(n.Value), nil
	case *ast.FloatNode:
		return n.Value, nil
	case *ast.IdentifierNode:
		switch n.Value {
		case "pi", "PI", "Pi":
			return math.Pi, nil
		case "e", "E":
			return math.E, nil
		}
		return 0, fmt.Errorf("unknown name %q (only numbers, operators and the functions sqrt, pow, log, ln, exp, abs, round, floor, ceil, min, max)", n.Value)
	case *ast.UnaryNode:
		v, err := e.eval(n.Node)
		if err != nil {
			return 0, err
		}
		switch n.Operator {
		case "-":
			return -v, nil
		case "+":
			return v, nil
		}
		return 0, fmt.Errorf("operator %q is not arithmetic", n.Operator)
	case *ast.BinaryNode:
		a, err := e.eval(n.Left)
		if err != nil {
			return 0, err
		}
		b, err := e.eval(n.Right)
		if err != nil {
			return 0, err
		}
		switch n.Operator {
		case "+":
			return a + b, nil
		case "-":
			return a - b, nil
		case "*":
			return a * b, nil
		case "/":
			if b == 0 {
				return 0, errors.New("division by zero")
			}
			return a / b, nil
		case "%":
			if b == 0 {
				return 0, errors.New("modulo by zero")
			}
			return math.Mod(a, b), nil
		case "**", "^":
			if a == 0 && b < 0 {
				return 0, errors.New("division by zero")
			}
			return math.Pow(a, b), nil
		}
		return 0, fmt.Errorf("operator %q is not arithmetic", n.Operator)
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return 0, errors.New("only named functions can be called")
		}
		return e.call(id.Value, n.Arguments)
	case *ast.BuiltinNode:
		return e.call(n.Name, n.Arguments)
	case *ast.StringNode:
		return 0, errors.New("strings are not allowed")
	}
	kind := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."), "Node")
	return 0, fmt.Errorf("%s expressions are not allowed: only numbers, operators and functions", strings.ToLower(kind))
}

func (e *evaluator) call(name string, argNodes []ast.Node) (float64, error) {
	args := make([]float64, len(argNodes))
	for i, a := range argNodes {
		v, err := e.eval(a)
		if err != nil {
			return 0, err
		}
		args[i] = v
	}
	want := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			if lo == hi {
				return fmt.Errorf("%s takes %d argument(s), got %d", name, lo, len(args))
			}
			return fmt.Errorf("%s takes %d to %d arguments, got %d", name, lo, hi, len(args))
		}
		return nil
	}
	name = strings.ToLower(name)
	if f, ok := funcs1[name]; ok {
		if err := want(1, 1); err != nil {
			return 0, err
		}
		return f(args[0])
	}
	switch name {
	case "pow":
		if err := want(2, 2); err != nil {
			return 0, err
		}
		return math.Pow(args[0], args[1]), nil
	case "log", "log10":
		if err := want(1, 2); err != nil {
			return 0, err
		}
		if args[0] <= 0 {
			return 0, fmt.Errorf("logarithm of non-positive number %s", FormatNumber(args[0]))
		}
		if len(args) == 2 {
			if args[1] <= 0 || args[1] == 1 {
				return 0, fmt.Errorf("invalid logarithm base %s", FormatNumber(args[1]))
			}
			return math.Log(args[0]) / math.Log(args[1]), nil
		}
		return math.Log10(args[0]), nil
	case "round":
		if err := want(1, 2); err != nil {
			return 0, err
		}
		if len(args) == 1 {
			return math.Round(args[0]), nil
		}
		return roundDecimal(args[0], int(math.Round(args[1]))), nil
	case "min", "max":
		if len(args) == 0 {
			return 0, fmt.Errorf("%s needs at least one argument", name)
		}
		r := args[0]
		for _, a := range args[1:] {
			if name == "min" {
				r = math.Min(r, a)
			} else {
				r = math.Max(r, a)
			}
		}
		return r, nil
	}
	return 0, fmt.Errorf("unknown function %q", name)
}

// roundDecimal rounds x to digits decimal places the way people do on
// paper: half away from zero on the decimal the number prints as
// (round(1.005, 2) is 1.01, though the float 1.005 is 1.00499999...).
func roundDecimal(x float64, digits int) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) || digits > 15 || digits < -15 {
		return x
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok {
		return x
	}
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(digits))), nil))
	if digits >= 0 {
		r.Mul(r, scale)
	} else {
		r.Quo(r, scale)
	}
	// Half away from zero: add ±1/2 and truncate.
	half := big.NewRat(1, 2)
	if r.Sign() < 0 {
		half.Neg(half)
	}
	r.Add(r, half)
	q := new(big.Int).Quo(r.Num(), r.Denom())
	out := new(big.Rat).SetInt(q)
	if digits >= 0 {
		out.Quo(out, scale)
	} else {
		out.Mul(out, scale)
	}
	f, _ := out.Float64()
	return f
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// FormatNumber prints v for a model: integers in full without exponent or
// separators (up to 1e21), other values rounded to 6 decimal places, tiny
// and huge values in the shortest exact scientific form; never "-0".
func FormatNumber(v float64) string {
	if v == 0 {
		return "0" // also -0
	}
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e21:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) < 1e-4 || math.Abs(v) >= 1e21:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	s := strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return s
}
