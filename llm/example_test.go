package llm_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ponder-go/ponder/llm"
)

// Any function can be a Model; llm.Generate adds validation, retries of
// constraint violations and tracing around it.
func ExampleModelFunc() {
	echo := llm.ModelFunc(func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		return &llm.Response{Choices: []llm.Choice{{Text: strings.ToUpper(req.Messages[0].Content)}}}, nil
	})
	resp, err := llm.Generate(context.Background(), echo, llm.Request{Messages: []llm.Message{llm.User("hello")}})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Text())
	// Output: HELLO
}
