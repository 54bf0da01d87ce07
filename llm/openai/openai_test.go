package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/llm/openai"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newClient returns a server and a client talking to it over a private
// transport that is closed at the end of the test (so goleak sees no idle
// connection goroutines).
func newClient(t *testing.T, opts ...openai.Option) (*llmtest.Server, *openai.Client) {
	t.Helper()
	srv := llmtest.NewServer()
	tr := &http.Transport{}
	t.Cleanup(func() { tr.CloseIdleConnections(); srv.Close() })
	all := append([]openai.Option{openai.WithBaseURL(srv.BaseURL()), openai.WithAPIKey("test"),
		openai.WithHTTPClient(&http.Client{Transport: tr}), openai.WithRetry(4, 5*time.Millisecond, 50*time.Millisecond)}, opts...)
	c, err := openai.New(all...)
	require.NoError(t, err)
	return srv, c
}

func TestGenerateSendsRequestFieldsAndMapsResponse(t *testing.T) {
	srv, c := newClient(t, openai.WithModel("m1"))
	srv.Respond = func(r *llmtest.ChatRequest, i int) llmtest.Reply {
		return llmtest.Reply{Content: "The answer is 42.\nObservation: hidden"}
	}
	resp, err := llm.Generate(context.Background(), c, llm.Request{
		Messages:    []llm.Message{llm.System("be brief"), llm.User("what?")},
		Temperature: llm.Temp(0), Seed: llm.Seed(7), Stop: []string{"\nObservation:"}, MaxTokens: 20,
	})
	require.NoError(t, err)
	assert.Equal(t, "The answer is 42.", resp.Text())
	assert.Equal(t, llm.FinishStop, resp.Choices[0].FinishReason)
	assert.Greater(t, resp.Usage.TotalTokens, 0)

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, "m1", r.Model)
	require.NotNil(t, r.Temperature, "an explicit greedy temperature must be sent, not dropped")
	assert.Less(t, *r.Temperature, 1e-5)
	assert.Greater(t, *r.Temperature, 0.0)
	require.NotNil(t, r.Seed)
	assert.EqualValues(t, 7, *r.Seed)
	assert.Equal(t, []string{"\nObservation:"}, r.Stop)
	assert.Equal(t, 20, r.MaxTokens)
	require.Len(t, r.Messages, 2)
	assert.Equal(t, "system", r.Messages[0].Role)
	assert.Equal(t, "what?", r.Messages[1].Text())
}

func TestTemperatureOmittedWhenNil(t *testing.T) {
	srv, c := newClient(t)
	_, err := c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("hi")}})
	require.NoError(t, err)
	_, present := srv.Requests()[0].Raw["temperature"]
	assert.False(t, present)
}

func TestStreamDeliversChunksAndUsage(t *testing.T) {
	srv, c := newClient(t)
	srv.Respond = func(r *llmtest.ChatRequest, i int) llmtest.Reply {
		return llmtest.Reply{Content: "one two three four"}
	}
	var chunks []string
	resp, err := llm.Stream(context.Background(), c, llm.Request{Messages: []llm.Message{llm.User("count")}}, func(ch llm.Chunk) error {
		chunks = append(chunks, ch.Text)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "one two three four", strings.Join(chunks, ""))
	assert.Greater(t, len(chunks), 2, "should arrive in pieces")
	assert.Equal(t, "one two three four", resp.Text())
	assert.Equal(t, 4, resp.Usage.CompletionTokens)
}

func TestStreamCutMidwayIsAnError(t *testing.T) {
	srv, c := newClient(t)
	srv.Respond = func(r *llmtest.ChatRequest, i int) llmtest.Reply {
		return llmtest.Reply{Content: "a b c d e f g"}
	}
	srv.QueueFault(llmtest.Fault{CutAfter: 3})
	var got string
	_, err := c.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}}, func(ch llm.Chunk) error {
		got += ch.Text
		return nil
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, llm.ErrUnavailable)
	assert.Contains(t, err.Error(), "stream cut")
	assert.NotEmpty(t, got, "some chunks arrived before the cut")
}

