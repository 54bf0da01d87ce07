// Package serve exposes any llm.Model (in practice a local model) as an
// OpenAI-compatible HTTP API: POST /v1/chat/completions (JSON and SSE
// streaming), POST /v1/completions and GET /v1/models, with OpenAI's error
// JSON, an optional bearer token, and limits on body size, max_tokens and
// concurrent requests (a short queue, then 429 with Retry-After).
//
// response_format json_schema is enforced by the model's constraint engine,
// so even a weak model returns valid JSON.
package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ponder-go/ponder/llm"
)

// Config configures a Server. Zero values take the defaults.
type Config struct {
	ModelName     string        // reported by /v1/models (default "local")
	Token         string        // bearer token; empty: none required
	MaxBodyBytes  int64         // default 1 MiB
	MaxTokens     int           // largest max_tokens accepted (default 1024)
	DefaultTokens int           // max_tokens when absent (default 256)
	MaxConcurrent int           // requests generating at once (default 2)
	QueueWait     time.Duration // how long a request may wait for a slot (default 2s)
	// Temperature is used when a request omits it. OpenAI documents 1.0;
	// that is the default here too.
	Temperature float64
	// MaxTotalTokens caps n × max_tokens of one request (default 4096).
	MaxTotalTokens int
	// RequestTimeout bounds one request's generation (default 5 minutes).
	RequestTimeout time.Duration
}

// Server is an http.Handler.
type Server struct {
	model llm.Model
	cfg   Config
	slots chan struct{}
	mux   *http.ServeMux
	m     *metrics
	// Rejected counts requests turned away with 429.
	Rejected atomic.Int64
}

// New returns a Server for m.
func New(m llm.Model, cfg Config) *Server {
	if cfg.ModelName == "" {
		cfg.ModelName = "local"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 1024
	}
	if cfg.DefaultTokens <= 0 {
		cfg.DefaultTokens = min(256, cfg.MaxTokens)
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 2
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = 2 * time.Second
	}
	if cfg.Temperature == 0 {
		cfg.Temperature = 1
	}
	if cfg.MaxTotalTokens <= 0 {
		cfg.MaxTotalTokens = max(4096, cfg.MaxTokens)
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Minute
	}
	s := &Server{model: m, cfg: cfg, slots: make(chan struct{}, cfg.MaxConcurrent), mux: http.NewServeMux(), m: newMetrics()}
	s.mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.mux.HandleFunc("POST /v1/completions", s.completions)
	s.mux.HandleFunc("GET /v1/models", s.models)
	s.mux.Handle("GET /metrics", s.m.handler())
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "invalid_request_error", "", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) != 1 {
			apiError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "missing or wrong bearer token")
			return
		}
	}
	sw := &statusWriter{ResponseWriter: w}
	s.mux.ServeHTTP(sw, r)
	if r.URL.Path != "/metrics" {
		s.m.count(r.URL.Path, sw.status)
	}
}

func apiError(w http.ResponseWriter, status int, typ, code, msg string) {
	e := map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}
	if code != "" {
		e["code"] = code
	}
	writeJSON(w, status, map[string]any{"error": e})
}

// writeJSON encodes v before writing anything, so a value that cannot be
// encoded is a 500 with a message, never a 200 with an empty body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]any{"error": map[string]any{"message": "encoding the response: " + err.Error(), "type": "server_error", "param": nil, "code": nil}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // a failed write means the client left
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"object": "list", "data": []any{
		map[string]any{"id": s.cfg.ModelName, "object": "model", "created": 0, "owned_by": "ponder"}}})
}

