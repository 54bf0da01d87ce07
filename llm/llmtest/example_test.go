package llmtest_test

import (
	"context"
	"fmt"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
)

// A scripted model answers turn by turn, for tests of code around models.
func ExampleReplies() {
	m := llmtest.Replies("first", "second")
	for i := 0; i < 2; i++ {
		resp, _ := m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("?")}})
		fmt.Println(resp.Text())
	}
	// Output:
	// first
	// second
}