func TestToolCalls(t *testing.T) {
	srv, c := newClient(t)
	srv.Respond = func(r *llmtest.ChatRequest, i int) llmtest.Reply {
		return llmtest.Reply{ToolCalls: []llmtest.ToolCallReply{{ID: "call_1", Name: "calculator", Arguments: `{"expression":"1+1"}`}}}
	}
	req := llm.Request{
		Messages: []llm.Message{llm.User("1+1?")},
		Tools:    []llm.ToolSpec{{Name: "calculator", Description: "math", Parameters: json.RawMessage(`{"type":"object","properties":{"expression":{"type":"string"}}}`)}},
	}
	for _, stream := range []bool{false, true} {
		var resp *llm.Response
		var err error
		if stream {
			resp, err = c.Stream(context.Background(), req, func(llm.Chunk) error { return nil })
		} else {
			resp, err = c.Generate(context.Background(), req)
		}
		require.NoError(t, err)
		require.Len(t, resp.Choices[0].ToolCalls, 1, "stream=%v", stream)
		tc := resp.Choices[0].ToolCalls[0]
		assert.Equal(t, llm.ToolCall{ID: "call_1", Name: "calculator", Arguments: `{"expression":"1+1"}`}, tc)
		assert.Equal(t, llm.FinishToolCalls, resp.Choices[0].FinishReason)
	}
	r := srv.Requests()[0]
	require.Len(t, r.Tools, 1)
	assert.Equal(t, "calculator", r.Tools[0].Function.Name)
	assert.JSONEq(t, `{"type":"object","properties":{"expression":{"type":"string"}}}`, string(r.Tools[0].Function.Parameters))
}

func TestNSamplesHonouredAndFallback(t *testing.T) {
	srv, c := newClient(t)
	srv.Respond = func(r *llmtest.ChatRequest, i int) llmtest.Reply { return llmtest.Reply{Content: "s"} }
	resp, err := c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}, N: 5})
	require.NoError(t, err)
	assert.Len(t, resp.Choices, 5)
	assert.Len(t, srv.Requests(), 1, "server honours n: one request")

	srv2, c2 := newClient(t)
	srv2.MaxN = 1
	resp, err = c2.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}, N: 5})
	require.NoError(t, err)
	require.Len(t, resp.Choices, 5)
	for i, ch := range resp.Choices {
		assert.Equal(t, i, ch.Index)
	}
	assert.Len(t, srv2.Requests(), 5, "server ignores n: four more requests fill in")

	// Having learnt that the server ignores n, the client fans out at once.
	resp, err = c2.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}, N: 3})
	require.NoError(t, err)
	require.Len(t, resp.Choices, 3)
	assert.Len(t, srv2.Requests(), 8)
	for _, r := range srv2.Requests()[5:] {
		assert.LessOrEqual(t, r.N, 1, "fan-out requests ask for one sample each")
	}
}

func TestRateLimitThenSuccessHonoursRetryAfter(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueFault(llmtest.Fault{Status: 429, RetryAfter: "0.3"})
	start := time.Now()
	resp, err := c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("hello")}})
	require.NoError(t, err)
	assert.Equal(t, "hello", resp.Text())
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "must wait for Retry-After")
	assert.Len(t, srv.Requests(), 2)
}

func TestRateLimitExhaustedIsTyped(t *testing.T) {
	srv, c := newClient(t, openai.WithRetry(3, time.Millisecond, 5*time.Millisecond))
	srv.QueueFault(llmtest.Fault{Status: 429}, llmtest.Fault{Status: 429}, llmtest.Fault{Status: 429})
	_, err := c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}})
	require.Error(t, err)
	assert.ErrorIs(t, err, llm.ErrRateLimited)
	var le *llm.Error
	require.True(t, errors.As(err, &le))
	assert.Equal(t, 3, le.Attempts)
	assert.Equal(t, 429, le.StatusCode)
}

func TestRetryAfterBeyondDeadlineFailsFast(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueFault(llmtest.Fault{Status: 429, RetryAfter: "30"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("x")}})
	assert.ErrorIs(t, err, llm.ErrRateLimited)
	assert.Less(t, time.Since(start), time.Second)
}

func TestNoRetryOnBadRequest(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueFault(llmtest.Fault{Status: 400, Message: "unknown parameter foo"})
	_, err := c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}})
	assert.ErrorIs(t, err, llm.ErrBadRequest)
	assert.Contains(t, err.Error(), "unknown parameter foo")
	assert.Len(t, srv.Requests(), 1)
}