// acquire waits for a generation slot; false means the caller got a 429.
func (s *Server) acquire(w http.ResponseWriter, r *http.Request) bool {
	t := time.NewTimer(s.cfg.QueueWait)
	defer t.Stop()
	s.m.queued.Inc()
	defer s.m.queued.Dec()
	select {
	case s.slots <- struct{}{}:
		s.m.slotsUsed.Inc()
		return true
	case <-t.C:
	case <-r.Context().Done():
		return false
	}
	s.Rejected.Add(1)
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.cfg.QueueWait.Seconds()))))
	apiError(w, http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", fmt.Sprintf("all %d generation slots are busy; retry later", s.cfg.MaxConcurrent))
	return false
}

func (s *Server) release() {
	<-s.slots
	s.m.slotsUsed.Dec()
}

// common holds the sampling fields shared by both endpoints.
type common struct {
	Model               string          `json:"model"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	N                   *int            `json:"n"`
	Stop                json.RawMessage `json:"stop"`
	Seed                *int64          `json:"seed"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Logprobs       *bool           `json:"logprobs"`
	TopLogprobs    *int            `json:"top_logprobs"`
	ResponseFormat json.RawMessage `json:"response_format"`
	Tools          json.RawMessage `json:"tools"`
	ToolChoice     json.RawMessage `json:"tool_choice"`
}

// wireTool is a tool in OpenAI's request form.
type wireTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// wireToolCall is a tool call in OpenAI's message form.
type wireToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// maxTools bounds the tools one request may offer.
const maxTools = 128

var toolName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

type chatRequest struct {
	common
	Messages []struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		Name       string          `json:"name"`
		ToolCalls  []wireToolCall  `json:"tool_calls"`
		ToolCallID string          `json:"tool_call_id"`
	} `json:"messages"`
}

type completionRequest struct {
	common
	Prompt json.RawMessage `json:"prompt"`
}

// modelNotFound is OpenAI's 404 for a model the server does not have.
type modelNotFound struct{ asked, have string }

func (e *modelNotFound) Error() string {
	return fmt.Sprintf("the model %q does not exist here; this server serves %q (GET /v1/models)", e.asked, e.have)
}

// badRequest is a 400 with a message naming what was wrong.
type badRequest struct{ param, msg string }

func (e *badRequest) Error() string { return e.msg }

func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &badRequest{"", fmt.Sprintf("request body is larger than %d bytes", limit)}
		}
		return &badRequest{"", "reading the body: " + err.Error()}
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := strings.TrimPrefix(te.Field, "common.")
			return &badRequest{field, fmt.Sprintf("field %q has the wrong type: got JSON %s, want %s", field, te.Value, te.Type)}
		}
		return &badRequest{"", "invalid JSON body: " + err.Error()}
	}
	return nil
}

