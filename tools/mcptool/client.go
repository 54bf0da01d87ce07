// Package mcptool connects Ponder's tools to the Model Context Protocol,
// both ways, with the official Go SDK (github.com/modelcontextprotocol/go-sdk):
//
//   - Connect starts or reaches an MCP server (a command over stdio, or a
//     streamable HTTP endpoint), lists its tools and gives them to a
//     tools.Registry with their JSON schemas, so a ReAct agent calls them in
//     text or native mode like any other tool;
//   - NewServer exposes a tools.Registry (calculator, state search, a
//     retrieval store, custom tools) to MCP clients; `ponder mcp` serves it.
//
// A server that exits or fails mid-run never hangs the agent: the call that
// met the failure returns an error (the agent sees it as an observation),
// and the next call starts the server again.
package mcptool

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ponder-go/ponder/internal/clip"
	"github.com/ponder-go/ponder/tools"
)

// Options say which MCP server to use: Command (a program speaking MCP on
// stdin/stdout) or URL (a streamable HTTP endpoint).
type Options struct {
	// Command and its arguments, e.g. {"npx", "@modelcontextprotocol/server-everything"}.
	Command []string
	// Env is added to the command's environment (KEY=VALUE).
	Env []string
	// Dir is the command's working directory (default: the current one).
	Dir string
	// URL of a streamable HTTP MCP endpoint (instead of Command).
	URL string
	// Prefix is put before every tool name (e.g. "fs_"), so two servers'
	// tools do not collide in one registry.
	Prefix string
	// ConnectTimeout bounds starting the server and the initial handshake
	// (default 30s).
	ConnectTimeout time.Duration
	// MaxOutput trims each tool result (default 4,000 bytes), keeping a long
	// result from filling the model's context.
	MaxOutput int
}

// Client is a session with one MCP server and the tools it offers.
type Client struct {
	opts   Options
	client *mcp.Client
	tools  []*Tool

	mu      sync.Mutex
	session *mcp.ClientSession // nil after a failure, until the next call reconnects
}

// Spec parses a server given on a command line: a URL (http:// or
// https://) or a command with its arguments separated by spaces.
func Spec(s string) Options {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return Options{URL: s}
	}
	return Options{Command: strings.Fields(s)}
}

// Connect starts or reaches the server, performs the MCP handshake and
// lists its tools.
func Connect(ctx context.Context, o Options) (*Client, error) {
	if len(o.Command) == 0 && o.URL == "" {
		return nil, errors.New("mcptool: no server: set Options.Command or Options.URL")
	}
	c := &Client{opts: o, client: mcp.NewClient(&mcp.Implementation{Name: "ponder", Version: "1"}, nil)}
	s, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.session = s
	lctx, cancel := context.WithTimeout(ctx, cmp.Or(o.ConnectTimeout, 30*time.Second))
	defer cancel()
	for t, err := range s.Tools(lctx, nil) {
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("mcptool: listing the tools of %s: %w", c, err)
		}
		tool, err := newTool(c, t)
		if err != nil {
			s.Close()
			return nil, err
		}
		c.tools = append(c.tools, tool)
	}
	sort.Slice(c.tools, func(i, j int) bool { return c.tools[i].name < c.tools[j].name })
	return c, nil
}

// String names the server for messages.
func (c *Client) String() string {
	if c.opts.URL != "" {
		return c.opts.URL
	}
	return clip.String(strings.Join(c.opts.Command, " "), 80)
}

func (c *Client) connect(ctx context.Context) (*mcp.ClientSession, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(c.opts.ConnectTimeout, 30*time.Second))
	defer cancel()
	var t mcp.Transport
	if c.opts.URL != "" {
		t = &mcp.StreamableClientTransport{Endpoint: c.opts.URL, MaxRetries: 1, DisableStandaloneSSE: true}
	} else {
		// Not CommandContext: the server lives as long as the session, not
		// as long as the call that started it.
		cmd := exec.Command(c.opts.Command[0], c.opts.Command[1:]...)
		cmd.Env = append(os.Environ(), c.opts.Env...)
		cmd.Dir = c.opts.Dir
		cmd.Stderr = nil // the server's log is not the agent's business
		t = &mcp.CommandTransport{Command: cmd, TerminateDuration: time.Second}
	}
	s, err := c.client.Connect(ctx, t, nil)
	if err != nil {
		return nil, fmt.Errorf("mcptool: connecting to %s: %w", c, err)
	}
	return s, nil
}

// Tools are the server's tools, sorted by name.
func (c *Client) Tools() []tools.Tool {
	out := make([]tools.Tool, len(c.tools))
	for i, t := range c.tools {
		out[i] = t
	}
	return out
}

// Register adds the server's tools to r.
func (c *Client) Register(r *tools.Registry) error {
	for _, t := range c.tools {
		if err := r.Add(t); err != nil {
			return fmt.Errorf("mcptool: %s: %w", c, err)
		}
	}
	return nil
}

// Close ends the session (and stops a command server).
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		return nil
	}
	err := c.session.Close()
	c.session = nil
	return err
}

