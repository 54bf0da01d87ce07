package mcptool_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/ponder-go/ponder/tools"
	"github.com/ponder-go/ponder/tools/mcptool"
)

// Ponder's calculator served over MCP (streamable HTTP) and used from a
// registry, as an agent would. For a server run as a command, use
// mcptool.Options{Command: []string{"npx", "-y", "some-mcp-server"}}.
func ExampleConnect() {
	builtin, _ := tools.Builtin("calculator")
	h, _ := mcptool.Handler(builtin, "example")
	srv := httptest.NewServer(h)
	defer srv.Close()

	c, err := mcptool.Connect(context.Background(), mcptool.Options{URL: srv.URL, Prefix: "remote_"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	reg, _ := tools.NewRegistry()
	if err := c.Register(reg); err != nil {
		fmt.Println(err)
		return
	}
	out, err := reg.Call(context.Background(), "remote_calculator", "(12 + 3) * 4")
	fmt.Println(reg.Names(), out, err)
	// Output: [remote_calculator] 60 <nil>
}