// toRequest validates the shared fields and builds an llm.Request.
func (s *Server) toRequest(c *common) (llm.Request, error) {
	req := llm.Request{MaxTokens: s.cfg.DefaultTokens, Temperature: llm.Temp(s.cfg.Temperature)}
	if c.Model != "" && c.Model != s.cfg.ModelName {
		return req, &modelNotFound{c.Model, s.cfg.ModelName}
	}
	if len(c.Tools) > 0 && string(c.Tools) != "null" {
		var tools []wireTool
		if err := json.Unmarshal(c.Tools, &tools); err != nil {
			return req, &badRequest{"tools", "tools must be an array of {\"type\": \"function\", \"function\": {...}}: " + err.Error()}
		}
		if len(tools) > maxTools {
			return req, &badRequest{"tools", fmt.Sprintf("at most %d tools, got %d", maxTools, len(tools))}
		}
		for i, t := range tools {
			if t.Type != "function" || !toolName.MatchString(t.Function.Name) {
				return req, &badRequest{"tools", fmt.Sprintf("tools[%d]: want type \"function\" and a name of 1-64 letters, digits, _ or -", i)}
			}
			if len(t.Function.Parameters) > 0 && string(t.Function.Parameters) != "null" && !json.Valid(t.Function.Parameters) {
				return req, &badRequest{"tools", fmt.Sprintf("tools[%d].function.parameters is not JSON", i)}
			}
			req.Tools = append(req.Tools, llm.ToolSpec{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
		}
	}
	if len(c.ToolChoice) > 0 && string(c.ToolChoice) != "null" {
		var choice string
		var named struct {
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		switch {
		case json.Unmarshal(c.ToolChoice, &choice) == nil && (choice == "none" || choice == "auto" || choice == "required"):
			req.ToolChoice = choice
		case json.Unmarshal(c.ToolChoice, &named) == nil && named.Function.Name != "":
			req.ToolChoice = named.Function.Name
		default:
			return req, &badRequest{"tool_choice", "tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}"}
		}
		if req.ToolChoice != "none" && len(req.Tools) == 0 {
			return req, &badRequest{"tool_choice", "tool_choice needs tools"}
		}
	}
	mt := c.MaxTokens
	if c.MaxCompletionTokens != nil {
		mt = c.MaxCompletionTokens
	}
	if mt != nil {
		if *mt < 1 || *mt > s.cfg.MaxTokens {
			return req, &badRequest{"max_tokens", fmt.Sprintf("max_tokens must be between 1 and %d, got %d", s.cfg.MaxTokens, *mt)}
		}
		req.MaxTokens = *mt
	}
	if c.Temperature != nil {
		if *c.Temperature < 0 || *c.Temperature > 2 {
			return req, &badRequest{"temperature", fmt.Sprintf("temperature must be between 0 and 2, got %v", *c.Temperature)}
		}
		req.Temperature = llm.Temp(*c.Temperature)
	}
	if c.TopP != nil {
		if *c.TopP <= 0 || *c.TopP > 1 {
			return req, &badRequest{"top_p", fmt.Sprintf("top_p must be in (0, 1], got %v", *c.TopP)}
		}
		req.TopP = *c.TopP
	}
	if c.N != nil {
		if *c.N < 1 || *c.N > 16 {
			return req, &badRequest{"n", fmt.Sprintf("n must be between 1 and 16, got %d", *c.N)}
		}
		req.N = *c.N
	}
	if total := req.Samples() * req.MaxTokens; total > s.cfg.MaxTotalTokens {
		return req, &badRequest{"n", fmt.Sprintf("n × max_tokens is %d × %d = %d, more than this server's limit of %d per request", req.Samples(), req.MaxTokens, total, s.cfg.MaxTotalTokens)}
	}
	req.Seed = c.Seed
	if len(c.Stop) > 0 && string(c.Stop) != "null" {
		var one string
		if json.Unmarshal(c.Stop, &one) == nil {
			req.Stop = []string{one}
		} else if err := json.Unmarshal(c.Stop, &req.Stop); err != nil || len(req.Stop) > 4 {
			return req, &badRequest{"stop", "stop must be a string or an array of at most 4 strings"}
		}
	}
	if c.Logprobs != nil && *c.Logprobs {
		req.Logprobs = true
		if c.TopLogprobs != nil {
			if *c.TopLogprobs < 0 || *c.TopLogprobs > 20 {
				return req, &badRequest{"top_logprobs", "top_logprobs must be between 0 and 20"}
			}
			req.TopLogprobs = *c.TopLogprobs
		}
	}
	if len(c.ResponseFormat) > 0 && string(c.ResponseFormat) != "null" {
		var rf struct {
			Type       string `json:"type"`
			JSONSchema *struct {
				Name   string          `json:"name"`
				Schema json.RawMessage `json:"schema"`
				Strict *bool           `json:"strict"`
			} `json:"json_schema"`
		}
		if err := json.Unmarshal(c.ResponseFormat, &rf); err != nil {
			return req, &badRequest{"response_format", "response_format: " + err.Error()}
		}
		switch rf.Type {
		case "text", "":
		case "json_schema":
			if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 {
				return req, &badRequest{"response_format", "response_format json_schema needs json_schema.schema"}
			}
			req.Constraint = llm.JSONSchema(rf.JSONSchema.Name, rf.JSONSchema.Schema)
		default:
			return req, &badRequest{"response_format", fmt.Sprintf("response_format type %q is not supported (use json_schema)", rf.Type)}
		}
	}
	return req, nil
}

func contentText(raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("content must be a string or an array of text parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", fmt.Errorf("content part type %q is not supported", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// parse decodes a request body into v and its shared fields into an
// llm.Request; on failure it has written the 400 and returns false.
func (s *Server) parse(w http.ResponseWriter, r *http.Request, v any, c *common) (llm.Request, bool) {
	if err := decode(w, r, s.cfg.MaxBodyBytes, v); err != nil {
		s.fail(w, err)
		return llm.Request{}, false
	}
	req, err := s.toRequest(c)
	if err != nil {
		s.fail(w, err)
		return llm.Request{}, false
	}
	return req, true
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var cr chatRequest
	req, ok := s.parse(w, r, &cr, &cr.common)
	if !ok {
		return
	}
	if len(cr.Messages) == 0 {
		s.fail(w, &badRequest{"messages", "messages must not be empty"})
		return
	}
	for i, m := range cr.Messages {
		text, err := contentText(m.Content)
		if err != nil && len(m.ToolCalls) > 0 && (len(m.Content) == 0 || string(m.Content) == "null") {
			text, err = "", nil // an assistant turn that only calls tools
		}
		if err != nil {
			s.fail(w, &badRequest{"messages", fmt.Sprintf("messages[%d]: %v", i, err)})
			return
		}
		role := llm.Role(m.Role)
		switch role {
		case llm.RoleSystem, llm.RoleUser, llm.RoleAssistant, llm.RoleTool, "developer":
		default:
			s.fail(w, &badRequest{"messages", fmt.Sprintf("messages[%d]: unknown role %q", i, m.Role)})
			return
		}
		msg := llm.Message{Role: role, Content: text, Name: m.Name, ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		req.Messages = append(req.Messages, msg)
	}
	s.run(w, r, req, cr.common, true)
}

func (s *Server) completions(w http.ResponseWriter, r *http.Request) {
	var cr completionRequest
	req, ok := s.parse(w, r, &cr, &cr.common)
	if !ok {
		return
	}
	var prompt string
	if json.Unmarshal(cr.Prompt, &prompt) != nil {
		var ps []string
		if err := json.Unmarshal(cr.Prompt, &ps); err != nil || len(ps) != 1 {
			s.fail(w, &badRequest{"prompt", "prompt must be a string (or an array of one string)"})
			return
		}
		prompt = ps[0]
	}
	req.Messages = []llm.Message{llm.User(prompt)}
	s.run(w, r, req, cr.common, false)
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	var br *badRequest
	var le *llm.Error
	var nf *modelNotFound
	switch {
	case errors.As(err, &nf):
		e := map[string]any{"message": nf.Error(), "type": "invalid_request_error", "param": "model", "code": "model_not_found"}
		writeJSON(w, http.StatusNotFound, map[string]any{"error": e})
	case errors.As(err, &br):
		e := map[string]any{"message": br.msg, "type": "invalid_request_error", "param": nil, "code": nil}
		if br.param != "" {
			e["param"] = br.param
		}
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": e})
	case errors.As(err, &le) && (errors.Is(err, llm.ErrUnsupported) || errors.Is(err, llm.ErrBadRequest)):
		apiError(w, http.StatusBadRequest, "invalid_request_error", "", err.Error())
	case errors.Is(err, llm.ErrContextLength):
		apiError(w, http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		apiError(w, http.StatusGatewayTimeout, "server_error", "timeout", fmt.Sprintf("generation ran past this server's per-request limit of %s", s.cfg.RequestTimeout))
	case errors.Is(err, context.Canceled):
		// the client went away: nothing to write
	default:
		apiError(w, http.StatusInternalServerError, "server_error", "", err.Error())
	}
}

var idSeq atomic.Int64

// preflighter is a model that can check a request before generating (the
// local backend tokenizes it and compiles its constraint).
type preflighter interface {
	Preflight(ctx context.Context, req llm.Request) error
}

func (s *Server) run(w http.ResponseWriter, r *http.Request, req llm.Request, c common, chat bool) {
	// Refuse what cannot run before taking a generation slot: an oversized
	// prompt or a bad constraint must not make other clients wait.
	if p, ok := s.model.(preflighter); ok {
		if err := p.Preflight(r.Context(), req); err != nil {
			s.fail(w, err)
			return
		}
	}
	if !s.acquire(w, r) {
		return
	}
	defer s.release()
	// The request's context ends when the client leaves (generation stops
	// with it) or at the server's per-request deadline.
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	id := fmt.Sprintf("%s-%d", map[bool]string{true: "chatcmpl", false: "cmpl"}[chat], idSeq.Add(1))
	created := time.Now().Unix()
	object := map[bool]string{true: "chat.completion", false: "text_completion"}[chat]
	// Tool calls are known once the reply is complete: such a request is
	// generated whole and, when streamed, sent as one content delta and
	// one tool_calls delta.
	withTools := chat && len(req.Tools) > 0
	if !c.Stream || withTools {
		// Streamed internally when the model can, to time the first token.
		started := time.Now()
		var first time.Time
		resp, err := llm.Stream(r.Context(), s.model, req, func(llm.Chunk) error {
			if first.IsZero() {
				first = time.Now()
			}
			return nil
		})
		if err == nil {
			s.m.generation(started, first, resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
		}
		if err != nil {
			s.fail(w, err)
			return
		}
		choices := make([]any, len(resp.Choices))
		for i, ch := range resp.Choices {
			choice := map[string]any{"index": i, "finish_reason": ch.FinishReason, "logprobs": nil}
			if chat {
				msg := map[string]any{"role": "assistant", "content": ch.Text}
				if len(ch.ToolCalls) > 0 {
					msg["tool_calls"] = wireToolCalls(ch.ToolCalls, false)
					if ch.Text == "" {
						msg["content"] = nil
					}
				}
				choice["message"] = msg
			} else {
				choice["text"] = ch.Text
			}
			if req.Logprobs {
				choice["logprobs"] = map[string]any{"content": wireLogprobs(ch.Logprobs)}
			}
			choices[i] = choice
		}
		if c.Stream {
			s.streamWhole(w, id, created, resp, c)
			return
		}
		writeJSON(w, 200, map[string]any{"id": id, "object": object, "created": created, "model": s.cfg.ModelName,
			"choices": choices, "usage": usage(resp.Usage)})
		return
	}
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	started := false
	send := func(v any) error {
		if !started {
			w.WriteHeader(200)
			started = true
		}
		b, err := json.Marshal(v)
		if err != nil {
			b, _ = json.Marshal(map[string]any{"error": map[string]any{"message": "encoding the response: " + err.Error(), "type": "server_error"}})
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return err
		}
		if fl != nil {
			fl.Flush()
		}
		return nil
	}
	chunkObject := object
	if chat {
		chunkObject = "chat.completion.chunk"
	}
	chunk := func(choices ...any) map[string]any {
		return map[string]any{"id": id, "object": chunkObject, "created": created, "model": s.cfg.ModelName, "choices": choices}
	}
	piece := func(i int, text string, finish any) map[string]any {
		if chat {
			delta := map[string]any{}
			if text != "" {
				delta["content"] = text
			}
			return map[string]any{"index": i, "delta": delta, "finish_reason": finish}
		}
		return map[string]any{"index": i, "text": text, "finish_reason": finish}
	}
	if chat {
		for i := 0; i < req.Samples(); i++ {
			if err := send(chunk(map[string]any{"index": i, "delta": map[string]any{"role": "assistant", "content": ""}, "finish_reason": nil})); err != nil {
				return
			}
		}
	}
	genStart := time.Now()
	var first time.Time
	resp, err := llm.Stream(r.Context(), s.model, req, func(ch llm.Chunk) error {
		if first.IsZero() {
			first = time.Now()
		}
		return send(chunk(piece(ch.Choice, ch.Text, nil)))
	})
	if err == nil {
		s.m.generation(genStart, first, resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
	}
	if err != nil {
		if !started {
			s.fail(w, err)
			return
		}
		_ = send(map[string]any{"error": map[string]any{"message": err.Error(), "type": "server_error"}})
		return
	}
	for i, ch := range resp.Choices {
		if err := send(chunk(piece(i, "", ch.FinishReason))); err != nil {
			return
		}
	}
	if c.StreamOptions != nil && c.StreamOptions.IncludeUsage {
		u := chunk()
		u["usage"] = usage(resp.Usage)
		_ = send(u)
	}
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}

// wireToolCalls writes tool calls in OpenAI's form (with each call's index
// for stream deltas).
func wireToolCalls(calls []llm.ToolCall, indexed bool) []any {
	out := make([]any, len(calls))
	for i, tc := range calls {
		c := map[string]any{"id": tc.ID, "type": "function", "function": map[string]any{"name": tc.Name, "arguments": tc.Arguments}}
		if indexed {
			c["index"] = i
		}
		out[i] = c
	}
	return out
}

// streamWhole sends a finished chat response as server-sent events: per
// choice a role delta, a content delta, a tool_calls delta and the finish.
func (s *Server) streamWhole(w http.ResponseWriter, id string, created int64, resp *llm.Response, c common) {
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(200)
	send := func(choices []any, extra map[string]any) {
		v := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": s.cfg.ModelName, "choices": choices}
		for k, x := range extra {
			v[k] = x
		}
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	for i, ch := range resp.Choices {
		send([]any{map[string]any{"index": i, "delta": map[string]any{"role": "assistant", "content": ""}, "finish_reason": nil}}, nil)
		if ch.Text != "" {
			send([]any{map[string]any{"index": i, "delta": map[string]any{"content": ch.Text}, "finish_reason": nil}}, nil)
		}
		if len(ch.ToolCalls) > 0 {
			send([]any{map[string]any{"index": i, "delta": map[string]any{"tool_calls": wireToolCalls(ch.ToolCalls, true)}, "finish_reason": nil}}, nil)
		}
		send([]any{map[string]any{"index": i, "delta": map[string]any{}, "finish_reason": ch.FinishReason}}, nil)
	}
	if c.StreamOptions != nil && c.StreamOptions.IncludeUsage {
		send([]any{}, map[string]any{"usage": usage(resp.Usage)})
	}
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}

func usage(u llm.Usage) map[string]int {
	return map[string]int{"prompt_tokens": u.PromptTokens, "completion_tokens": u.CompletionTokens, "total_tokens": u.TotalTokens}
}

func wireLogprobs(lps []llm.TokenLogprob) []any {
	out := make([]any, len(lps))
	for i, lp := range lps {
		top := make([]any, len(lp.Top))
		for j, t := range lp.Top {
			top[j] = map[string]any{"token": t.Token, "logprob": finiteLogprob(t.Logprob), "bytes": byteInts(t.Token)}
		}
		out[i] = map[string]any{"token": lp.Token, "logprob": finiteLogprob(lp.Logprob), "bytes": byteInts(lp.Token), "top_logprobs": top}
	}
	return out
}

// finiteLogprob writes an impossible token's log-probability (-Inf, a
// token a constraint forbids) as -9999, as OpenAI does: JSON has no
// infinity.
func finiteLogprob(lp float64) float64 {
	if math.IsInf(lp, 0) || math.IsNaN(lp) || lp < -9999 {
		return -9999
	}
	return lp
}

func byteInts(s string) []int {
	b := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		b[i] = int(s[i])
	}
	return b
}
