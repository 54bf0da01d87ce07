package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/trace"
)

func TestValidateJSON(t *testing.T) {
	schema := json.RawMessage(`{
	  "type":"object",
	  "properties":{
	    "name":{"type":"string","minLength":2,"maxLength":10,"pattern":"^[A-Z]"},
	    "age":{"type":"integer","minimum":0,"maximum":150},
	    "tags":{"type":"array","items":{"type":"string","enum":["a","b"]},"minItems":1,"maxItems":2},
	    "pet":{"$ref":"#/$defs/pet"},
	    "note":{"type":["string","null"]}
	  },
	  "required":["name","age"],
	  "additionalProperties":false,
	  "$defs":{"pet":{"type":"object","properties":{"kind":{"const":"cat"}},"required":["kind"]}}
	}`)
	cases := []struct {
		doc, wantErr string
	}{
		{`{"name":"Ada","age":36,"tags":["a"],"pet":{"kind":"cat"},"note":null}`, ""},
		{`{"name":"Ada","age":36.5}`, "$.age: expected integer"},
		{`{"name":"Ada","age":1` + strings.Repeat("0", 400) + `}`, "above the maximum"},
		{`{"name":"Ada","age":4.0}`, ""},
		{`{"name":"ada","age":3}`, `does not match pattern`},
		{`{"name":"A","age":3}`, "at least 2"},
		{`{"age":3}`, `missing required property "name"`},
		{`{"name":"Ada","age":3,"x":1}`, `property "x" is not allowed`},
		{`{"name":"Ada","age":-1}`, "below the minimum"},
		{`{"name":"Ada","age":3,"tags":["c"]}`, `$.tags[0]`},
		{`{"name":"Ada","age":3,"tags":[]}`, "at least 1 required"},
		{`{"name":"Ada","age":3,"pet":{"kind":"dog"}}`, "$.pet.kind: must be cat"},
		{`{"name":"Ada","age":3,"note":5}`, "expected string or null"},
		{`{"name":"Ada"`, "not valid JSON"},
		{`{"name":"Ada","age":3} {}`, "after the JSON value"},
	}
	for _, c := range cases {
		err := llm.ValidateJSON(schema, []byte(c.doc))
		if c.wantErr == "" {
			assert.NoError(t, err, c.doc)
			continue
		}
		require.Error(t, err, c.doc)
		assert.ErrorIs(t, err, llm.ErrBadOutput)
		assert.Contains(t, err.Error(), c.wantErr, c.doc)
	}
}

func TestConstraintCheck(t *testing.T) {
	c := &llm.Constraint{Kind: llm.ConstraintChoice, Choices: []string{"yes", "no"}}
	assert.NoError(t, c.Check("yes"))
	assert.Error(t, c.Check("maybe"))
	r := &llm.Constraint{Kind: llm.ConstraintRegex, Regex: `\d+(\.\d+)?`}
	assert.NoError(t, r.Check("53.9"))
	assert.Error(t, r.Check("53.9 times"), "regex must match the whole output")
}

func TestErrorKinds(t *testing.T) {
	err := error(&llm.Error{Kind: llm.ErrRateLimited, Backend: "x", StatusCode: 429, Attempts: 3})
	assert.ErrorIs(t, err, llm.ErrRateLimited)
	assert.True(t, llm.Retryable(err))
	assert.Equal(t, "x: rate limited (HTTP 429) (after 3 attempts)", err.Error())
	c := llm.Canceled("x", context.Canceled)
	assert.ErrorIs(t, c, llm.ErrCanceled)
	assert.ErrorIs(t, c, context.Canceled)
	assert.False(t, llm.Retryable(c))
	assert.False(t, llm.Retryable(&llm.Error{Kind: llm.ErrBadRequest}))
}

