package mcptool_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools"
	"github.com/ponder-go/ponder/tools/mcptool"
)

// TestMain lets the test binary act as an MCP server in a child process
// (PONDER_MCP_HELPER=serve): Ponder's built-in tools plus "crash", which
// kills the server mid-call, and "slow", which never answers.
func TestMain(m *testing.M) {
	if os.Getenv("PONDER_MCP_HELPER") == "serve" {
		reg, err := tools.Builtin()
		if err == nil {
			err = reg.Add(tools.New("crash", "Exits the server.", func(context.Context, string) (string, error) {
				os.Exit(3)
				return "", nil
			}))
		}
		if err == nil {
			err = reg.Add(tools.New("slow", "Never answers.", func(ctx context.Context, _ string) (string, error) {
				<-ctx.Done()
				return "", ctx.Err()
			}))
		}
		if err == nil {
			err = mcptool.ServeStdio(context.Background(), reg, "test")
		}
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helper() mcptool.Options {
	return mcptool.Options{Command: []string{os.Args[0]}, Env: []string{"PONDER_MCP_HELPER=serve"}, ConnectTimeout: 20 * time.Second}
}

func connect(t *testing.T, o mcptool.Options) *mcptool.Client {
	t.Helper()
	c, err := mcptool.Connect(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func names(ts []tools.Tool) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name())
	}
	return out
}

// Ponder's server and client, in two processes over stdio.
func TestGoClientGoServer(t *testing.T) {
	c := connect(t, helper())
	assert.Equal(t, []string{"calculator", "crash", "search", "slow"}, names(c.Tools()))
	reg, err := tools.NewRegistry()
	require.NoError(t, err)
	require.NoError(t, c.Register(reg))
	out, err := reg.Call(context.Background(), "calculator", "2 + 3 * 4")
	require.NoError(t, err)
	assert.Equal(t, "14", out)
	out, err = reg.Call(context.Background(), "search", "population of Alaska")
	require.NoError(t, err)
	assert.Contains(t, out, "733,391")
	// A tool error travels as an MCP error result and comes back an error.
	_, err = reg.Call(context.Background(), "calculator", "2 +")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "calculator")
	// The schema came through, so native function calling sees it.
	specs := reg.Specs()
	assert.Contains(t, string(specs[0].Parameters), `"expression"`)
}

// A server that dies mid-call gives that call an error (an observation),
// never a hang, and the next call starts it again.
func TestServerCrashBecomesAnObservationAndRestarts(t *testing.T) {
	c := connect(t, helper())
	reg, _ := tools.NewRegistry()
	require.NoError(t, c.Register(reg))
	start := time.Now()
	_, err := reg.Call(context.Background(), "crash", "")
	require.Error(t, err)
	assert.Less(t, time.Since(start), 10*time.Second)
	t.Log(err)
	out, err := reg.Call(context.Background(), "calculator", "6*7")
	require.NoError(t, err, "the next call restarts the server")
	assert.Equal(t, "42", out)

	// In an agent run the failure is an observation and the run goes on.
	m := llmtest.Replies(
		"Thought: try it.\nAction: crash[now]",
		"Thought: again, with arithmetic.\nAction: calculator[6*7]",
		"Thought: done.\nFinal Answer: 42",
	)
	res, err := (&react.Agent{Model: m, Tools: reg}).Run(context.Background(), "What is six times seven?")
	require.NoError(t, err)
	require.Len(t, res.Steps, 3)
	assert.Contains(t, res.Steps[0].Observation, "Error")
	assert.Contains(t, res.Steps[1].Observation, "42")
	assert.Equal(t, "42", res.Answer)
}

// A tool that never answers is cut off by the registry's timeout; the
// session stays usable.
func TestSlowToolTimesOut(t *testing.T) {
	c := connect(t, helper())
	reg, _ := tools.NewRegistry()
	require.NoError(t, c.Register(reg))
	reg.Timeout = 300 * time.Millisecond
	start := time.Now()
	_, err := reg.Call(context.Background(), "slow", "x")
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "deadline"), "%v", err)
	assert.Less(t, time.Since(start), 5*time.Second)
	reg.Timeout = 20 * time.Second
	out, err := reg.Call(context.Background(), "calculator", "1+1")
	require.NoError(t, err)
	assert.Equal(t, "2", out)
}

// Streamable HTTP, the other transport.
func TestStreamableHTTP(t *testing.T) {
	reg, err := tools.Builtin()
	require.NoError(t, err)
	h, err := mcptool.Handler(reg, "test")
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := connect(t, mcptool.Spec(srv.URL))
	assert.Equal(t, []string{"calculator", "search"}, names(c.Tools()))
	out, err := c.Tools()[0].Call(context.Background(), `{"expression": "10 / 4"}`)
	require.NoError(t, err)
	assert.Equal(t, "2.5", out)
}