func TestContextLengthIsTyped(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueFault(llmtest.Fault{Status: 400, Code: "context_length_exceeded", Message: "too long"})
	_, err := c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}})
	assert.ErrorIs(t, err, llm.ErrContextLength)
	assert.False(t, errors.Is(err, llm.ErrBadRequest))
}

func TestServerErrorsRetriedThenSucceed(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueFault(llmtest.Fault{Status: 500}, llmtest.Fault{Status: 503})
	resp, err := c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("ok")}})
	require.NoError(t, err)
	assert.Equal(t, "ok", resp.Text())
	assert.Len(t, srv.Requests(), 3)
}

func TestMalformedJSONIsBadOutput(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueFault(llmtest.Fault{Malformed: true})
	_, err := c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}})
	require.Error(t, err)
	assert.ErrorIs(t, err, llm.ErrBadOutput)
}

func TestCancelledContext(t *testing.T) {
	srv, c := newClient(t)
	srv.Latency = 5 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := llm.Generate(ctx, c, llm.Request{Messages: []llm.Message{llm.User("x")}})
	assert.ErrorIs(t, err, llm.ErrCanceled)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestJSONSchemaConstraint(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{"answer":{"type":"number"}},"required":["answer"],"additionalProperties":false}`)
	srv, c := newClient(t)
	reply := `{"answer": 53.9}`
	srv.Respond = func(r *llmtest.ChatRequest, i int) llmtest.Reply { return llmtest.Reply{Content: reply} }
	req := llm.Request{Messages: []llm.Message{llm.User("ratio?")}, Constraint: llm.JSONSchema("ratio", schema)}
	resp, err := c.Generate(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, reply, resp.Text())
	var rf map[string]any
	require.NoError(t, json.Unmarshal(srv.Requests()[0].ResponseFormat, &rf))
	assert.Equal(t, "json_schema", rf["type"])
	js := rf["json_schema"].(map[string]any)
	assert.Equal(t, "ratio", js["name"])
	assert.Equal(t, true, js["strict"])

	reply = `{"answer": "fifty"}`
	_, err = c.Generate(context.Background(), req)
	assert.ErrorIs(t, err, llm.ErrBadOutput)
	assert.Contains(t, err.Error(), "$.answer")

	_, err = c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}, Constraint: &llm.Constraint{Kind: llm.ConstraintRegex, Regex: "[0-9]+"}})
	assert.ErrorIs(t, err, llm.ErrUnsupported)
}

func TestLogprobs(t *testing.T) {
	srv, c := newClient(t)
	srv.Respond = func(r *llmtest.ChatRequest, i int) llmtest.Reply { return llmtest.Reply{Content: "yes it is"} }
	resp, err := c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}, Logprobs: true, TopLogprobs: 2})
	require.NoError(t, err)
	lps := resp.Choices[0].Logprobs
	require.Len(t, lps, 3)
	assert.Equal(t, "yes", lps[0].Token)
	assert.InDelta(t, -0.25, lps[0].Logprob, 1e-9)
	assert.Len(t, lps[0].Top, 2)
	assert.True(t, srv.Requests()[0].Logprobs)
	assert.Equal(t, 2, srv.Requests()[0].TopLogprobs)
}

func TestEmbeddingsBatchedAndRetried(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueFault(llmtest.Fault{Status: 429, RetryAfter: "0"})
	texts := make([]string, 600)
	for i := range texts {
		texts[i] = strings.Repeat("x", i%17) + "doc"
	}
	vecs, err := c.Embed(context.Background(), texts)
	require.NoError(t, err)
	require.Len(t, vecs, 600)
	for i, v := range vecs {
		assert.Equal(t, llmtest.HashEmbed(texts[i]), v, "vector %d out of order", i)
	}
	assert.Equal(t, 4, srv.EmbedCalls(), "3 batches of 256 plus one retry")
}

func TestNewWithoutKeyExplains(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	_, err := openai.New()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OPENAI_API_KEY")
}

func TestEnvConfig(t *testing.T) {
	srv := llmtest.NewServer()
	defer srv.Close()
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", srv.BaseURL())
	t.Setenv("PONDER_MODEL", "llama3")
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, err := openai.New(openai.WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	assert.Equal(t, "llama3", c.Model())
	_, err = c.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}})
	require.NoError(t, err)
	assert.Equal(t, "llama3", srv.Requests()[0].Model)
}
