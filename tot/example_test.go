package tot_test

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ponder-go/ponder/tot"
)

// Breadth-first Tree of Thought over a toy problem: reach 10 by adding 1,
// 2 or 3, preferring states closer to 10. Real problems generate and
// evaluate with a model (tot.Propose, tot.Value).
func ExampleBFS() {
	p := tot.Problem{
		Initial: "0",
		Generate: tot.GeneratorFunc(func(ctx context.Context, state string) ([]tot.Thought, error) {
			n, _ := strconv.Atoi(state)
			var out []tot.Thought
			for _, d := range []int{1, 2, 3} {
				next := strconv.Itoa(n + d)
				out = append(out, tot.Thought{State: next, Text: "+" + strconv.Itoa(d)})
			}
			return out, nil
		}),
		Evaluate: tot.EvaluatorFunc(func(ctx context.Context, state string) (float64, error) {
			n, _ := strconv.Atoi(state)
			if n > 10 {
				return 0, nil
			}
			return float64(n), nil
		}),
		IsSolution: func(state string) bool { return state == "10" },
	}
	res, err := tot.BFS{Breadth: 2, Depth: 4}.Search(context.Background(), p, tot.Budget{})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Solved, res.Best.State)
	// Output: true 10
}
