package trace_test

import (
	"context"
	"fmt"

	"github.com/ponder-go/ponder/trace"
)

// Spans nest through the context: library code starts them without being
// handed the tracer. WriteText and WriteJSONL export the tree.
func ExampleTracer() {
	tr := trace.New()
	ctx := trace.WithTracer(context.Background(), tr)
	ctx, run := trace.Start(ctx, trace.KindAgent, "agent")
	_, step := trace.Start(ctx, trace.KindTool, "calculator")
	step.Set("input", "39538223 / 733391")
	step.Finish(nil)
	run.Finish(nil)
	for _, s := range tr.Spans() {
		fmt.Println(s.Kind, s.Name, s.ParentID == 0)
	}
	// Output:
	// agent agent true
	// tool calculator false
}
