package llmtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// ChatRequest is the wire form of POST /v1/chat/completions, as the server
// parsed it. Raw keeps every field for assertions (e.g. that temperature was sent).
type ChatRequest struct {
	Model          string          `json:"model"`
	Messages       []WireMessage   `json:"messages"`
	N              int             `json:"n"`
	Stream         bool            `json:"stream"`
	Temperature    *float64        `json:"temperature"`
	TopP           *float64        `json:"top_p"`
	MaxTokens      int             `json:"max_tokens"`
	Seed           *int64          `json:"seed"`
	Tools          []WireTool      `json:"tools"`
	ToolChoice     json.RawMessage `json:"tool_choice"`
	ResponseFormat json.RawMessage `json:"response_format"`
	Logprobs       bool            `json:"logprobs"`
	TopLogprobs    int             `json:"top_logprobs"`
	StopRaw        json.RawMessage `json:"stop"`
	Stop           []string        `json:"-"`
	Raw            map[string]any  `json:"-"`
}

// WireMessage is a chat message on the wire.
type WireMessage struct {
	Role       string         `json:"role"`
	Content    any            `json:"content"`
	ToolCalls  []WireToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

// Text is the message content as a string (string or array-of-parts form).
func (m WireMessage) Text() string {
	switch c := m.Content.(type) {
	case string:
		return c
	case []any:
		var b strings.Builder
		for _, p := range c {
			if pm, ok := p.(map[string]any); ok {
				if t, ok := pm["text"].(string); ok {
					b.WriteString(t)
				}
			}
		}
		return b.String()
	}
	return ""
}

// WireTool is a tool offered on the wire.
type WireTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// WireToolCall is a tool call on the wire.
type WireToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// Prompt renders the messages as "role: content" lines.
func (r *ChatRequest) Prompt() string {
	var b strings.Builder
	for _, m := range r.Messages {
		fmt.Fprintf(&b, "%s: %s\n", m.Role, m.Text())
		for _, tc := range m.ToolCalls {
			fmt.Fprintf(&b, "%s: call %s(%s)\n", m.Role, tc.Function.Name, tc.Function.Arguments)
		}
	}
	return b.String()
}

// Reply is what the server answers for one sample.
type Reply struct {
	Content      string
	ToolCalls    []ToolCallReply
	FinishReason string // default "stop" ("tool_calls" when ToolCalls)
}

// ToolCallReply is a tool call the server makes the model emit.
type ToolCallReply struct {
	ID, Name, Arguments string
}

// Fault makes the server misbehave on one request.
type Fault struct {
	Status     int    // HTTP status of an error reply (e.g. 429, 500, 400)
	RetryAfter string // Retry-After header value, e.g. "1" or "0"
	Code       string // OpenAI error code, e.g. "context_length_exceeded"
	Message    string
	Malformed  bool // reply 200 with a body that is not JSON
	// CutAfter > 0: a streamed reply sends this many chunks and then closes
	// the connection without finish_reason or [DONE].
	CutAfter int
}

// Server is an OpenAI-compatible HTTP server for tests. Set Respond before
// sending requests; queue Faults to exercise error paths.
type Server struct {
	*httptest.Server

	// Respond computes the reply for sample i of a request. Default: echo
	// the last message.
	Respond func(req *ChatRequest, sample int) Reply
	// Latency delays every reply (before the first byte).
	Latency time.Duration
	// MaxN caps the number of choices per reply (0: honour n), to mimic
	// servers that ignore n.
	MaxN int
	// Embed computes an embedding; default: a deterministic 8-dim hash.
	Embed func(text string) []float32

	mu       sync.Mutex
	faults   []Fault
	requests []ChatRequest
	embeds   int
}

// NewServer starts a Server; it is closed by t.Cleanup-style callers via Close.
func NewServer() *Server {
	s := &Server{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"object": "list", "data": []any{map[string]any{"id": "test-model", "object": "model", "owned_by": "llmtest"}}})
	})
	s.Server = httptest.NewServer(mux)
	return s
}

