package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/trace"
)

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// remote starts an OpenAI-wire server and points the environment at it.
func remote(t *testing.T, respond func(*llmtest.ChatRequest, int) llmtest.Reply) *llmtest.Server {
	t.Helper()
	srv := llmtest.NewServer()
	t.Cleanup(srv.Close)
	srv.Respond = respond
	t.Setenv("OPENAI_BASE_URL", srv.BaseURL())
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("PONDER_MODEL", "")
	return srv
}

func TestAskSelfConsistency(t *testing.T) {
	answers := []string{"149", "149", "151", "149", "149.0"}
	remote(t, func(r *llmtest.ChatRequest, i int) llmtest.Reply {
		return llmtest.Reply{Content: "4 shelves of 35... \nThe answer is " + answers[i] + "."}
	})
	trFile := filepath.Join(t.TempDir(), "t.jsonl")
	out, errs, code := runCLI(t, "ask", "-n", "5", "-trace", trFile, "How many books?")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "sample 3: 151")
	assert.Contains(t, out, "answer: 149 (agreement 80%)")
	f, err := os.Open(trFile)
	require.NoError(t, err)
	defer f.Close()
	spans, err := trace.ReadJSONL(f)
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, s := range spans {
		kinds[s.Kind]++
	}
	assert.Equal(t, 1, kinds[trace.KindChain])
	assert.GreaterOrEqual(t, kinds[trace.KindModel], 1)
}

func TestAskCoTAndDirect(t *testing.T) {
	srv := remote(t, func(r *llmtest.ChatRequest, i int) llmtest.Reply {
		return llmtest.Reply{Content: "Paris is the capital.\nThe answer is Paris."}
	})
	out, errs, code := runCLI(t, "ask", "-cot", "Capital of France?")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "reasoning:\nParis is the capital.")
	assert.Contains(t, out, "answer: Paris\n")
	assert.True(t, strings.HasSuffix(srv.Requests()[0].Messages[1].Text(), "Let's think step by step."))

	out, _, code = runCLI(t, "ask", "Capital of France?")
	require.Equal(t, 0, code)
	assert.Equal(t, "Paris is the capital.\nThe answer is Paris.\n", out)
}

func TestAskErrors(t *testing.T) {
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	_, errs, code := runCLI(t, "ask", "-backend", "local", "-model", "/nonexistent/w.bin", "hi")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "no such file")

	_, errs, code = runCLI(t, "ask")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "usage: ponder ask")

	_, errs, code = runCLI(t, "nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `unknown command "nope"`)

	_, errs, code = runCLI(t, "ask", "-backend", "foo", "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `unknown backend "foo"`)
}

// With only the bundled agent model, commands that need a general model
// stop with exit 1 and say what to do, instead of printing junk.
func TestGeneralCommandsRefuseTheBundledModel(t *testing.T) {
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("PONDER_LOCAL_WEIGHTS", "")
	for _, args := range [][]string{
		{"ask", "What is 2+2?"},
		{"ask", "-cot", "-n", "3", "What is 2+2?"},
		{"tot", "game24", "-puzzle", "4 9 10 13"},
	} {
		out, errs, code := runCLI(t, args...)
		assert.Equal(t, 1, code, "%v: %s", args, out)
		assert.Contains(t, errs, "bundled model is a tiny agent model", args)
		assert.Contains(t, errs, "OPENAI_BASE_URL", args)
		assert.Empty(t, out, args)
	}
}
