package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/openai"
	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/gpt2"
)

func tinyBackend(t testing.TB) *localmodel.Backend {
	t.Helper()
	net, err := gpt2.NewRandom(gpt2.Config{MaxSeq: 256, Vocab: 50257, PaddedVocab: 50304, Layers: 1, Heads: 2, Channels: 16}, 5)
	require.NoError(t, err)
	m, err := gpt2.Wrap(net, nil)
	require.NoError(t, err)
	return &localmodel.Backend{Model: m, Name: "tiny"}
}

func start(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s := New(tinyBackend(t), cfg)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

func client(t *testing.T, hs *httptest.Server, token string) *openai.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := openai.New(openai.WithBaseURL(hs.URL+"/v1"), openai.WithAPIKey(token), openai.WithModel("local"),
		openai.WithHTTPClient(&http.Client{Transport: tr}), openai.WithRetry(1, time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	return c
}

func TestGoClientChatStreamSchema(t *testing.T) {
	_, hs := start(t, Config{})
	c := client(t, hs, "x")
	ctx := context.Background()
	req := llm.Request{Messages: []llm.Message{llm.User("Hello")}, N: 2, MaxTokens: 8, Seed: llm.Seed(3)}
	resp, err := c.Generate(ctx, req)
	require.NoError(t, err)
	require.Len(t, resp.Choices, 2)
	assert.NotEqual(t, resp.Choices[0].Text, resp.Choices[1].Text, "two samples at the default temperature 1")
	assert.Equal(t, 16, resp.Usage.CompletionTokens)

	var streamed strings.Builder
	sresp, err := c.Stream(ctx, llm.Request{Messages: []llm.Message{llm.User("Hello")}, MaxTokens: 8, Temperature: llm.Temp(0)}, func(ch llm.Chunk) error {
		streamed.WriteString(ch.Text)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, sresp.Text(), streamed.String())
	assert.Equal(t, llm.FinishLength, sresp.Choices[0].FinishReason)
	greedy, err := c.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("Hello")}, MaxTokens: 8, Temperature: llm.Temp(0)})
	require.NoError(t, err)
	assert.Equal(t, greedy.Text(), sresp.Text(), "greedy is greedy, streamed or not")

	schema := json.RawMessage(`{"type":"object","properties":{"answer":{"type":"string","maxLength":6},"ok":{"type":"boolean"},"kind":{"enum":["a","b"]}},"required":["answer","ok","kind"],"additionalProperties":false}`)
	for seed := int64(0); seed < 3; seed++ {
		resp, err = c.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("JSON please")}, MaxTokens: 60, Seed: llm.Seed(seed), Constraint: llm.JSONSchema("x", schema)})
		require.NoError(t, err, "the client validates the reply against the schema too")
		assert.NoError(t, llm.ValidateJSON(schema, []byte(resp.Text())))
	}

	lp, err := c.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("Hello")}, MaxTokens: 3, Logprobs: true, TopLogprobs: 2})
	require.NoError(t, err)
	require.Len(t, lp.Choices[0].Logprobs, 3)
	assert.Len(t, lp.Choices[0].Logprobs[0].Top, 2)
}

func post(t *testing.T, url, token, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out, resp.Header
}

func errMsg(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

func TestBadRequestsInOpenAIErrorShape(t *testing.T) {
	_, hs := start(t, Config{MaxTokens: 100, MaxBodyBytes: 4096})
	url := hs.URL + "/v1/chat/completions"
	cases := map[string]string{
		`{"messages":[]}`: "messages must not be empty",
		`{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}`:                                                                                                            `field "temperature" has the wrong type`,
		`{"messages":[{"role":"user","content":"x"}],"max_tokens":5000}`:                                                                                                              "max_tokens must be between 1 and 100, got 5000",
		`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]}`:                                                                                                  `want type "function" and a name`,
		`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}]}`:                                                                          "native function calling needs a model whose chat template calls tools",
		`{"messages":[{"role":"user","content":"x"}],"tool_choice":"required"}`:                                                                                                       "tool_choice needs tools",
		`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":7}`:                                                          "tool_choice must be",
		`{"messages":[{"role":"wizard","content":"x"}]}`:                                                                                                                              `unknown role "wizard"`,
		`{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object","properties":{"a":{"anyOf":[]}}}}}}`: `schema keyword "anyOf"`,
		`{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}`:                                                                                       `type "json_object" is not supported`,
		`{"messages":[{"role":"user","content":"x"}],"n":99}`:                                                                                                                         "n must be between 1 and 16",
		`{"messages":` + `[{"role":"user","content":"` + strings.Repeat("x", 5000) + `"}]}`:                                                                                           "larger than 4096 bytes",
		`{not json`: "invalid JSON body",
	}
	for body, want := range cases {
		code, out, _ := post(t, url, "", body)
		assert.Equal(t, 400, code, body[:min(len(body), 60)])
		assert.Contains(t, errMsg(out), want)
		e := out["error"].(map[string]any)
		assert.Equal(t, "invalid_request_error", e["type"])
	}
	code, out, _ := post(t, hs.URL+"/v1/nothing", "", "{}")
	assert.Equal(t, 404, code)
	assert.Contains(t, errMsg(out), "no route")

	code, out, _ = post(t, hs.URL+"/v1/completions", "", `{"prompt":"Once upon","max_tokens":4}`)
	require.Equal(t, 200, code, out)
	assert.Equal(t, "text_completion", out["object"])
	assert.NotEmpty(t, out["choices"].([]any)[0].(map[string]any)["text"])

	resp, err := http.Get(hs.URL + "/v1/models")
	require.NoError(t, err)
	defer resp.Body.Close()
	var models map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&models))
	assert.Equal(t, "local", models["data"].([]any)[0].(map[string]any)["id"])
}

