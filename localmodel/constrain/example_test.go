package constrain_test

import (
	"fmt"

	"github.com/ponder-go/ponder/localmodel/constrain"
)

// A constraint compiles to an automaton over bytes; a Matcher turns it into
// token masks for a vocabulary during generation.
func ExampleCompileRegex() {
	p, err := constrain.CompileRegex(`[0-9]{1,3}(,[0-9]{3})*`)
	if err != nil {
		panic(err)
	}
	fmt.Println(constrain.MatchString(p, "39,538,223"), constrain.MatchString(p, "39538,223"))
	// Output: true false
}
