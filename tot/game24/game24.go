// Package game24 is the Game of 24 for Tree of Thought: four numbers,
// combine them with + - * / (each used once) to make 24. It has an exact
// verifier and solver in rational arithmetic (so 8/(3-8/3) counts), the
// step-by-step state format of the ToT paper ("4 + 9 = 13 (left: 10 13
// 13)"), a perfect programmatic proposer and evaluator, and model-backed
// prompts written for Ponder.
package game24

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

var target = big.NewRat(24, 1)

// Verify checks that expression uses exactly the numbers of the puzzle,
// each once, with + - * / and parentheses, and equals 24 exactly.
func Verify(expression string, numbers []int) error {
	expression = strings.NewReplacer("×", "*", "÷", "/", "−", "-").Replace(strings.TrimSpace(expression))
	if i := strings.Index(expression, "="); i >= 0 {
		expression = expression[:i] // "... = 24"
	}
	if expression == "" || strings.Contains(expression, "//") {
		return errors.New("game24: empty or malformed expression")
	}
	tree, err := parser.Parse(expression)
	if err != nil {
		return fmt.Errorf("game24: cannot parse %q: %v", expression, firstLine(err.Error()))
	}
	var used []int
	v, err := evalRat(tree.Node, &used)
	if err != nil {
		return fmt.Errorf("game24: %q: %w", expression, err)
	}
	a, b := append([]int(nil), used...), append([]int(nil), numbers...)
	sort.Ints(a)
	sort.Ints(b)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		return fmt.Errorf("game24: %q uses %v, the puzzle has %v", expression, a, b)
	}
	if v.Cmp(target) != 0 {
		return fmt.Errorf("game24: %q = %s, not 24", expression, v.RatString())
	}
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func evalRat(n ast.Node, used *[]int) (*big.Rat, error) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		*used = append(*used, n.Value)
		return big.NewRat(int64(n.Value), 1), nil
	case *ast.UnaryNode:
		if n.Operator == "-" {
			return nil, errors.New("negative numbers are not allowed")
		}
		return nil, fmt.Errorf("operator %q is not allowed", n.Operator)
	case *ast.BinaryNode:
		a, err := evalRat(n.Left, used)
		if err != nil {
			return nil, err
		}
		b, err := evalRat(n.Right, used)
		if err != nil {
			return nil, err
		}
		r := new(big.Rat)
		switch n.Operator {
		case "+":
			return r.Add(a, b), nil
		case "-":
			return r.Sub(a, b), nil
		case "*":
			return r.Mul(a, b), nil
		case "/":
			if b.Sign() == 0 {
				return nil, errors.New("division by zero")
			}
			return r.Quo(a, b), nil
		}
		return nil, fmt.Errorf("operator %q is not allowed", n.Operator)
	}
	return nil, fmt.Errorf("only integers and + - * / are allowed")
}

// item is a remaining number with the expression that made it.
type item struct {
	v    *big.Rat
	expr string
}

// Solve returns one expression making 24 from numbers, or "" if none exists.
func Solve(numbers []int) string {
	items := make([]item, len(numbers))
	for i, n := range numbers {
		items[i] = item{big.NewRat(int64(n), 1), strconv.Itoa(n)}
	}
	return solve(items)
}

func solve(items []item) string {
	if len(items) == 1 {
		if items[0].v.Cmp(target) == 0 {
			return items[0].expr
		}
		return ""
	}
	for i := 0; i < len(items); i++ {
		for j := 0; j < len(items); j++ {
			if i == j {
				continue
			}
			rest := make([]item, 0, len(items)-1)
			for k := range items {
				if k != i && k != j {
					rest = append(rest, items[k])
				}
			}
			for _, c := range combine(items[i], items[j], i < j) {
				if s := solve(append(rest, c)); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

// combine applies each operation to a and b (commutative ones only once,
// when first is set).
func combine(a, b item, first bool) []item {
	var out []item
	if first {
		out = append(out, item{new(big.Rat).Add(a.v, b.v), "(" + a.expr + " + " + b.expr + ")"})
		out = append(out, item{new(big.Rat).Mul(a.v, b.v), a.expr + " * " + b.expr})
	}
	out = append(out, item{new(big.Rat).Sub(a.v, b.v), "(" + a.expr + " - " + b.expr + ")"})
	if b.v.Sign() != 0 {
		out = append(out, item{new(big.Rat).Quo(a.v, b.v), "(" + a.expr + ") / (" + b.expr + ")"})
	}
	return out
}

// Solvable reports whether the numbers (rationals) can make 24.
func solvableRats(vs []*big.Rat) bool {
	items := make([]item, len(vs))
	for i, v := range vs {
		items[i] = item{v, v.RatString()}
	}
	return solve(items) != ""
}

// AllPuzzles returns every multiset of four numbers from 1 to 13 that can
// make 24, in ascending order.
func AllPuzzles() [][]int {
	var out [][]int
	for a := 1; a <= 13; a++ {
		for b := a; b <= 13; b++ {
			for c := b; c <= 13; c++ {
				for d := c; d <= 13; d++ {
					if Solve([]int{a, b, c, d}) != "" {
						out = append(out, []int{a, b, c, d})
					}
				}
			}
		}
	}
	return out
}

// ParsePuzzle reads "4 9 10 13" (spaces or commas).
func ParsePuzzle(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	if len(fields) != 4 {
		return nil, fmt.Errorf("game24: puzzle %q: want 4 numbers, got %d", s, len(fields))
	}
	out := make([]int, 4)
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 99 {
			return nil, fmt.Errorf("game24: puzzle %q: %q is not a number from 1 to 99", s, f)
		}
		out[i] = n
	}
	return out, nil
}

// ReadPuzzles reads one puzzle per line, or the CSV layout of the ToT
// repository (Rank,Puzzles,AMT (s),Solved rate,...), skipping a header.
func ReadPuzzles(text string) ([][]int, error) {
	var out [][]int
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || i == 0 && strings.Contains(strings.ToLower(line), "puzzles") {
			continue
		}
		if strings.Contains(line, ",") && len(strings.Split(line, ",")) > 2 {
			line = strings.Split(line, ",")[1] // CSV: the Puzzles column
		}
		p, err := ParsePuzzle(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// Load picks puzzles: the one given, else n spread evenly over the file's
// (all when n <= 0), else the ToT paper's example 4 9 10 13.
func Load(one, file string, n int) ([][]int, error) {
	if one != "" {
		p, err := ParsePuzzle(one)
		if err != nil {
			return nil, err
		}
		return [][]int{p}, nil
	}
	if file == "" {
		return [][]int{{4, 9, 10, 13}}, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	all, err := ReadPuzzles(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if n <= 0 || n >= len(all) {
		return all, nil
	}
	out := make([][]int, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, all[i*len(all)/n])
	}
	return out, nil
}

// FormatNumbers prints numbers as "4 9 10 13".
func FormatNumbers(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " ")
}
