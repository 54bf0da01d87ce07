package mcptool

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ponder-go/ponder/tools"
)

// NewServer returns an MCP server offering every tool of r. A call's
// arguments become the tool's text input as for native function calling
// (tools.InputFromArgs); a tool error is returned as an error result
// (isError), which MCP clients show to their model.
func NewServer(r *tools.Registry, version string) (*mcp.Server, error) {
	if version == "" {
		version = "devel"
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "ponder", Title: "Ponder tools", Version: version}, nil)
	for _, name := range r.Names() {
		t, _ := r.Get(name)
		schema, err := objectSchema(t)
		if err != nil {
			return nil, err
		}
		s.AddTool(&mcp.Tool{Name: t.Name(), Description: t.Description(), InputSchema: schema},
			func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				input := tools.InputFromArgs(string(req.Params.Arguments))
				out, err := r.Call(ctx, name, input)
				if err != nil {
					return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: err.Error()}}}, nil
				}
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: out}}}, nil
			})
	}
	return s, nil
}

// objectSchema is t's schema, checked to be a JSON object schema as MCP
// requires (the SDK panics otherwise).
func objectSchema(t tools.Tool) (json.RawMessage, error) {
	raw := t.Schema()
	if len(raw) == 0 {
		return tools.StringSchema("input", t.Description()), nil
	}
	var s struct {
		Type any `json:"type"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("mcptool: tool %s: schema is not JSON: %w", t.Name(), err)
	}
	if s.Type != "object" {
		return nil, fmt.Errorf(`mcptool: tool %s: an MCP tool's input schema must have "type": "object" (got %v)`, t.Name(), s.Type)
	}
	return raw, nil
}

// ServeStdio serves r's tools on stdin and stdout until the client
// disconnects or ctx ends.
func ServeStdio(ctx context.Context, r *tools.Registry, version string) error {
	s, err := NewServer(r, version)
	if err != nil {
		return err
	}
	return s.Run(ctx, &mcp.StdioTransport{})
}

// Handler serves r's tools over streamable HTTP (mount it at a path such
// as /mcp).
func Handler(r *tools.Registry, version string) (http.Handler, error) {
	s, err := NewServer(r, version)
	if err != nil {
		return nil, err
	}
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil), nil
}
