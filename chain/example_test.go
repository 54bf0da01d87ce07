package chain_test

import (
	"context"
	"fmt"

	"github.com/ponder-go/ponder/chain"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
)

// Chain-of-thought with answer extraction. The scripted model stands in for
// any llm.Model (llm/openai, the local runtime).
func ExampleCoT() {
	model := llmtest.Replies("There are 3 cars and 2 more arrive, so 3 + 2 = 5. The answer is 5.")
	cot := &chain.CoT{Model: model}
	r, err := cot.Run(context.Background(), "If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Answer)
	// Output: 5
}

// Self-consistency: sample several reasoning paths and vote.
func ExampleSelfConsistency() {
	paths := []string{"... The answer is 18.", "... The answer is 18.", "... The answer is 26.", "... so $18.00 in all. The answer is 18."}
	model := &llmtest.Scripted{Rules: []llmtest.Rule{{ReplyFunc: func(_ llm.Request, i int) string { return paths[i] }}}}
	sc := &chain.SelfConsistency{CoT: &chain.CoT{Model: model}, N: 4}
	v, err := sc.Run(context.Background(), "Janet's ducks lay 16 eggs per day...")
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Answer, v.Counts, v.Agreement)
	// Output: 18 map[18:3 26:1] 0.75
}

// A template reports a missing variable by name.
func ExampleTemplate() {
	t := chain.MustTemplate("q", "Q: {{.question}}")
	_, err := t.Render(map[string]any{})
	fmt.Println(err)
	// Output: chain: template "q": missing variable "question"
}
