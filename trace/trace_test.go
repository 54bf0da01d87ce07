package trace_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/trace"
)

func TestSpanTreeJSONLAndText(t *testing.T) {
	tr := trace.New()
	ctx := trace.WithTracer(context.Background(), tr)
	ctx1, root := trace.Start(ctx, trace.KindChain, "root")
	_, child := trace.Start(ctx1, trace.KindModel, "generate")
	child.Set("tokens", 12)
	child.Set("output", "hi")
	child.Finish(nil)
	_, bad := trace.Start(ctx1, trace.KindTool, "calculator")
	bad.Finish(errors.New("division by zero"))
	root.Finish(nil)

	spans := tr.Spans()
	require.Len(t, spans, 3)
	assert.Equal(t, "root", spans[0].Name)
	assert.Equal(t, spans[0].ID, spans[1].ParentID)
	assert.Equal(t, spans[0].ID, spans[2].ParentID)

	var buf bytes.Buffer
	require.NoError(t, tr.WriteJSONL(&buf))
	assert.Equal(t, 3, strings.Count(buf.String(), "\n"))
	back, err := trace.ReadJSONL(&buf)
	require.NoError(t, err)
	require.Len(t, back, 3)
	assert.Equal(t, "division by zero", back[2].Error)
	assert.EqualValues(t, 12, back[1].Attrs["tokens"])

	buf.Reset()
	require.NoError(t, tr.WriteText(&buf))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3)
	assert.True(t, strings.HasPrefix(lines[0], "chain root"))
	assert.True(t, strings.HasPrefix(lines[1], "  model generate"))
	assert.Contains(t, lines[1], "tokens=12")
	assert.Contains(t, lines[2], "ERROR: division by zero")
}

func TestNoTracerIsNoop(t *testing.T) {
	ctx, s := trace.Start(context.Background(), "x", "y")
	assert.Nil(t, s)
	s.Set("k", 1)
	s.Finish(nil)
	assert.NotNil(t, ctx)
}

func TestConcurrentSpans(t *testing.T) {
	tr := trace.New()
	var ended int
	var mu sync.Mutex
	tr.OnEnd = func(*trace.Span) { mu.Lock(); ended++; mu.Unlock() }
	ctx := trace.WithTracer(context.Background(), tr)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, s := trace.Start(ctx, "k", "n")
			s.Set("i", i)
			s.Finish(nil)
		}()
	}
	wg.Wait()
	assert.Len(t, tr.Spans(), 50)
	assert.Equal(t, 50, ended)
	ids := map[int64]bool{}
	for _, s := range tr.Spans() {
		ids[s.ID] = true
	}
	assert.Len(t, ids, 50)
}