func TestConnectErrors(t *testing.T) {
	ctx := context.Background()
	_, err := mcptool.Connect(ctx, mcptool.Options{})
	assert.ErrorContains(t, err, "no server")
	_, err = mcptool.Connect(ctx, mcptool.Options{Command: []string{filepath.Join(t.TempDir(), "no-such-server")}})
	assert.ErrorContains(t, err, "no-such-server")
	// A program that is not an MCP server exits at once: an error, not a hang.
	start := time.Now()
	_, err = mcptool.Connect(ctx, mcptool.Options{Command: []string{"sh", "-c", "echo not json; exit 0"}, ConnectTimeout: 10 * time.Second})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 10*time.Second)
	// One that says nothing and never exits is stopped by the timeout.
	start = time.Now()
	_, err = mcptool.Connect(ctx, mcptool.Options{Command: []string{"sleep", "60"}, ConnectTimeout: 500 * time.Millisecond})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 8*time.Second)
	// A server's tool list with a bad schema fails clearly (NewServer side).
	bad, _ := tools.NewRegistry(badSchema{})
	_, err = mcptool.NewServer(bad, "test")
	assert.ErrorContains(t, err, `"type": "object"`)
}

type badSchema struct{}

func (badSchema) Name() string                                 { return "bad" }
func (badSchema) Description() string                          { return "bad schema" }
func (badSchema) Schema() json.RawMessage                      { return json.RawMessage(`{"type":"string"}`) }
func (badSchema) Call(context.Context, string) (string, error) { return "", nil }

func everything(t *testing.T) string {
	dir, _ := filepath.Abs("testdata/npm")
	p := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("PONDER_REQUIRE_NPM") != "" {
			t.Fatal("server-everything missing (npm install --prefix tools/mcptool/testdata/npm)")
		}
		t.Skip("the MCP reference server (npm) is not installed")
	}
	return p
}

// The MCP reference server (@modelcontextprotocol/server-everything): its
// tools register with their schemas and a ReAct agent, driven by a
// scripted model, calls get-sum in text mode and in native mode.
func TestAgentCallsTheReferenceServer(t *testing.T) {
	c := connect(t, mcptool.Options{Command: []string{"node", everything(t), "stdio"}, ConnectTimeout: 30 * time.Second})
	got := names(c.Tools())
	assert.Contains(t, got, "get-sum")
	assert.Contains(t, got, "echo")
	reg, err := tools.NewRegistry()
	require.NoError(t, err)
	require.NoError(t, c.Register(reg))
	sum, _ := reg.Get("get-sum")
	assert.Contains(t, sum.Description(), "a, b", "the text-mode description says the input's shape")

	// Text mode.
	m := llmtest.Replies(
		"Thought: add them.\nAction: get-sum[{\"a\": 2, \"b\": 3}]",
		"Thought: echo.\nAction: echo[hello there]",
		"Thought: done.\nFinal Answer: 5",
	)
	res, err := (&react.Agent{Model: m, Tools: reg}).Run(context.Background(), "What is 2 plus 3?")
	require.NoError(t, err)
	require.Len(t, res.Steps, 3)
	assert.Contains(t, res.Steps[0].Observation, "5")
	assert.Contains(t, res.Steps[1].Observation, "hello there")

	// Native mode: the tool's schema is on the wire and the call's JSON
	// arguments go to the server as they are.
	nm := &llmtest.Scripted{Rules: []llmtest.Rule{
		{Match: func(r llm.Request) bool { return !hasToolResult(r) }, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get-sum", Arguments: `{"a": 40, "b": 2}`}}},
		{Match: hasToolResult, Reply: "The sum is 42."},
	}}
	res, err = (&react.Agent{Model: nm, Tools: reg, Native: true}).Run(context.Background(), "What is 40 plus 2?")
	require.NoError(t, err)
	assert.Equal(t, "The sum is 42.", res.Answer)
	assert.Contains(t, res.Steps[0].Observation, "42")
	first := nm.Calls()[0]
	var sawSchema bool
	for _, ts := range first.Tools {
		if ts.Name == "get-sum" {
			sawSchema = strings.Contains(string(ts.Parameters), `"b"`)
		}
	}
	assert.True(t, sawSchema, "get-sum's JSON schema reached the model")
}

func hasToolResult(r llm.Request) bool {
	for _, m := range r.Messages {
		if m.Role == llm.RoleTool {
			return true
		}
	}
	return false
}