// call runs one tool call, reconnecting first when an earlier call found
// the session broken.
func (c *Client) call(ctx context.Context, name string, args map[string]any) (*mcp.CallToolResult, error) {
	c.mu.Lock()
	s := c.session
	if s == nil {
		var err error
		if s, err = c.connect(ctx); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.session = s
	}
	c.mu.Unlock()
	res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil && ctx.Err() == nil && broken(err) {
		// The server went away: forget the session so the next call
		// starts it again; this call reports the failure.
		c.mu.Lock()
		if c.session == s {
			c.session = nil
			s.Close()
		}
		c.mu.Unlock()
		return nil, fmt.Errorf("MCP server %s stopped (%v); it will be restarted on the next call", c, err)
	}
	return res, err
}

// broken reports a transport failure (as opposed to an error answer from
// a live server).
func broken(err error) bool {
	if errors.Is(err, mcp.ErrConnectionClosed) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection closed", "EOF", "broken pipe", "connection refused", "connection reset", "file already closed", "server is closing", "client is closing"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Tool is one MCP server tool as a tools.Tool.
type Tool struct {
	client      *Client
	name        string // as registered (with the prefix)
	remote      string // as the server knows it
	description string
	schema      json.RawMessage
	props       []string // property names, in schema order where known
	single      string   // the one string property, if the schema has exactly one
	singleType  string
}

func newTool(c *Client, t *mcp.Tool) (*Tool, error) {
	schema, err := json.Marshal(t.InputSchema)
	if err != nil || string(schema) == "null" {
		schema = []byte(`{"type":"object"}`)
	}
	var s struct {
		Type       any                        `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(schema, &s); err != nil {
		return nil, fmt.Errorf("mcptool: %s: tool %q has an input schema that is not a JSON object: %v", c, t.Name, err)
	}
	tool := &Tool{client: c, name: c.opts.Prefix + t.Name, remote: t.Name, description: strings.TrimSpace(t.Description), schema: schema}
	for p := range s.Properties {
		tool.props = append(tool.props, p)
	}
	sort.Strings(tool.props)
	if len(tool.props) == 1 {
		var ps struct {
			Type any `json:"type"`
		}
		_ = json.Unmarshal(s.Properties[tool.props[0]], &ps)
		tool.single = tool.props[0]
		tool.singleType, _ = ps.Type.(string)
	}
	if tool.description == "" {
		tool.description = "MCP tool " + t.Name + "."
	}
	return tool, nil
}

func (t *Tool) Name() string { return t.name }

// Description is the server's, with the input's shape for text-mode
// agents when the tool takes more than one string.
func (t *Tool) Description() string {
	switch {
	case len(t.props) == 0:
		return t.description + " (takes no input)"
	case t.single != "" && (t.singleType == "string" || t.singleType == ""):
		return t.description
	default:
		return fmt.Sprintf("%s Input: a JSON object with %s.", t.description, strings.Join(t.props, ", "))
	}
}

func (t *Tool) Schema() json.RawMessage { return t.schema }

// Arguments turns an agent's text input into the tool's arguments: a JSON
// object is passed as it is; otherwise the input is the value of the
// tool's one property.
func (t *Tool) Arguments(input string) (map[string]any, error) {
	in := strings.TrimSpace(input)
	var obj map[string]any
	if strings.HasPrefix(in, "{") && json.Unmarshal([]byte(in), &obj) == nil {
		return obj, nil
	}
	switch {
	case len(t.props) == 0:
		return map[string]any{}, nil
	case t.single != "":
		if t.singleType != "string" && t.singleType != "" {
			var v any
			if json.Unmarshal([]byte(in), &v) == nil {
				return map[string]any{t.single: v}, nil
			}
		}
		return map[string]any{t.single: input}, nil
	default:
		return nil, fmt.Errorf("%s takes a JSON object with %s, e.g. %s[{%q: ...}]", t.name, strings.Join(t.props, ", "), t.name, t.props[0])
	}
}

// Call calls the tool on the server. A result the server marks as an error
// is returned as an error (the agent sees "Error: ...").
func (t *Tool) Call(ctx context.Context, input string) (string, error) {
	args, err := t.Arguments(input)
	if err != nil {
		return "", err
	}
	res, err := t.client.call(ctx, t.remote, args)
	if err != nil {
		return "", err
	}
	out := clip.String(render(res), cmp.Or(t.client.opts.MaxOutput, 4000))
	if res.IsError {
		return "", errors.New(cmp.Or(out, "the tool failed without a message"))
	}
	return out, nil
}

// render turns a result's content into text: text as it is, other content
// described in a line.
func render(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		switch c := c.(type) {
		case *mcp.TextContent:
			parts = append(parts, c.Text)
		case *mcp.ImageContent:
			parts = append(parts, fmt.Sprintf("[image %s, %d bytes]", c.MIMEType, len(c.Data)))
		case *mcp.AudioContent:
			parts = append(parts, fmt.Sprintf("[audio %s, %d bytes]", c.MIMEType, len(c.Data)))
		case *mcp.ResourceLink:
			parts = append(parts, fmt.Sprintf("[resource %s %s]", c.Name, c.URI))
		case *mcp.EmbeddedResource:
			if c.Resource != nil && c.Resource.Text != "" {
				parts = append(parts, c.Resource.Text)
			} else if c.Resource != nil {
				parts = append(parts, fmt.Sprintf("[resource %s]", c.Resource.URI))
			}
		}
	}
	if len(parts) == 0 && res.StructuredContent != nil {
		b, _ := json.Marshal(res.StructuredContent)
		parts = append(parts, string(b))
	}
	return strings.Join(parts, "\n")
}
