package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/serve"
)

func init() {
	register("serve", "serve a local model over an OpenAI-compatible HTTP API (-model FILE)", serveCmd)
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	weights := fs.String("weights", "", "checkpoint file (llm.c, Hugging Face safetensors or Ponder format)")
	fs.StringVar(weights, "model", "", "model file: GGUF (Llama, Qwen2, Qwen3), llm.c, Hugging Face GPT-2 safetensors or Ponder")
	_ = fs.MarkHidden("weights") // the older name of -model
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (loopback by default)")
	token := fs.String("token", "", "require this bearer token")
	maxConc := fs.Int("max-concurrent", 8, "requests generating at once; others queue, then get 429")
	batch := fs.Int("batch", 8, "decode up to this many concurrent sequences in one pass over the weights (1: each alone)")
	maxTokens := fs.Int("max-tokens", 1024, "largest max_tokens accepted")
	queue := fs.Duration("queue", 2*time.Second, "how long a request may wait for a slot")
	maxTotal := fs.Int("max-total-tokens", 4096, "largest n × max_tokens of one request")
	timeout := fs.Duration("request-timeout", 5*time.Minute, "longest generation of one request")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *weights == "" {
		fmt.Fprintln(stderr, "usage: ponder serve -model FILE [-addr 127.0.0.1:8080] [-token T]")
		return errUsage
	}
	m, err := loadWithTokenizer(*weights)
	if err != nil {
		return err
	}
	defer m.Close()
	m.Batch = *batch
	name := filepath.Base(*weights)
	s := serve.New(&localmodel.Backend{Model: m, Name: name}, serve.Config{ModelName: name, Token: *token,
		MaxConcurrent: *maxConc, MaxTokens: *maxTokens, QueueWait: *queue, MaxTotalTokens: *maxTotal, RequestTimeout: *timeout})
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// Slow or idle clients cannot hold connections open indefinitely.
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "serving %s (%s, context %d) on http://%s/v1\n", name, m.Arch, m.ContextLength(), l.Addr())
	return serveHTTP(ctx, srv, l)
}

// serveHTTP serves srv on l until ctx ends, then shuts it down, giving
// requests in flight 5 seconds.
func serveHTTP(ctx context.Context, srv *http.Server, l net.Listener) error {
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
