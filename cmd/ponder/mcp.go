package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/retrieval"
	"github.com/ponder-go/ponder/tools"
	"github.com/ponder-go/ponder/tools/mcptool"
)

func init() {
	register("mcp", "serve Ponder's tools (calculator, state search, rag query over a store) to MCP clients over stdio or HTTP", mcpCmd)
}

const mcpUsage = "ponder mcp [-tools calculator,search] [-db STORE] [-http ADDR]"

func mcpCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	toolList := fs.String("tools", "search,calculator", "comma-separated built-in tools to offer")
	db := fs.String("db", "", "also offer rag_query over this retrieval `STORE`")
	k := fs.Int("k", 5, "passages rag_query returns")
	addr := fs.String("http", "", "serve streamable HTTP at http://`ADDR`/mcp instead of stdio")
	fs.Usage = usageFunc(fs, mcpUsage)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ponder mcp: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	reg, err := builtinTools(*toolList)
	if err != nil {
		return err
	}
	if *db != "" {
		s, closeStore, err := openExisting(ctx, *db)
		if err != nil {
			return err
		}
		defer closeStore()
		if err := reg.Add(ragTool(s, *k)); err != nil {
			return err
		}
	}
	if *addr == "" {
		// stdout is the protocol's: nothing else may be written there.
		return mcptool.ServeStdio(ctx, reg, version())
	}
	h, err := mcptool.Handler(reg, version())
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "serving MCP tools %s on http://%s/mcp\n", strings.Join(reg.Names(), ", "), l.Addr())
	return serveHTTP(ctx, srv, l)
}

// ragTool queries a retrieval store (hybrid: vectors and BM25).
func ragTool(s *retrieval.Store, k int) tools.Tool {
	search := &tools.Search{Backend: s.Hybrid(), K: k}
	t := tools.New("rag_query", fmt.Sprintf("Searches a document store of %d passages and returns the best matches with their sources.", s.Count()), search.Call)
	t.Param = "query"
	return t
}

// builtinTools is a registry of the comma-separated built-in tools; an
// empty list gives an empty registry (for an agent with MCP tools only).
func builtinTools(list string) (*tools.Registry, error) {
	var names []string
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return tools.NewRegistry()
	}
	return tools.Builtin(names...)
}

// mcpFlag adds -mcp SERVER (repeatable) to a command.
func mcpFlag(fs *flag.FlagSet) *[]string {
	return fs.StringArray("mcp", nil, "also use the tools of the MCP `SERVER` (a command line such as 'npx -y @modelcontextprotocol/server-everything', or an http(s):// URL); repeatable")
}

// addMCP connects to each server and registers its tools; close ends the
// sessions.
func addMCP(ctx context.Context, reg *tools.Registry, servers []string) (func(), error) {
	var clients []*mcptool.Client
	closeAll := func() {
		for _, c := range clients {
			c.Close()
		}
	}
	for _, spec := range servers {
		c, err := mcptool.Connect(ctx, mcptool.Spec(spec))
		if err != nil {
			closeAll()
			return nil, err
		}
		clients = append(clients, c)
		if err := c.Register(reg); err != nil {
			closeAll()
			return nil, err
		}
	}
	return closeAll, nil
}
