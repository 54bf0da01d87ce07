package localmodel_test

import (
	"context"
	"fmt"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/agentmodel"
)

// The local runtime as an llm.Model: the bundled agent model, its output
// constrained to a choice.
func ExampleBackend() {
	m, err := agentmodel.Load()
	if err != nil {
		panic(err)
	}
	b := &localmodel.Backend{Model: m, Name: agentmodel.Name}
	resp, err := b.Generate(context.Background(), llm.Request{
		Messages:   []llm.Message{llm.User("Question: Is Alaska a US state?\nAnswer:")},
		Constraint: &llm.Constraint{Kind: llm.ConstraintChoice, Choices: []string{" yes", " no"}},
	})
	if err != nil {
		panic(err)
	}
	text := resp.Text()
	fmt.Println(text == " yes" || text == " no")
	// Output: true
}