func TestBearerToken(t *testing.T) {
	_, hs := start(t, Config{Token: "s3cret"})
	body := `{"messages":[{"role":"user","content":"x"}],"max_tokens":2}`
	code, out, _ := post(t, hs.URL+"/v1/chat/completions", "wrong", body)
	assert.Equal(t, 401, code)
	assert.Contains(t, errMsg(out), "bearer token")
	code, _, _ = post(t, hs.URL+"/v1/chat/completions", "s3cret", body)
	assert.Equal(t, 200, code)
	_, err := client(t, hs, "wrong").Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}})
	assert.ErrorIs(t, err, llm.ErrBadRequest)
}

// Eight concurrent clients against two generation slots and a short queue:
// every request either succeeds or gets a 429 with Retry-After, nothing else.
func TestLoadEightClients(t *testing.T) {
	s, hs := start(t, Config{MaxConcurrent: 2, QueueWait: 30 * time.Millisecond})
	body := `{"messages":[{"role":"user","content":"Load test"}],"max_tokens":24}`
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				code, out, h := post(t, hs.URL+"/v1/chat/completions", "", body)
				if code == 429 {
					assert.NotEmpty(t, h.Get("Retry-After"))
					assert.Contains(t, errMsg(out), "slots are busy")
				}
				mu.Lock()
				counts[code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 32, counts[200]+counts[429], "only 200s and 429s: %v", counts)
	assert.Greater(t, counts[200], 0)
	assert.EqualValues(t, counts[429], s.Rejected.Load())
	t.Logf("8 clients x 4 requests: %v", counts)

	// With a queue long enough, all succeed.
	_, hs2 := start(t, Config{MaxConcurrent: 2, QueueWait: 30 * time.Second})
	var ok sync.WaitGroup
	fails := 0
	for c := 0; c < 8; c++ {
		ok.Add(1)
		go func() {
			defer ok.Done()
			code, _, _ := post(t, hs2.URL+"/v1/chat/completions", "", body)
			if code != 200 {
				mu.Lock()
				fails++
				mu.Unlock()
			}
		}()
	}
	ok.Wait()
	assert.Zero(t, fails)
}

// The official openai npm client (installed by .ci/run into testdata/npm)
// drives a real listener: models, chat with n=2, streaming, strict
// json_schema and a bad request.
func TestNPMOpenAIClient(t *testing.T) {
	dir, _ := filepath.Abs("testdata/npm")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openai")); err != nil {
		if os.Getenv("PONDER_REQUIRE_NPM") != "" {
			t.Fatal("testdata/npm/node_modules/openai missing (npm install --prefix serve/testdata/npm)")
		}
		t.Skip("the openai npm package is not installed")
	}
	s := New(tinyBackend(t), Config{Token: "tok"})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: s}
	go srv.Serve(l)
	defer srv.Close()
	cmd := exec.Command("node", "client.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PONDER_URL=http://"+l.Addr().String()+"/v1", "PONDER_TOKEN=tok")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var res struct {
		Models       []string       `json:"models"`
		ChatChoices  int            `json:"chatChoices"`
		ChatFinish   []string       `json:"chatFinish"`
		Streamed     string         `json:"streamed"`
		StreamFinish string         `json:"streamFinish"`
		Strict       string         `json:"strict"`
		StrictParsed map[string]any `json:"strictParsed"`
		BadRequest   struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
		} `json:"badRequest"`
	}
	require.NoError(t, json.Unmarshal(out, &res), string(out))
	assert.Equal(t, []string{"local"}, res.Models)
	assert.Equal(t, 2, res.ChatChoices)
	assert.Equal(t, []string{"length", "length"}, res.ChatFinish)
	assert.NotEmpty(t, res.Streamed)
	assert.Equal(t, "length", res.StreamFinish)
	schema := `{"type":"object","properties":{"name":{"type":"string","maxLength":8},"region":{"enum":["West","South","Midwest","Northeast"]},"coastal":{"type":"boolean"}},"required":["name","region","coastal"],"additionalProperties":false}`
	assert.NoError(t, llm.ValidateJSON(json.RawMessage(schema), []byte(res.Strict)), res.Strict)
	assert.Equal(t, 400, res.BadRequest.Status)
	assert.Contains(t, res.BadRequest.Message, "messages must not be empty")
	t.Logf("npm openai client: %s", fmt.Sprint(res.Strict))
}

