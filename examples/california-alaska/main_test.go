package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/react/reacttest"
	"github.com/ponder-go/ponder/tools/corpus"
)

// The example end to end against an OpenAI-wire server that plays a
// sensible agent: search, search, calculate, answer.
func TestExampleOverTheWire(t *testing.T) {
	srv := llmtest.NewServer()
	defer srv.Close()
	srv.Respond = reacttest.StatesAgent()
	t.Setenv("OPENAI_BASE_URL", srv.BaseURL())
	t.Setenv("OPENAI_API_KEY", "")

	st := map[string]corpus.State{}
	all, err := corpus.States()
	require.NoError(t, err)
	for _, s := range all {
		st[s.Name] = s
	}
	cases := []struct {
		args []string
		want []string
	}{
		{nil, []string{"Action: search[population of California]", "39,538,223", "Action: calculator[39,538,223 / 733,391]", "Observation: 53.911519", "Answer: California's population is about 53.9 times Alaska's."}},
		{[]string{"-native"}, []string{"Action: search[population of Alaska]", "Observation: 53.911519", "about 53.9 times"}},
		{[]string{"-q", "How many times larger is Texas's area than Rhode Island's?"}, []string{"Action: search[area of Rhode Island]", fmt.Sprintf("Answer: Texas's area is about %.1f times Rhode Island's.", st["Texas"].TotalArea/st["Rhode Island"].TotalArea)}},
		{[]string{"-q", "What is the combined population of Ohio and Iowa?", "-native"}, []string{"Answer: The sum of Ohio and Iowa is " + corpus.Group(float64(st["Ohio"].Population+st["Iowa"].Population), 0) + "."}},
		{[]string{"-q", "What is the population density of New Jersey?"}, []string{fmt.Sprintf("about %.1f people per square mile", st["New Jersey"].Density())}},
		{[]string{"-vote", "3"}, []string{"run 3: California's population is about 53.9 times Alaska's.", "Answer: California's population is about 53.9 times Alaska's.\n(100% of 3 runs agree)"}},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), c.args, &out, &errb)
		require.Equal(t, 0, code, "args %v: %s\n%s", c.args, errb.String(), out.String())
		for _, w := range c.want {
			assert.Contains(t, out.String(), w, "args %v", c.args)
		}
	}
}

func TestExampleWithMissingWeightsSaysSo(t *testing.T) {
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-backend", "local", "-model", "/nonexistent/model.bin"}, &out, &errb)
	assert.Equal(t, 1, code)
	assert.True(t, strings.Contains(errb.String(), "no such file"), errb.String())
}

// With no OpenAI variables the example runs the bundled model in-process:
// a full constrained ReAct loop, no network, and the shipped checkpoint
// answers the flagship question right (its accuracy over many questions is
// measured by 'ponder eval react').
func TestExampleOfflineDefault(t *testing.T) {
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("PONDER_LOCAL_WEIGHTS", "")
	var out, errb bytes.Buffer
	code := run(context.Background(), nil, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	s := out.String()
	assert.Contains(t, s, "Action: search[population of California]")
	assert.Contains(t, s, "Action: search[population of Alaska]")
	assert.Contains(t, s, "Action: calculator[39,538,223 / 733,391]")
	assert.Contains(t, s, "\nAnswer: California's population is about 53.9 times Alaska's.")
}
