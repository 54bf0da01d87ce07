package corpus_test

import (
	"fmt"

	"github.com/ponder-go/ponder/tools/corpus"
)

// The bundled US state facts (2020 census) behind the search tool.
func ExampleStates() {
	states, err := corpus.States()
	if err != nil {
		panic(err)
	}
	for _, s := range states {
		if s.Name == "Alaska" {
			fmt.Println(s.Name, corpus.Group(float64(s.Population), 0))
		}
	}
	// Output: Alaska 733,391
}
