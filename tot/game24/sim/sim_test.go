package sim_test

import (
	"context"
	"fmt"

	"github.com/ponder-go/ponder/tot/game24"
	"github.com/ponder-go/ponder/tot/game24/sim"
)

// A perfect simulated player solves a puzzle with Tree of Thought search.
func Example() {
	res, err := game24.Run(context.Background(), sim.New(1), "tot-b1", []int{4, 9, 10, 13})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Solved)
	// Output: true
}
