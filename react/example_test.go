package react_test

import (
	"context"
	"fmt"

	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools"
)

// An agent searches, calculates and answers; here a scripted model plays
// the model's part so the example runs anywhere.
func ExampleAgent() {
	model := llmtest.Replies(
		"Thought: I need both populations.\nAction: search[population of California]",
		"Thought: Now Alaska.\nAction: search[population of Alaska]",
		"Thought: Divide.\nAction: calculator[39538223 / 733391]",
		"Thought: That is the ratio.\nFinal Answer: California has about 53.9 times as many people as Alaska.",
	)
	reg, err := tools.Builtin("search", "calculator")
	if err != nil {
		panic(err)
	}
	a := &react.Agent{Model: model, Tools: reg}
	res, err := a.Run(context.Background(), "How many times larger is California's population than Alaska's?")
	if err != nil {
		panic(err)
	}
	for _, s := range res.Steps {
		if s.Action != "" {
			fmt.Printf("%s[%s]\n", s.Action, s.Input)
		}
	}
	fmt.Println(res.Answer)
	// Output:
	// search[population of California]
	// search[population of Alaska]
	// calculator[39538223 / 733391]
	// California has about 53.9 times as many people as Alaska.
}