// Hardening #7: logprobs with a constraint used to give 200 and an empty
// body (a -Inf logprob failed JSON encoding silently).
func TestLogprobsWithConstraintEncode(t *testing.T) {
	_, hs := start(t, Config{})
	code, out, _ := post(t, hs.URL+"/v1/chat/completions", "", `{"messages":[{"role":"user","content":"Pick"}],"max_tokens":5,"logprobs":true,"top_logprobs":5,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"enum":["yes","no"]}}}}`)
	require.Equal(t, 200, code, out)
	choices := out["choices"].([]any)
	require.Len(t, choices, 1)
	content := choices[0].(map[string]any)["logprobs"].(map[string]any)["content"].([]any)
	require.NotEmpty(t, content)
	for _, c := range content {
		for _, top := range c.(map[string]any)["top_logprobs"].([]any) {
			lp := top.(map[string]any)["logprob"].(float64)
			assert.True(t, lp <= 0 && lp >= -9999, "%v", lp)
		}
	}
}

// Hardening #3 and the smaller server items: a token needs its "Bearer "
// prefix, an unknown model is OpenAI's 404, n × max_tokens is capped, and a
// request that runs past the deadline ends with 504.
func TestServerLimits(t *testing.T) {
	_, hs := start(t, Config{Token: "tok", MaxTokens: 250, MaxTotalTokens: 1000})
	url := hs.URL + "/v1/chat/completions"
	req, _ := http.NewRequest("POST", url, strings.NewReader(`{"messages":[{"role":"user","content":"x"}],"max_tokens":2}`))
	req.Header.Set("Authorization", "tok") // no "Bearer "
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)

	code, out, _ := post(t, url, "tok", `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"max_tokens":2}`)
	assert.Equal(t, 404, code)
	assert.Equal(t, "model_not_found", out["error"].(map[string]any)["code"])
	code, _, _ = post(t, url, "tok", `{"model":"local","messages":[{"role":"user","content":"x"}],"max_tokens":2}`)
	assert.Equal(t, 200, code)

	code, out, _ = post(t, url, "tok", `{"messages":[{"role":"user","content":"x"}],"n":16,"max_tokens":250}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, errMsg(out), "16 × 250 = 4000, more than this server's limit of 1000")

	_, slow := start(t, Config{RequestTimeout: time.Millisecond})
	code, out, _ = post(t, slow.URL+"/v1/chat/completions", "", `{"messages":[{"role":"user","content":"x"}],"max_tokens":200,"n":4}`)
	assert.Equal(t, 504, code, out)
	assert.Contains(t, errMsg(out), "per-request limit")
}

// FuzzRequest: any body to the chat endpoint gets a JSON answer with a 2xx
// or 4xx status, never a 5xx or a panic.
func FuzzRequest(f *testing.F) {
	for _, b := range []string{`{"messages":[{"role":"user","content":"x"}],"max_tokens":2}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"n":2,"max_tokens":2,"stop":["a"]}`,
		`{"messages":[{"role":"user","content":"x"}],"max_tokens":3,"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"enum":["yes","no"]}}}}`,
		`{"messages":[{"role":"user","content":"x"}],"max_tokens":2,"logprobs":true,"top_logprobs":3}`,
		`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto"}`} {
		f.Add(b)
	}
	s := New(tinyBackend(f), Config{MaxTokens: 8, MaxBodyBytes: 8192})
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body.String())
		}
		if w.Header().Get("Content-Type") == "application/json" && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid JSON body for %q: %s", body, w.Body.String())
		}
	})
}

