package openai_test

import (
	"context"
	"fmt"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/llm/openai"
)

// The client talks to any OpenAI-compatible server; here Ponder's test
// server stands in for OpenAI, Ollama or vLLM.
func ExampleNew() {
	srv := llmtest.NewServer()
	defer srv.Close()
	srv.Respond = func(req *llmtest.ChatRequest, sample int) llmtest.Reply {
		return llmtest.Reply{Content: "Juneau"}
	}
	m, err := openai.New(openai.WithBaseURL(srv.BaseURL()), openai.WithAPIKey("test"), openai.WithModel("any"))
	if err != nil {
		panic(err)
	}
	resp, err := m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("Capital of Alaska?")}})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Text())
	// Output: Juneau
}
