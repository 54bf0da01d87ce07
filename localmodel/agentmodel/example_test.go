package agentmodel_test

import (
	"context"
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

// The bundled agent, set up the way the model was trained, answering the
// flagship question offline; questions as people type them are read onto
// the trained wording, and what it cannot answer is refused.
func ExampleAgent() {
	agent, err := agentmodel.Agent()
	if err != nil {
		panic(err)
	}
	for _, q := range []string{
		"How many times larger is California's population than Alaska's?",
		"which is bigger, montana or NV",
		"What is the capital of Vermont?",
		"Who is the governor of Ohio?",
	} {
		res, err := agent.Run(context.Background(), q)
		if err != nil {
			panic(err)
		}
		fmt.Println(res.Answer[:min(len(res.Answer), 60)])
	}
	// Output:
	// California's population is about 53.9 times Alaska's.
	// Montana has a larger area: Montana's area is about 1.3 times
	// The capital of Vermont is Montpelier.
	// I could not answer that. I answer questions about the popula
}
