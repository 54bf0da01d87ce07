package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/openai"
	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/llama"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
	"github.com/ponder-go/ponder/serve"
)

// chatML is Qwen2.5's template (as in localmodel/chat/testdata).
func chatML(t testing.TB) string {
	b, err := os.ReadFile("../../localmodel/chat/testdata/templates/qwen2.5.jinja")
	require.NoError(t, err)
	return string(b)
}

// writeChatModel writes a random-weight model of shape c with a
// byte-level vocabulary (GPT-2's when gpt2Vocab, else a small trained one)
// plus ChatML's control tokens, padded to c.Vocab when that is larger, and
// Qwen2.5's chat template.
func writeChatModel(t testing.TB, dir string, c llama.Config, typ gguf.Type, gpt2Vocab bool) string {
	t.Helper()
	var v tokenizer.Vocab
	if gpt2Vocab {
		tok, err := tokenizer.GPT2()
		require.NoError(t, err)
		v = tok.Vocab()
	} else {
		tok, err := tokenizer.TrainBPE([]string{"How many times larger is California's population than Alaska's? Thought: I need to search. Action: search[Alaska] Observation: Final Answer: 39,538,223 people 2020"}, 400, false, tokenizer.EndOfText)
		require.NoError(t, err)
		v = tok.Vocab()
	}
	eos := int32(len(v.Tokens))
	v.Tokens = append(v.Tokens, "<|im_start|>", "<|im_end|>")
	v.Types = append(v.Types, tokenizer.TypeControl, tokenizer.TypeControl)
	for len(v.Tokens) < c.Vocab {
		v.Tokens = append(v.Tokens, fmt.Sprintf("[PAD%d]", len(v.Tokens)))
		v.Types = append(v.Types, tokenizer.TypeUnused)
	}
	c.Vocab = len(v.Tokens)
	var w gguf.Writer
	require.NoError(t, llama.WriteRandom(&w, c, typ, true, 1))
	tokenizer.WriteGGUF(&w, v, eos+1, eos+1, false, chatML(t))
	path := filepath.Join(dir, c.Arch+"-chat-"+typ.String()+".gguf")
	require.NoError(t, w.WriteFile(path))
	return path
}

