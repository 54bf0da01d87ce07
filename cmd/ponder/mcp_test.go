package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm/llmtest"
)

// mcpPeers is the npm folder with the MCP reference server and the
// official TypeScript SDK (installed by .ci/run).
func mcpPeers(t *testing.T) string {
	dir, _ := filepath.Abs("../../tools/mcptool/testdata/npm")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk")); err != nil {
		if os.Getenv("PONDER_REQUIRE_NPM") != "" {
			t.Fatal("MCP npm peers missing (npm install --prefix tools/mcptool/testdata/npm)")
		}
		t.Skip("the MCP npm packages are not installed")
	}
	return dir
}

// The official TypeScript MCP client lists and calls `ponder mcp`'s tools
// (calculator, state search and rag_query over a store) over stdio.
func TestMCPServeToTypeScriptClient(t *testing.T) {
	peers := mcpPeers(t)
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	require.NoError(t, os.MkdirAll(docs, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(docs, "go.txt"), []byte("Goroutines are lightweight threads managed by the Go runtime. Channels connect them."), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(docs, "rust.txt"), []byte("Rust has ownership and borrowing instead of a garbage collector."), 0o644))
	store := filepath.Join(dir, "store.db")
	_, errs, code := runCLI(t, "rag", "ingest", "-db", store, docs)
	require.Equal(t, 0, code, errs)

	server, _ := json.Marshal([]string{os.Args[0], "-test.run=^TestHelperProcess$"})
	env, _ := json.Marshal(map[string]string{"PONDER_HELPER_ARGS": strings.Join([]string{"mcp", "-db", store, "-k", "1"}, "\x1f")})
	calls := `[{"name":"calculator","arguments":{"expression":"39538223 / 733391"}},
	 {"name":"search","arguments":{"query":"population of Alaska"}},
	 {"name":"rag_query","arguments":{"query":"goroutines channels"}},
	 {"name":"calculator","arguments":{"expression":"1 / 0 +"}}]`
	cmd := exec.Command("node", filepath.Join(peers, "client.mjs"))
	cmd.Env = append(os.Environ(), "PONDER_SERVER="+string(server), "PONDER_ENV="+string(env), "PONDER_CALLS="+calls)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var got struct {
		Server struct{ Name string }
		Tools  []struct {
			Name        string
			Description string
			InputSchema map[string]any
		}
		Calls []struct {
			Name    string
			IsError bool
			Text    string
		}
	}
	require.NoError(t, json.Unmarshal(out, &got), string(out))
	assert.Equal(t, "ponder", got.Server.Name)
	var names []string
	for _, tl := range got.Tools {
		names = append(names, tl.Name)
		assert.Equal(t, "object", tl.InputSchema["type"], tl.Name)
		assert.NotEmpty(t, tl.Description)
	}
	assert.ElementsMatch(t, []string{"calculator", "search", "rag_query"}, names)
	require.Len(t, got.Calls, 4)
	assert.True(t, strings.HasPrefix(got.Calls[0].Text, "53.9115"), got.Calls[0].Text)
	assert.Contains(t, got.Calls[1].Text, "733,391")
	assert.Contains(t, got.Calls[2].Text, "Goroutines")
	assert.NotContains(t, got.Calls[2].Text, "Rust", "k=1")
	assert.True(t, got.Calls[3].IsError, "a tool error is an MCP error result")
	assert.False(t, got.Calls[0].IsError)
}

// `ponder agent -mcp SERVER` gives the agent the MCP reference server's
// tools; the model (a scripted OpenAI-wire server) calls get-sum.
func TestAgentWithMCPServer(t *testing.T) {
	peers := mcpPeers(t)
	srv := remote(t, func(r *llmtest.ChatRequest, i int) llmtest.Reply {
		for _, m := range r.Messages {
			if strings.Contains(m.Text(), "Observation: ") && strings.Contains(m.Text(), "Action: get-sum") {
				return llmtest.Reply{Content: "Thought: I have it.\nFinal Answer: 2 plus 3 is 5."}
			}
		}
		return llmtest.Reply{Content: "Thought: add.\nAction: get-sum[{\"a\": 2, \"b\": 3}]"}
	})
	everything := filepath.Join(peers, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	out, errs, code := runCLI(t, "agent", "What is 2 plus 3?", "-backend", "openai", "-tools", "", "-mcp", "node "+everything+" stdio")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Answer: 2 plus 3 is 5.")
	assert.Contains(t, out, "get-sum")
	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	assert.Contains(t, reqs[0].Messages[0].Text(), "get-sum", "the tool is described to the model")
}