func TestGenerateRecordsTraceSpan(t *testing.T) {
	m := llmtest.Replies("hello world")
	tr := trace.New()
	ctx := trace.WithTracer(context.Background(), tr)
	resp, err := llm.Generate(ctx, m, llm.Request{Messages: []llm.Message{llm.User("hi")}})
	require.NoError(t, err)
	assert.Equal(t, "hello world", resp.Text())
	spans := tr.Spans()
	require.Len(t, spans, 1)
	assert.Equal(t, trace.KindModel, spans[0].Kind)
	assert.Equal(t, "user: hi", spans[0].Attrs["prompt"])
	assert.Equal(t, "hello world", spans[0].Attrs["output"])

	_, err = llm.Generate(ctx, m, llm.Request{Messages: []llm.Message{llm.User("again")}})
	require.Error(t, err, "scripted model has no turns left")
	assert.Contains(t, tr.Spans()[1].Error, "no turns left")
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := llm.Generate(ctx, llmtest.Replies("x"), llm.Request{})
	assert.ErrorIs(t, err, llm.ErrCanceled)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestStreamFallsBackForNonStreamers(t *testing.T) {
	m := llm.ModelFunc(func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		return &llm.Response{Choices: []llm.Choice{{Text: "whole"}}}, nil
	})
	var got []string
	_, err := llm.Stream(context.Background(), m, llm.Request{}, func(c llm.Chunk) error {
		got = append(got, c.Text)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"whole"}, got)

	s := llmtest.Replies("a b c")
	got = nil
	_, err = llm.Stream(context.Background(), s, llm.Request{}, func(c llm.Chunk) error {
		got = append(got, c.Text)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "a b c", strings.Join(got, ""))
	assert.Len(t, got, 3)

	stop := errors.New("enough")
	_, err = llm.Stream(context.Background(), llmtest.Replies("a b c"), llm.Request{}, func(c llm.Chunk) error { return stop })
	assert.ErrorIs(t, err, stop)
}

func TestSampleFillsMissingChoices(t *testing.T) {
	var calls atomic.Int32
	// A backend that always returns one choice, numbered by call.
	m := llm.ModelFunc(func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		n := calls.Add(1)
		return &llm.Response{Choices: []llm.Choice{{Text: string(rune('a' + n - 1))}}, Usage: llm.Usage{TotalTokens: 1}}, nil
	})
	resp, err := llm.Sample(context.Background(), m, llm.Request{}, 5, 2)
	require.NoError(t, err)
	require.Len(t, resp.Choices, 5)
	assert.EqualValues(t, 5, calls.Load())
	assert.Equal(t, 5, resp.Usage.TotalTokens)
	seen := map[string]bool{}
	for i, c := range resp.Choices {
		assert.Equal(t, i, c.Index)
		seen[c.Text] = true
	}
	assert.Len(t, seen, 5)

	fail := errors.New("boom")
	calls.Store(0)
	bad := llm.ModelFunc(func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		if calls.Add(1) > 1 {
			return nil, fail
		}
		return &llm.Response{Choices: []llm.Choice{{Text: "x"}}}, nil
	})
	_, err = llm.Sample(context.Background(), bad, llm.Request{}, 4, 2)
	assert.ErrorIs(t, err, fail)
}

func TestScriptedRulesAndStops(t *testing.T) {
	m := &llmtest.Scripted{
		Rules: []llmtest.Rule{
			{Contains: "weather", Reply: "sunny\nObservation: leak"},
			{Match: func(r llm.Request) bool { return r.N > 1 }, ReplyFunc: func(r llm.Request, i int) string { return strings.Repeat("x", i+1) }},
		},
		Turns: []string{"first", "second"},
	}
	r, err := m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("weather?")}, Stop: []string{"\nObservation:"}})
	require.NoError(t, err)
	assert.Equal(t, "sunny", r.Text())
	r, err = m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}, N: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "xx", "xxx"}, []string{r.Choices[0].Text, r.Choices[1].Text, r.Choices[2].Text})
	r, _ = m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("a")}})
	assert.Equal(t, "first", r.Text())
	r, _ = m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("b")}})
	assert.Equal(t, "second", r.Text())
	assert.Len(t, m.Calls(), 4)
}