// exerciseModel runs a GGUF model through generate (with a constraint),
// chat, serve (driven by the official npm openai client) and the ReAct
// agent with constrained decoding.
func exerciseModel(t *testing.T, path string) {
	// generate, plain and constrained.
	out, errs, code := runCLI(t, "generate", "-model", path, "-n", "6", "-seed", "1", "-temperature", "0.8", "Hello")
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, "Hello"), out)
	out, errs, code = runCLI(t, "generate", "-model", path, "-n", "12", "-regex", "[0-9]{1,3}(,[0-9]{3})*", "Population:")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^Population:[0-9]{1,3}(,[0-9]{3})*\n$`, out)

	// chat: two turns, a command, end of input.
	withStdin(t, "Hi there\n/system Be brief.\nAnd again?\n/reset\n")
	out, errs, code = runCLI(t, "chat", "-backend", "local", "-model", path, "-max-tokens", "4", "-seed", "2")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Chatting with")
	assert.Contains(t, out, "(system prompt set")
	assert.Contains(t, out, "(conversation cleared)")
	assert.NotContains(t, out, "(error")

	// serve + the npm openai client.
	dir, _ := filepath.Abs("../../serve/testdata/npm")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openai")); err != nil {
		if os.Getenv("PONDER_REQUIRE_NPM") != "" {
			t.Fatal("serve/testdata/npm/node_modules/openai missing")
		}
		t.Log("skipping the npm client: openai not installed")
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		var serveOut syncBuffer
		go func() {
			done <- run(ctx, []string{"serve", "-model", path, "-addr", addr, "-token", "tok"}, &serveOut, &serveOut)
		}()
		require.Eventually(t, func() bool { return strings.Contains(serveOut.String(), "serving") }, 2*time.Minute, 20*time.Millisecond)
		cmd := exec.Command("node", "client.mjs")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PONDER_URL=http://"+addr+"/v1", "PONDER_TOKEN=tok")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		res, err := cmd.Output()
		cancel()
		<-done
		require.NoError(t, err, stderr.String()+serveOut.String())
		var r struct {
			ChatChoices int    `json:"chatChoices"`
			Strict      string `json:"strict"`
		}
		require.NoError(t, json.Unmarshal(res, &r), string(res))
		assert.Equal(t, 2, r.ChatChoices)
		assert.True(t, json.Valid([]byte(r.Strict)), r.Strict)
	}

	// The ReAct agent, text mode, constrained: every step well formed.
	out, errs, code = runCLI(t, "agent", "-backend", "local", "-model", path, "-max-steps", "2", "How many times larger is California's population than Alaska's?")
	t.Logf("agent (exit %d):\n%s%s", code, out, errs)
	assert.Regexp(t, `(?m)^Thought: .+\n(Action: |Final Answer: )`, out)
	assert.NotContains(t, errs, "panic")
}

func TestOpenModelEverywhere(t *testing.T) {
	c := llama.Config{Arch: "qwen2", Embd: 64, Layers: 2, Heads: 4, KVHeads: 2, FF: 128, Context: 2048, RMSEps: 1e-6, RopeBase: 1000000}
	path := writeChatModel(t, t.TempDir(), c, gguf.Q8_0, false)
	exerciseModel(t, path)
}

// TestQwen05ShapeEverywhere runs a random-weight model of Qwen2.5-0.5B's
// exact shape (GPT-2's vocabulary plus ChatML tokens, padded to 151,936)
// through the same commands and reports its load time. It writes a
// ~0.5 GB file and decodes slowly, so it runs only when asked:
//
//	PONDER_BENCH_QWEN=Q8_0 go test ./cmd/ponder -run Qwen05ShapeEverywhere -v -timeout 30m
func TestQwen05ShapeEverywhere(t *testing.T) {
	name := os.Getenv("PONDER_BENCH_QWEN")
	if name == "" {
		t.Skip("set PONDER_BENCH_QWEN=Q8_0 to run")
	}
	typ, ok := map[string]gguf.Type{"Q8_0": gguf.Q8_0, "F16": gguf.F16, "Q4_0": gguf.Q4_0}[name]
	require.True(t, ok, name)
	c := llama.Config{Arch: "qwen2", Embd: 896, Layers: 24, Heads: 14, KVHeads: 2, FF: 4864, Context: 32768, RMSEps: 1e-6, RopeBase: 1000000, Vocab: 151936}
	t0 := time.Now()
	path := writeChatModel(t, t.TempDir(), c, typ, true)
	t.Logf("wrote %s in %s", path, time.Since(t0).Round(time.Second))
	t0 = time.Now()
	m, err := loadWithTokenizer(path)
	require.NoError(t, err)
	t.Logf("load (memory-mapped): %s", time.Since(t0).Round(time.Millisecond))
	m.Close()
	exerciseModel(t, path)
}

// TestLocalNativeToolCalls: a GGUF model whose template calls tools
// (Qwen2.5's) accepts tools in the local backend; tool_choice "required" or
// a tool's name forces a well-formed call with schema-valid arguments.
func TestLocalNativeToolCalls(t *testing.T) {
	c := llama.Config{Arch: "qwen2", Embd: 64, Layers: 2, Heads: 4, KVHeads: 2, FF: 128, Context: 2048, RMSEps: 1e-6, RopeBase: 1000000}
	path := writeChatModel(t, t.TempDir(), c, gguf.F32, false)
	m, err := backend.Open("local", path)
	require.NoError(t, err)
	search := json.RawMessage(`{"type":"object","properties":{"query":{"type":"string","maxLength":20}},"required":["query"],"additionalProperties":false}`)
	calc := json.RawMessage(`{"type":"object","properties":{"expression":{"type":"string","pattern":"[0-9+*/ -]{1,12}"}},"required":["expression"],"additionalProperties":false}`)
	tools := []llm.ToolSpec{{Name: "search", Description: "Search state facts.", Parameters: search}, {Name: "calculator", Description: "Arithmetic.", Parameters: calc}}
	msgs := []llm.Message{llm.System("Use tools."), llm.User("Population of Alaska?")}
	for _, choice := range []string{"required", "calculator", "search"} {
		resp, err := m.Generate(context.Background(), llm.Request{Messages: msgs, Tools: tools, ToolChoice: choice, MaxTokens: 120, Temperature: llm.Temp(0.9), Seed: llm.Seed(3)})
		require.NoError(t, err, choice)
		ch := resp.Choices[0]
		require.Len(t, ch.ToolCalls, 1, "%s: %q", choice, ch.Text)
		call := ch.ToolCalls[0]
		assert.Equal(t, llm.FinishToolCalls, ch.FinishReason)
		if choice != "required" {
			assert.Equal(t, choice, call.Name)
		}
		schema := map[string]json.RawMessage{"search": search, "calculator": calc}[call.Name]
		require.NotNil(t, schema, call.Name)
		assert.NoError(t, llm.ValidateJSON(schema, []byte(call.Arguments)), call.Arguments)
	}
	_, err = m.Generate(context.Background(), llm.Request{Messages: msgs, Tools: tools, ToolChoice: "nosuch", MaxTokens: 10})
	assert.ErrorContains(t, err, "names no offered tool")
	// A template without tools refuses them clearly.
	zc := llama.Config{Arch: "llama", Embd: 32, Layers: 1, Heads: 2, KVHeads: 1, FF: 64, Context: 128, RMSEps: 1e-5, RopeBase: 10000}
	zpath := writeModelWithTemplate(t, zc, "../../localmodel/chat/testdata/templates/zephyr.jinja")
	z, err := backend.Open("local", zpath)
	require.NoError(t, err)
	_, err = z.Generate(context.Background(), llm.Request{Messages: msgs, Tools: tools, MaxTokens: 5})
	assert.ErrorIs(t, err, llm.ErrUnsupported)
}

// writeModelWithTemplate writes a small model with the given template file.
func writeModelWithTemplate(t *testing.T, c llama.Config, template string) string {
	tmpl, err := os.ReadFile(template)
	require.NoError(t, err)
	tok, err := tokenizer.TrainBPE([]string{"hello world"}, 300, false, "</s>", "<s>")
	require.NoError(t, err)
	v := tok.Vocab()
	c.Vocab = len(v.Tokens)
	var w gguf.Writer
	require.NoError(t, llama.WriteRandom(&w, c, gguf.F32, true, 1))
	eos, _ := tok.SpecialID("</s>")
	bos, _ := tok.SpecialID("<s>")
	tokenizer.WriteGGUF(&w, v, bos, eos, false, string(tmpl))
	path := filepath.Join(t.TempDir(), "m.gguf")
	require.NoError(t, w.WriteFile(path))
	return path
}

// TestServeNativeToolCalls: ponder serve passes tools through to a model
// whose template calls tools; Ponder's OpenAI client (go-openai) gets the
// calls back, plain and streamed.
func TestServeNativeToolCalls(t *testing.T) {
	c := llama.Config{Arch: "qwen2", Embd: 64, Layers: 2, Heads: 4, KVHeads: 2, FF: 128, Context: 2048, RMSEps: 1e-6, RopeBase: 1000000}
	path := writeChatModel(t, t.TempDir(), c, gguf.F32, false)
	m, err := backend.Open("local", path)
	require.NoError(t, err)
	hs := httptest.NewServer(serve.New(m, serve.Config{ModelName: "tiny"}))
	defer hs.Close()
	client, err := openai.New(openai.WithBaseURL(hs.URL+"/v1"), openai.WithAPIKey("x"), openai.WithModel("tiny"))
	require.NoError(t, err)
	search := json.RawMessage(`{"type":"object","properties":{"query":{"type":"string","maxLength":12}},"required":["query"],"additionalProperties":false}`)
	req := llm.Request{Messages: []llm.Message{llm.User("Population of Alaska?")}, MaxTokens: 80, Temperature: llm.Temp(0.5), Seed: llm.Seed(1),
		Tools: []llm.ToolSpec{{Name: "search", Description: "Search.", Parameters: search}}, ToolChoice: "search"}
	resp, err := client.Generate(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, resp.Choices[0].ToolCalls, 1)
	call := resp.Choices[0].ToolCalls[0]
	assert.Equal(t, "search", call.Name)
	assert.NoError(t, llm.ValidateJSON(search, []byte(call.Arguments)))
	assert.Equal(t, llm.FinishToolCalls, resp.Choices[0].FinishReason)

	streamed, err := client.Stream(context.Background(), req, func(llm.Chunk) error { return nil })
	require.NoError(t, err)
	require.Len(t, streamed.Choices[0].ToolCalls, 1)
	assert.Equal(t, call, streamed.Choices[0].ToolCalls[0])

	// The tool result goes back in the conversation.
	req.Messages = append(req.Messages, llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{call}},
		llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Name: "search", Content: "Alaska: 733,391"})
	req.ToolChoice = "none"
	resp, err = client.Generate(context.Background(), req)
	require.NoError(t, err)
	assert.Empty(t, resp.Choices[0].ToolCalls)
}
