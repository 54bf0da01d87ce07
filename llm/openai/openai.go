// Package openai is Ponder's backend for any server speaking the OpenAI API:
// OpenAI itself, Azure-style gateways, Ollama, vLLM, llama.cpp's server and LM
// Studio. It is built on github.com/sashabaranov/go-openai and adds what that
// client leaves to callers: retries with backoff that honour Retry-After,
// typed errors (llm.ErrRateLimited, ...), an explicit greedy temperature,
// n-sample fallback for servers that ignore n, detection of cut streams, and
// validation of structured (JSON schema) output.
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/ponder-go/ponder/internal/clip"
	"github.com/ponder-go/ponder/internal/par"
	"github.com/ponder-go/ponder/llm"
)

const backend = "openai"

// Config configures a Client. New fills it from the environment, then applies
// options.
type Config struct {
	APIKey         string // OPENAI_API_KEY
	BaseURL        string // OPENAI_BASE_URL, e.g. http://localhost:11434/v1
	Model          string // PONDER_MODEL; default "gpt-4o-mini"
	EmbeddingModel string // PONDER_EMBEDDING_MODEL; default "text-embedding-3-small"
	HTTPClient     *http.Client
	// MaxAttempts per call, first try included (default 4).
	MaxAttempts int
	// BaseBackoff is the first retry delay, doubled each attempt with full
	// jitter, capped at MaxBackoff (defaults 500ms and 20s). A server's
	// Retry-After replaces the computed delay.
	BaseBackoff, MaxBackoff time.Duration
	// Concurrency bounds the extra requests made when a server returns
	// fewer than n choices (default 16).
	Concurrency int
	// EmbedBatch is the number of texts per embeddings request (default 256).
	EmbedBatch int
}

// Option changes a Config.
type Option func(*Config)

func WithAPIKey(k string) Option         { return func(c *Config) { c.APIKey = k } }
func WithBaseURL(u string) Option        { return func(c *Config) { c.BaseURL = u } }
func WithModel(m string) Option          { return func(c *Config) { c.Model = m } }
func WithEmbeddingModel(m string) Option { return func(c *Config) { c.EmbeddingModel = m } }
func WithHTTPClient(h *http.Client) Option {
	return func(c *Config) { c.HTTPClient = h }
}

// WithRetry sets the attempts and backoff bounds.
func WithRetry(attempts int, base, max time.Duration) Option {
	return func(c *Config) { c.MaxAttempts, c.BaseBackoff, c.MaxBackoff = attempts, base, max }
}

// WithConcurrency bounds the fallback requests for n samples.
func WithConcurrency(n int) Option { return func(c *Config) { c.Concurrency = n } }

// Configured reports whether the environment names a remote backend
// (OPENAI_API_KEY or OPENAI_BASE_URL is set).
func Configured() bool {
	return os.Getenv("OPENAI_API_KEY") != "" || os.Getenv("OPENAI_BASE_URL") != ""
}

// Client is an llm.Model, llm.Streamer and llm.Embedder.
type Client struct {
	cfg      Config
	api      *goopenai.Client
	nIgnored atomic.Bool // the server was seen to return fewer than n choices
}

