package synth_test

import (
	"fmt"

	"github.com/ponder-go/ponder/react/synth"
)

// Invented places with facts: the training world of the bundled agent
// model (real states never appear in its training data).
func ExampleNewWorld() {
	w, err := synth.NewWorld(1, 5)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(w.Places), w.Tools.Names())
	// Output: 5 [search calculator]
}