// Hardening #1: a prompt too long for the context is refused before it
// takes a slot: with the only slot busy it gets its 400 at once, not a 429
// (two abandoned 100 KB requests used to hold every slot for 30 s).
func TestOversizedPromptNeverTakesASlot(t *testing.T) {
	s, hs := start(t, Config{MaxConcurrent: 1, QueueWait: 50 * time.Millisecond, MaxBodyBytes: 1 << 20, MaxTokens: 250})
	s.slots <- struct{}{} // the only slot is busy
	defer func() { <-s.slots }()
	long := strings.Repeat("abcdefghij", 10000) // 100 KB without a space
	code, out, _ := post(t, hs.URL+"/v1/chat/completions", "", `{"messages":[{"role":"user","content":"`+long+`"}],"max_tokens":5}`)
	assert.Equal(t, 400, code)
	assert.Equal(t, "context_length_exceeded", out["error"].(map[string]any)["code"])
	code, out, _ = post(t, hs.URL+"/v1/chat/completions", "", `{"messages":[{"role":"user","content":"x"}],"max_tokens":5,"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"enum":[]}}}}`)
	assert.Equal(t, 400, code, out)
	code, _, _ = post(t, hs.URL+"/v1/chat/completions", "", `{"messages":[{"role":"user","content":"x"}],"max_tokens":5}`)
	assert.Equal(t, 429, code, "a valid request waits for the busy slot")
}

// #18: /metrics is scraped: requests by status, tokens, time to first
// token and per-token latency, queue depth and slots in use.
func TestMetricsScrape(t *testing.T) {
	_, hs := start(t, Config{})
	code, _, _ := post(t, hs.URL+"/v1/chat/completions", "", `{"messages":[{"role":"user","content":"Hello"}],"max_tokens":4}`)
	require.Equal(t, 200, code)
	code, _, _ = post(t, hs.URL+"/v1/chat/completions", "", `{"messages":[{"role":"user","content":"Hello"}],"max_tokens":3,"stream":true}`)
	require.Equal(t, 200, code)
	code, _, _ = post(t, hs.URL+"/v1/chat/completions", "", `{"messages":[]}`)
	require.Equal(t, 400, code)
	resp, err := http.Get(hs.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	text := string(body)
	for _, want := range []string{
		`ponder_requests_total{endpoint="/v1/chat/completions",status="200"} 2`,
		`ponder_requests_total{endpoint="/v1/chat/completions",status="400"} 1`,
		`ponder_tokens_total{kind="completion"} `,
		`ponder_tokens_total{kind="prompt"} `,
		`ponder_time_to_first_token_seconds_count 2`,
		`ponder_token_latency_seconds_count 2`,
		`ponder_queue_depth 0`,
		`ponder_slots_in_use 0`,
	} {
		assert.Contains(t, text, want)
	}
}

// Concurrent requests to a batching model decode together and answer what
// each answers alone, streamed or not.
func TestBatchedRequestsAnswerAsAlone(t *testing.T) {
	b := tinyBackend(t)
	hs := httptest.NewServer(New(b, Config{MaxConcurrent: 8}))
	t.Cleanup(hs.Close)
	complete := func(i int, stream bool) string {
		body := fmt.Sprintf(`{"prompt":"Request %d asks:","max_tokens":20,"temperature":0,"stream":%v}`, i, stream)
		resp, err := http.Post(hs.URL+"/v1/completions", "application/json", strings.NewReader(body))
		if !assert.NoError(t, err) {
			return ""
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		assert.Equal(t, 200, resp.StatusCode, string(raw))
		var r struct {
			Choices []struct{ Text string } `json:"choices"`
		}
		if !stream {
			assert.NoError(t, json.Unmarshal(raw, &r))
			if len(r.Choices) != 1 {
				return ""
			}
			return r.Choices[0].Text
		}
		var text strings.Builder // SSE: join the chunks' texts
		for _, line := range strings.Split(string(raw), "\n") {
			if data, ok := strings.CutPrefix(line, "data: "); ok && data != "[DONE]" {
				r.Choices = nil
				assert.NoError(t, json.Unmarshal([]byte(data), &r))
				for _, c := range r.Choices {
					text.WriteString(c.Text)
				}
			}
		}
		return text.String()
	}
	const n = 6
	want := make([]string, n)
	for i := range want {
		want[i] = complete(i, false)
	}
	b.Model.Batch = 8
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = complete(i, i%2 == 1)
		}()
	}
	wg.Wait()
	assert.Equal(t, want, got)
	assert.NotEmpty(t, want[0])
}
