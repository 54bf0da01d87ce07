package serve_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/openai"
	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/agentmodel"
	"github.com/ponder-go/ponder/serve"
)

// Serve a local model over the OpenAI wire and call it with Ponder's
// OpenAI client (any OpenAI SDK works the same).
func ExampleNew() {
	m, err := agentmodel.Load()
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(serve.New(&localmodel.Backend{Model: m, Name: "tiny"}, serve.Config{ModelName: "tiny"}))
	defer srv.Close()
	client, err := openai.New(openai.WithBaseURL(srv.URL+"/v1"), openai.WithAPIKey("unused"), openai.WithModel("tiny"))
	if err != nil {
		panic(err)
	}
	resp, err := client.Generate(context.Background(), llm.Request{
		Messages:   []llm.Message{llm.User("Pick one")},
		Constraint: &llm.Constraint{Kind: llm.ConstraintJSONSchema, Name: "pick", Schema: []byte(`{"enum":["red","green"]}`)},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Text() == `"red"` || resp.Text() == `"green"`)
	// Output: true
}