// BaseURL is the URL to configure a client with (ends in /v1).
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// QueueFault makes the next request (after those already queued) fail as f.
func (s *Server) QueueFault(f ...Fault) {
	s.mu.Lock()
	s.faults = append(s.faults, f...)
	s.mu.Unlock()
}

// Requests returns the chat requests received so far.
func (s *Server) Requests() []ChatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ChatRequest(nil), s.requests...)
}

// EmbedCalls is how many embeddings requests were received.
func (s *Server) EmbedCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.embeds
}

func (s *Server) nextFault() *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return nil
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return &f
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	body := http.MaxBytesReader(w, r.Body, 8<<20)
	dec := json.NewDecoder(body)
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		writeError(w, 400, "invalid_request_error", "", "invalid JSON body: "+err.Error())
		return
	}
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &req); err != nil {
		writeError(w, 400, "invalid_request_error", "", "bad field: "+err.Error())
		return
	}
	req.Raw = raw
	if len(req.StopRaw) > 0 {
		var one string
		if json.Unmarshal(req.StopRaw, &one) == nil {
			req.Stop = []string{one}
		} else {
			_ = json.Unmarshal(req.StopRaw, &req.Stop)
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	if len(req.Messages) == 0 {
		writeError(w, 400, "invalid_request_error", "", "messages must not be empty")
		return
	}
	if s.Latency > 0 {
		select {
		case <-time.After(s.Latency):
		case <-r.Context().Done():
			return
		}
	}
	f := s.nextFault()
	if f != nil && f.Status != 0 {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		msg := f.Message
		if msg == "" {
			msg = http.StatusText(f.Status)
		}
		writeError(w, f.Status, "error", f.Code, msg)
		return
	}
	if f != nil && f.Malformed {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"trunc`))
		return
	}
	n := req.N
	if n < 1 {
		n = 1
	}
	if s.MaxN > 0 && n > s.MaxN {
		n = s.MaxN
	}
	respond := s.Respond
	if respond == nil {
		respond = func(req *ChatRequest, _ int) Reply {
			return Reply{Content: req.Messages[len(req.Messages)-1].Text()}
		}
	}
	replies := make([]Reply, n)
	for i := range replies {
		rep := respond(&req, i)
		if len(rep.ToolCalls) == 0 {
			var reason string
			rep.Content, reason = CutAtStop(rep.Content, req.Stop)
			if rep.FinishReason == "" {
				rep.FinishReason = reason
			}
		} else if rep.FinishReason == "" {
			rep.FinishReason = "tool_calls"
		}
		replies[i] = rep
	}
	promptTokens := Words(req.Prompt())
	completion := 0
	for _, rep := range replies {
		completion += Words(rep.Content)
	}
	usage := map[string]int{"prompt_tokens": promptTokens, "completion_tokens": completion, "total_tokens": promptTokens + completion}
	if req.Stream {
		cut := 0
		if f != nil {
			cut = f.CutAfter
		}
		s.stream(w, r, &req, replies, usage, cut)
		return
	}
	choices := make([]any, n)
	for i, rep := range replies {
		msg := map[string]any{"role": "assistant", "content": rep.Content}
		if len(rep.ToolCalls) > 0 {
			msg["tool_calls"] = wireCalls(rep.ToolCalls, false)
		}
		c := map[string]any{"index": i, "message": msg, "finish_reason": rep.FinishReason}
		if req.Logprobs {
			c["logprobs"] = map[string]any{"content": logprobs(rep.Content, req.TopLogprobs)}
		}
		choices[i] = c
	}
	writeJSON(w, 200, map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": time.Now().Unix(),
		"model": modelName(req.Model), "choices": choices, "usage": usage,
	})
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, req *ChatRequest, replies []Reply, usage map[string]int, cutAfter int) {
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	sent := 0
	send := func(v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		sent++
		return r.Context().Err() == nil
	}
	chunk := func(choices ...any) map[string]any {
		return map[string]any{"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": modelName(req.Model), "choices": choices}
	}
	for i, rep := range replies {
		if !send(chunk(map[string]any{"index": i, "delta": map[string]any{"role": "assistant", "content": ""}, "finish_reason": nil})) {
			return
		}
		for _, piece := range SplitKeep(rep.Content) {
			if cutAfter > 0 && sent >= cutAfter {
				return // close mid-stream: no finish_reason, no [DONE]
			}
			c := map[string]any{"index": i, "delta": map[string]any{"content": piece}, "finish_reason": nil}
			if req.Logprobs {
				c["logprobs"] = map[string]any{"content": logprobs(piece, req.TopLogprobs)}
			}
			if !send(chunk(c)) {
				return
			}
		}
		if len(rep.ToolCalls) > 0 {
			if !send(chunk(map[string]any{"index": i, "delta": map[string]any{"tool_calls": wireCalls(rep.ToolCalls, true)}, "finish_reason": nil})) {
				return
			}
		}
		if cutAfter > 0 && sent >= cutAfter {
			return
		}
		if !send(chunk(map[string]any{"index": i, "delta": map[string]any{}, "finish_reason": rep.FinishReason})) {
			return
		}
	}
	if so, ok := req.Raw["stream_options"].(map[string]any); ok && so["include_usage"] == true {
		c := chunk()
		c["usage"] = usage
		send(c)
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input any    `json:"input"`
		Model string `json:"model"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, 400, "invalid_request_error", "", "invalid JSON body: "+err.Error())
		return
	}
	s.mu.Lock()
	s.embeds++
	s.mu.Unlock()
	if f := s.nextFault(); f != nil && f.Status != 0 {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Status, "error", f.Code, http.StatusText(f.Status))
		return
	}
	var inputs []string
	switch in := req.Input.(type) {
	case string:
		inputs = []string{in}
	case []any:
		for _, x := range in {
			xs, _ := x.(string)
			inputs = append(inputs, xs)
		}
	}
	embed := s.Embed
	if embed == nil {
		embed = HashEmbed
	}
	data := make([]any, len(inputs))
	total := 0
	for i, in := range inputs {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": embed(in)}
		total += Words(in)
	}
	writeJSON(w, 200, map[string]any{"object": "list", "data": data, "model": modelName(req.Model), "usage": map[string]int{"prompt_tokens": total, "total_tokens": total}})
}

// HashEmbed is a deterministic 8-dimensional embedding of text (FNV of the
// bytes spread over the dimensions), for tests only.
func HashEmbed(text string) []float32 {
	v := make([]float32, 8)
	var h uint32 = 2166136261
	for i := 0; i < len(text); i++ {
		h ^= uint32(text[i])
		h *= 16777619
		v[i%8] += float32(h%1000) / 1000
	}
	var norm float64
	for _, x := range v {
		norm += float64(x * x)
	}
	if norm == 0 {
		v[0] = 1
		return v
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(norm))
	}
	return v
}

func wireCalls(calls []ToolCallReply, indexed bool) []any {
	out := make([]any, len(calls))
	for i, c := range calls {
		m := map[string]any{"id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": c.Arguments}}
		if indexed {
			m["index"] = i
		}
		out[i] = m
	}
	return out
}

// logprobs gives every word of text a fixed log-probability of -0.25, with
// top alternatives at -1.5, -2.5, ...: enough to test the plumbing.
func logprobs(text string, top int) []any {
	var out []any
	for _, w := range SplitKeep(text) {
		alts := []any{}
		for k := 0; k < top; k++ {
			alts = append(alts, map[string]any{"token": fmt.Sprintf("alt%d", k), "logprob": -1.5 - float64(k), "bytes": nil})
		}
		b := make([]int, len(w))
		for i := 0; i < len(w); i++ {
			b[i] = int(w[i])
		}
		out = append(out, map[string]any{"token": w, "logprob": -0.25, "bytes": b, "top_logprobs": alts})
	}
	return out
}

func modelName(m string) string {
	if m == "" {
		return "test-model"
	}
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	e := map[string]any{"message": msg, "type": typ}
	if code != "" {
		e["code"] = code
	}
	writeJSON(w, status, map[string]any{"error": e})
}