// New builds a Client from the environment and opts. Without an API key and
// with the default OpenAI URL it fails, saying which variable to set.
func New(opts ...Option) (*Client, error) {
	cfg := Config{
		APIKey:         os.Getenv("OPENAI_API_KEY"),
		BaseURL:        os.Getenv("OPENAI_BASE_URL"),
		Model:          os.Getenv("PONDER_MODEL"),
		EmbeddingModel: os.Getenv("PONDER_EMBEDDING_MODEL"),
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.Model == "" {
		cfg.Model = "gpt-4o-mini"
	}
	if cfg.EmbeddingModel == "" {
		cfg.EmbeddingModel = "text-embedding-3-small"
	}
	if cfg.MaxAttempts < 1 {
		cfg.MaxAttempts = 4
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 20 * time.Second
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 16
	}
	if cfg.EmbedBatch < 1 {
		cfg.EmbedBatch = 256
	}
	if cfg.APIKey == "" && cfg.BaseURL == "" {
		return nil, fmt.Errorf("openai: no API key: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server such as Ollama, vLLM or llama.cpp)")
	}
	gc := goopenai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		gc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	wrapped := *hc
	wrapped.Transport = headerRecorder{base}
	gc.HTTPClient = &wrapped
	return &Client{cfg: cfg, api: goopenai.NewClientWithConfig(gc)}, nil
}

// Model is the configured model name.
func (c *Client) Model() string { return c.cfg.Model }

// greedyTemperature stands in for an explicit 0: go-openai omits a zero
// temperature from the JSON, and servers then use their default (often 1).
// Servers treat values this small as greedy (vLLM's cut-off is 1e-5).
const greedyTemperature = 1e-6

func (c *Client) chatRequest(req llm.Request) (goopenai.ChatCompletionRequest, error) {
	out := goopenai.ChatCompletionRequest{
		Model:       c.cfg.Model,
		MaxTokens:   req.MaxTokens,
		TopP:        float32(req.TopP),
		N:           req.N,
		Stop:        req.Stop,
		LogProbs:    req.Logprobs,
		TopLogProbs: req.TopLogprobs,
	}
	if req.N <= 1 {
		out.N = 0
	}
	if req.Model != "" {
		out.Model = req.Model
	}
	if req.Temperature != nil {
		t := float32(*req.Temperature)
		if t <= 0 {
			t = greedyTemperature
		}
		out.Temperature = t
	}
	if req.Seed != nil {
		s := int(*req.Seed)
		out.Seed = &s
	}
	for _, m := range req.Messages {
		om := goopenai.ChatCompletionMessage{Role: string(m.Role), Content: m.Content, Name: m.Name, ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			om.ToolCalls = append(om.ToolCalls, goopenai.ToolCall{ID: tc.ID, Type: goopenai.ToolTypeFunction,
				Function: goopenai.FunctionCall{Name: tc.Name, Arguments: tc.Arguments}})
		}
		out.Messages = append(out.Messages, om)
	}
	for _, t := range req.Tools {
		params := t.Parameters
		if len(params) == 0 {
			params = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out.Tools = append(out.Tools, goopenai.Tool{Type: goopenai.ToolTypeFunction,
			Function: &goopenai.FunctionDefinition{Name: t.Name, Description: t.Description, Parameters: params}})
	}
	switch req.ToolChoice {
	case "":
	case "auto", "none", "required":
		out.ToolChoice = req.ToolChoice
	default:
		out.ToolChoice = goopenai.ToolChoice{Type: goopenai.ToolTypeFunction, Function: goopenai.ToolFunction{Name: req.ToolChoice}}
	}
	if k := req.Constraint; k != nil {
		if k.Kind != llm.ConstraintJSONSchema {
			return out, &llm.Error{Kind: llm.ErrUnsupported, Backend: backend,
				Msg: fmt.Sprintf("constraint kind %q cannot be expressed to an OpenAI-compatible API (only json_schema); use the local backend", k.Kind)}
		}
		var probe any
		if err := json.Unmarshal(k.Schema, &probe); err != nil {
			return out, &llm.Error{Kind: llm.ErrBadRequest, Backend: backend, Msg: "constraint schema is not valid JSON", Err: err}
		}
		name := k.Name
		if name == "" {
			name = "output"
		}
		out.ResponseFormat = &goopenai.ChatCompletionResponseFormat{Type: goopenai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &goopenai.ChatCompletionResponseFormatJSONSchema{Name: name, Schema: k.Schema, Strict: true}}
	}
	if len(out.Messages) == 0 {
		return out, &llm.Error{Kind: llm.ErrBadRequest, Backend: backend, Msg: "request has no messages"}
	}
	return out, nil
}

// Generate implements llm.Model.
func (c *Client) Generate(ctx context.Context, req llm.Request) (*llm.Response, error) {
	creq, err := c.chatRequest(req)
	if err != nil {
		return nil, err
	}
	if req.N > 1 && c.nIgnored.Load() {
		resp, err := c.fanOut(ctx, req, req.N)
		if err != nil {
			return nil, err
		}
		return c.finish(ctx, req, resp)
	}
	var resp *llm.Response
	err = c.retry(ctx, func(ctx context.Context) error {
		r, err := c.api.CreateChatCompletion(ctx, creq)
		if err != nil {
			return err
		}
		resp = convertResponse(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c.finish(ctx, req, resp)
}

// finish fills missing samples and validates constrained output.
func (c *Client) finish(ctx context.Context, req llm.Request, resp *llm.Response) (*llm.Response, error) {
	if n := req.Samples(); len(resp.Choices) < n && len(resp.Choices) > 0 {
		// The server ignores n: remember, so later calls fan out at once
		// instead of paying a round trip to find out.
		c.nIgnored.Store(true)
		more, err := c.fanOut(ctx, req, n-len(resp.Choices))
		if err != nil {
			return nil, err
		}
		for _, ch := range more.Choices {
			ch.Index = len(resp.Choices)
			resp.Choices = append(resp.Choices, ch)
		}
		resp.Usage = resp.Usage.Add(more.Usage)
	}
	if req.Constraint != nil {
		for _, ch := range resp.Choices {
			if err := req.Constraint.Check(ch.Text); err != nil {
				return resp, &llm.Error{Kind: llm.ErrBadOutput, Backend: backend, Msg: fmt.Sprintf("choice %d does not satisfy the %s constraint", ch.Index, req.Constraint.Kind), Err: err}
			}
		}
	}
	return resp, nil
}

// fanOut makes n concurrent single-sample requests (at most
// Config.Concurrency at once) and returns their choices in order.
func (c *Client) fanOut(ctx context.Context, req llm.Request, n int) (*llm.Response, error) {
	one := req
	one.N = 1
	one.Constraint = nil // validated by the caller
	parts := make([]*llm.Response, n)
	err := par.Do(ctx, n, c.cfg.Concurrency, func(ctx context.Context, i int) error {
		r, err := c.Generate(ctx, one)
		if err != nil {
			return err
		}
		if len(r.Choices) == 0 {
			return &llm.Error{Kind: llm.ErrBadOutput, Backend: backend, Msg: "response has no choices"}
		}
		parts[i] = r
		return nil
	})
	if err != nil {
		return nil, classify(ctx, err, 0, 1)
	}
	out := &llm.Response{Model: parts[0].Model}
	for i, p := range parts {
		ch := p.Choices[0]
		ch.Index = i
		out.Choices = append(out.Choices, ch)
		out.Usage = out.Usage.Add(p.Usage)
	}
	return out, nil
}

func convertResponse(r goopenai.ChatCompletionResponse) *llm.Response {
	out := &llm.Response{Model: r.Model, Usage: llm.Usage{PromptTokens: r.Usage.PromptTokens, CompletionTokens: r.Usage.CompletionTokens, TotalTokens: r.Usage.TotalTokens}}
	for _, ch := range r.Choices {
		c := llm.Choice{Index: ch.Index, Text: ch.Message.Content, FinishReason: string(ch.FinishReason)}
		for _, tc := range ch.Message.ToolCalls {
			c.ToolCalls = append(c.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		if ch.LogProbs != nil {
			for _, lp := range ch.LogProbs.Content {
				t := llm.TokenLogprob{Token: lp.Token, Logprob: lp.LogProb}
				for _, alt := range lp.TopLogProbs {
					t.Top = append(t.Top, llm.TopLogprob{Token: alt.Token, Logprob: alt.LogProb})
				}
				c.Logprobs = append(c.Logprobs, t)
			}
		}
		out.Choices = append(out.Choices, c)
	}
	return out
}

// Stream implements llm.Streamer. Retries happen only before the first chunk
// reaches fn; a stream that ends without a finish reason for every choice is
// reported as llm.ErrUnavailable (the server or network cut it), never as a
// short answer.
func (c *Client) Stream(ctx context.Context, req llm.Request, fn func(llm.Chunk) error) (*llm.Response, error) {
	creq, err := c.chatRequest(req)
	if err != nil {
		return nil, err
	}
	creq.Stream = true
	creq.StreamOptions = &goopenai.StreamOptions{IncludeUsage: true}
	var stream *goopenai.ChatCompletionStream
	err = c.retry(ctx, func(ctx context.Context) error {
		s, err := c.api.CreateChatCompletionStream(ctx, creq)
		if err != nil {
			return err
		}
		stream = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	defer stream.Close()

	type acc struct {
		text   strings.Builder
		calls  []llm.ToolCall
		finish string
		lps    []llm.TokenLogprob
	}
	choices := map[int]*acc{}
	resp := &llm.Response{Model: creq.Model}
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, classify(ctx, err, 0, 1)
		}
		if chunk.Model != "" {
			resp.Model = chunk.Model
		}
		if chunk.Usage != nil {
			resp.Usage = llm.Usage{PromptTokens: chunk.Usage.PromptTokens, CompletionTokens: chunk.Usage.CompletionTokens, TotalTokens: chunk.Usage.TotalTokens}
		}
		for _, ch := range chunk.Choices {
			a := choices[ch.Index]
			if a == nil {
				a = &acc{}
				choices[ch.Index] = a
			}
			if ch.Delta.Content != "" {
				a.text.WriteString(ch.Delta.Content)
				if err := fn(llm.Chunk{Choice: ch.Index, Text: ch.Delta.Content}); err != nil {
					return nil, err
				}
			}
			for _, tc := range ch.Delta.ToolCalls {
				i := len(a.calls)
				if tc.Index != nil {
					i = *tc.Index
				}
				for len(a.calls) <= i {
					a.calls = append(a.calls, llm.ToolCall{})
				}
				if tc.ID != "" {
					a.calls[i].ID = tc.ID
				}
				a.calls[i].Name += tc.Function.Name
				a.calls[i].Arguments += tc.Function.Arguments
			}
			if ch.Logprobs != nil {
				for _, lp := range ch.Logprobs.Content {
					t := llm.TokenLogprob{Token: lp.Token, Logprob: lp.Logprob}
					for _, alt := range lp.TopLogprobs {
						t.Top = append(t.Top, llm.TopLogprob{Token: alt.Token, Logprob: alt.Logprob})
					}
					a.lps = append(a.lps, t)
				}
			}
			if ch.FinishReason != "" {
				a.finish = string(ch.FinishReason)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, llm.Canceled(backend, err)
	}
	if len(choices) == 0 {
		return nil, &llm.Error{Kind: llm.ErrUnavailable, Backend: backend, Msg: "stream ended before any output"}
	}
	for i := 0; i < len(choices); i++ {
		a, ok := choices[i]
		if !ok {
			return nil, &llm.Error{Kind: llm.ErrBadOutput, Backend: backend, Msg: fmt.Sprintf("stream skipped choice %d", i)}
		}
		if a.finish == "" {
			return nil, &llm.Error{Kind: llm.ErrUnavailable, Backend: backend,
				Msg: fmt.Sprintf("stream cut: choice %d ended without a finish reason after %d bytes", i, a.text.Len())}
		}
		resp.Choices = append(resp.Choices, llm.Choice{Index: i, Text: a.text.String(), ToolCalls: a.calls, FinishReason: a.finish, Logprobs: a.lps})
	}
	return c.finish(ctx, req, resp)
}

// Embed implements llm.Embedder, in batches of Config.EmbedBatch.
func (c *Client) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for start := 0; start < len(texts); start += c.cfg.EmbedBatch {
		end := min(start+c.cfg.EmbedBatch, len(texts))
		batch := texts[start:end]
		err := c.retry(ctx, func(ctx context.Context) error {
			r, err := c.api.CreateEmbeddings(ctx, goopenai.EmbeddingRequest{Input: batch, Model: goopenai.EmbeddingModel(c.cfg.EmbeddingModel)})
			if err != nil {
				return err
			}
			if len(r.Data) != len(batch) {
				return &llm.Error{Kind: llm.ErrBadOutput, Backend: backend, Msg: fmt.Sprintf("embeddings: asked for %d, got %d", len(batch), len(r.Data))}
			}
			for _, d := range r.Data {
				if d.Index < 0 || d.Index >= len(batch) {
					return &llm.Error{Kind: llm.ErrBadOutput, Backend: backend, Msg: fmt.Sprintf("embeddings: index %d out of range", d.Index)}
				}
				out[start+d.Index] = d.Embedding
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// retry runs op until it succeeds, fails with an error that cannot succeed on
// retry, runs out of attempts, or ctx ends.
func (c *Client) retry(ctx context.Context, op func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		info := &respInfo{}
		err := op(context.WithValue(ctx, respInfoKey{}, info))
		if err == nil {
			return nil
		}
		lerr := classify(ctx, err, info.status, attempt)
		if !llm.Retryable(lerr) || attempt >= c.cfg.MaxAttempts {
			return lerr
		}
		delay := c.backoff(attempt)
		if ra, ok := parseRetryAfter(info.header); ok {
			delay = ra
			var e *llm.Error
			if errors.As(lerr, &e) {
				e.RetryAfter = ra
			}
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			return lerr // waiting would outlive the caller
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return llm.Canceled(backend, ctx.Err())
		case <-t.C:
		}
	}
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BaseBackoff << (attempt - 1)
	if d > c.cfg.MaxBackoff || d <= 0 {
		d = c.cfg.MaxBackoff
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1)) // full jitter in [d/2, d]
}

func parseRetryAfter(h http.Header) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	if ms := h.Get("Retry-After-Ms"); ms != "" {
		if v, err := strconv.ParseFloat(ms, 64); err == nil && v >= 0 {
			return time.Duration(v * float64(time.Millisecond)), true
		}
	}
	ra := h.Get("Retry-After")
	if ra == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(ra, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(ra); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// classify turns go-openai and transport errors into *llm.Error.
func classify(ctx context.Context, err error, status, attempt int) error {
	var le *llm.Error
	if errors.As(err, &le) {
		if le.Attempts == 0 {
			le.Attempts = attempt
		}
		return le
	}
	if ctx.Err() != nil {
		return &llm.Error{Kind: llm.ErrCanceled, Backend: backend, Attempts: attempt, Err: fmt.Errorf("%w (%v)", ctx.Err(), err)}
	}
	e := &llm.Error{Backend: backend, Attempts: attempt, Err: err}
	var apiErr *goopenai.APIError
	var reqErr *goopenai.RequestError
	code := ""
	switch {
	case errors.As(err, &apiErr):
		e.StatusCode = apiErr.HTTPStatusCode
		code, _ = apiErr.Code.(string)
		e.Err = errors.New(apiErr.Message)
	case errors.As(err, &reqErr):
		e.StatusCode = reqErr.HTTPStatusCode
		if len(reqErr.Body) > 0 {
			e.Err = fmt.Errorf("%s", strings.TrimSpace(clip.String(string(reqErr.Body), 300)))
		}
	}
	if e.StatusCode == 0 {
		e.StatusCode = status
	}
	msg := strings.ToLower(e.Err.Error())
	switch {
	case code == "context_length_exceeded" || strings.Contains(msg, "context length") || strings.Contains(msg, "maximum context"):
		e.Kind = llm.ErrContextLength
	case e.StatusCode == http.StatusTooManyRequests:
		e.Kind = llm.ErrRateLimited
	case e.StatusCode >= 500 || e.StatusCode == http.StatusRequestTimeout:
		e.Kind = llm.ErrUnavailable
	case e.StatusCode >= 400:
		e.Kind = llm.ErrBadRequest
	case isNetwork(err):
		e.Kind = llm.ErrUnavailable
	default:
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(msg, "unexpected end of json") {
			e.Kind = llm.ErrBadOutput
			e.Msg = "malformed response from server"
		} else {
			e.Kind = llm.ErrUnavailable
		}
	}
	return e
}

func isNetwork(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, io.EOF)
}

// headerRecorder records the status and headers of each response into the
// respInfo carried by the request's context, so retry can honour Retry-After
// (go-openai's errors do not carry response headers).
type headerRecorder struct{ base http.RoundTripper }

type respInfoKey struct{}

type respInfo struct {
	status int
	header http.Header
}

func (h headerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := h.base.RoundTrip(r)
	if resp != nil {
		if info, ok := r.Context().Value(respInfoKey{}).(*respInfo); ok {
			info.status, info.header = resp.StatusCode, resp.Header.Clone()
		}
	}
	return resp, err
}
