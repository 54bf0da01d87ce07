package game24_test

import (
	"fmt"

	"github.com/ponder-go/ponder/tot/game24"
)

// The exact solver and checker behind the Game of 24 experiments.
func ExampleSolve() {
	answer := game24.Solve([]int{4, 9, 10, 13})
	fmt.Println(game24.Verify(answer, []int{4, 9, 10, 13}) == nil)
	// Output: true
}
