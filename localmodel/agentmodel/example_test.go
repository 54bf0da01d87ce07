package agentmodel_test

import (
	"fmt"

	"github.com/ponder-go/ponder/localmodel/agentmodel"
)

// The bundled 0.9M-parameter agent model, embedded in the module.
func ExampleLoad() {
	m, err := agentmodel.Load()
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Arch, m.Net.VocabSize(), m.Net.ContextLength())
	// Output: gpt2 512 512
}
