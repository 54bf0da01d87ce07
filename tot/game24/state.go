package game24

import (
	"context"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/ponder-go/ponder/tot"
)

// A state is the puzzle's first line ("4 9 10 13") followed by one line per
// step: "4 + 9 = 13 (left: 10 13 13)".

var stepRE = regexp.MustCompile(`^\s*(-?[\d/.]+)\s*([-+*/×÷])\s*(-?[\d/.]+)\s*=\s*(-?[\d/.]+)\s*\(left:\s*([^)]*)\)`)

// Left returns the numbers remaining in a state, and their expressions.
func Left(state string) ([]*big.Rat, []string, error) {
	lines := strings.Split(strings.TrimSpace(state), "\n")
	var vals []*big.Rat
	var exprs []string
	for _, f := range strings.Fields(lines[0]) {
		r, ok := new(big.Rat).SetString(f)
		if !ok {
			return nil, nil, fmt.Errorf("game24: bad number %q in %q", f, lines[0])
		}
		vals = append(vals, r)
		exprs = append(exprs, f)
	}
	for _, l := range lines[1:] {
		m := stepRE.FindStringSubmatch(l)
		if m == nil {
			return nil, nil, fmt.Errorf("game24: cannot read step %q", l)
		}
		a, okA := new(big.Rat).SetString(m[1])
		b, okB := new(big.Rat).SetString(m[3])
		c, okC := new(big.Rat).SetString(m[4])
		if !okA || !okB || !okC {
			return nil, nil, fmt.Errorf("game24: bad numbers in %q", l)
		}
		ia := find(vals, a, -1)
		ib := find(vals, b, ia)
		if ia < 0 || ib < 0 {
			return nil, nil, fmt.Errorf("game24: step %q uses numbers not left (%s)", l, ratList(vals))
		}
		want := apply(a, b, m[2])
		if want == nil || want.Cmp(c) != 0 {
			return nil, nil, fmt.Errorf("game24: step %q is wrong", l)
		}
		ea, eb := exprs[ia], exprs[ib]
		var nv []*big.Rat
		var ne []string
		for k := range vals {
			if k != ia && k != ib {
				nv = append(nv, vals[k])
				ne = append(ne, exprs[k])
			}
		}
		vals = append(nv, c)
		exprs = append(ne, "("+ea+" "+strings.NewReplacer("×", "*", "÷", "/").Replace(m[2])+" "+eb+")")
		if got := strings.Fields(m[5]); len(got) != len(vals) {
			return nil, nil, fmt.Errorf("game24: step %q lists %d numbers left, there are %d", l, len(got), len(vals))
		}
	}
	return vals, exprs, nil
}

func find(vals []*big.Rat, v *big.Rat, skip int) int {
	for i, x := range vals {
		if i != skip && x.Cmp(v) == 0 {
			return i
		}
	}
	return -1
}

func apply(a, b *big.Rat, op string) *big.Rat {
	r := new(big.Rat)
	switch op {
	case "+":
		return r.Add(a, b)
	case "-":
		return r.Sub(a, b)
	case "*", "×":
		return r.Mul(a, b)
	case "/", "÷":
		if b.Sign() == 0 {
			return nil
		}
		return r.Quo(a, b)
	}
	return nil
}

func ratList(vs []*big.Rat) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.RatString()
	}
	return strings.Join(s, " ")
}

// IsSolution: all three steps done and 24 left.
func IsSolution(state string) bool {
	vals, _, err := Left(state)
	return err == nil && len(vals) == 1 && vals[0].Cmp(target) == 0
}

// Answer returns the expression a solved state built, e.g. "((4 + 9) ...)".
func Answer(state string) string {
	vals, exprs, err := Left(state)
	if err != nil || len(vals) != 1 {
		return ""
	}
	return exprs[0]
}

// Proposer is the perfect programmatic generator: every legal next step
// (each ordered pair, each operation, no division by zero), deduplicated.
func Proposer() tot.Generator {
	return tot.GeneratorFunc(func(ctx context.Context, state string) ([]tot.Thought, error) {
		vals, _, err := Left(state)
		if err != nil {
			return nil, err
		}
		if len(vals) < 2 {
			return nil, nil
		}
		seen := map[string]bool{}
		var out []tot.Thought
		for i := range vals {
			for j := range vals {
				if i == j {
					continue
				}
				for _, op := range []string{"+", "-", "*", "/"} {
					if (op == "+" || op == "*") && i > j {
						continue
					}
					c := apply(vals[i], vals[j], op)
					if c == nil {
						continue
					}
					var rest []string
					for k := range vals {
						if k != i && k != j {
							rest = append(rest, vals[k].RatString())
						}
					}
					rest = append(rest, c.RatString())
					step := fmt.Sprintf("%s %s %s = %s (left: %s)", vals[i].RatString(), op, vals[j].RatString(), c.RatString(), strings.Join(rest, " "))
					if seen[step] {
						continue
					}
					seen[step] = true
					out = append(out, tot.Thought{State: state + "\n" + step, Text: step})
				}
			}
		}
		return out, nil
	})
}

// Evaluator is the exact programmatic evaluator: 1 if 24 is still
// reachable from the numbers left, else 0.
func Evaluator() tot.Evaluator {
	return tot.EvaluatorFunc(func(ctx context.Context, state string) (float64, error) {
		vals, _, err := Left(state)
		if err != nil {
			return 0, nil // an invalid step is worthless, not an error
		}
		if solvableRats(vals) {
			return 1, nil
		}
		return 0, nil
	})
}

// Problem returns the ToT problem for numbers with gen and eval.
func Problem(numbers []int, gen tot.Generator, eval tot.Evaluator) tot.Problem {
	return tot.Problem{Initial: FormatNumbers(numbers), Generate: gen, Evaluate: eval, IsSolution: IsSolution, Answer: Answer}
}
