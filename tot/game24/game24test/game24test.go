// Package game24test serves the simulated Game of 24 player (package sim)
// behind an OpenAI-wire test server, so tests and benchmarks exercise the
// whole HTTP path.
package game24test

import (
	"net/http"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/llm/openai"
	"github.com/ponder-go/ponder/tot/game24/sim"
)

// Serve starts an in-process OpenAI-wire server playing sim.Reply with the
// given skill and returns a client for it and a function that stops both.
func Serve(skill float64) (llm.Model, func(), error) {
	srv := llmtest.NewServer()
	srv.Respond = Model(skill)
	tr := &http.Transport{}
	m, err := openai.New(openai.WithBaseURL(srv.BaseURL()), openai.WithHTTPClient(&http.Client{Transport: tr}))
	return m, func() { tr.CloseIdleConnections(); srv.Close() }, err
}

// Model returns a Respond function for llmtest.Server.
func Model(skill float64) func(req *llmtest.ChatRequest, sample int) llmtest.Reply {
	return func(req *llmtest.ChatRequest, sample int) llmtest.Reply {
		return llmtest.Reply{Content: sim.Reply(req.Messages[len(req.Messages)-1].Text(), sample, skill)}
	}
}
