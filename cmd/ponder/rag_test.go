package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/retrieval"
	"github.com/ponder-go/ponder/retrieval/pgvector/pgvectortest"
)

func TestRagIngestQueryAsk(t *testing.T) {
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	require.NoError(t, os.MkdirAll(docs, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(docs, "ca.md"), []byte("# California\n\nCalifornia had a population of 39,538,223 in 2020."), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(docs, "ak.txt"), []byte("Alaska had a population of 733,391 in 2020."), 0o644))
	db := filepath.Join(dir, "store.db")

	out, errs, code := runCLI(t, "rag", "ingest", "-db", db, docs)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "ingested 2 sources (2 new, 0 replaced, 0 unchanged): 2 chunks")
	assert.Contains(t, errs, "2/2 documents, 2 chunks", "progress goes to stderr as plain lines when not a terminal")
	out, _, code = runCLI(t, "rag", "ingest", "-db", db, docs)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "(0 new, 0 replaced, 2 unchanged)")

	out, errs, code = runCLI(t, "rag", "query", "-db", db, "-k", "1", "population of Alaska")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "1. ")
	assert.Contains(t, out, "ak.txt")
	assert.NotContains(t, out, "ca.md")
	out, _, code = runCLI(t, "rag", "query", "-db", db, "-json", "-mode", "bm25", "California")
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "[\n"))
	assert.Contains(t, out, `"title": "California"`)

	remote(t, func(r *llmtest.ChatRequest, i int) llmtest.Reply {
		return llmtest.Reply{Content: "Alaska had 733,391 people [1]."}
	})
	out, errs, code = runCLI(t, "rag", "ask", "-db", db, "-k", "2", "What was Alaska's population?")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Alaska had 733,391 people [1].")
	assert.Contains(t, out, "*[1] ak (")

	_, errs, code = runCLI(t, "rag", "query", "-db", filepath.Join(dir, "none.db"), "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "is empty or missing")
	_, errs, code = runCLI(t, "rag", "query", "-db", db, "-mode", "magic", "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `unknown -mode "magic"`)
	_, _, code = runCLI(t, "rag", "frobnicate")
	assert.Equal(t, 2, code)
}

func TestRagEval(t *testing.T) {
	d := "../../retrieval/testdata/states-dev/"
	out, errs, code := runCLI(t, "rag", "eval", "-corpus", d+"corpus.jsonl", "-queries", d+"queries.jsonl", "-qrels", d+"qrels.tsv", "-mode", "hybrid")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "corpus 255 documents, 255 chunks")
	assert.Contains(t, out, "612 queries")
	assert.Regexp(t, `recall@5 0\.9[0-9]{2}`, out)
	assert.Contains(t, out, "MRR@10 ")
}

// TestHelperProcess runs one CLI command in a child process for tests that
// need real processes (PONDER_HELPER_ARGS holds the arguments, separated by U+001F).
func TestHelperProcess(t *testing.T) {
	args := os.Getenv("PONDER_HELPER_ARGS")
	if args == "" {
		t.Skip("runs only as a child process")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
}

// Hardening #8: two `ponder rag ingest` processes on one store used to
// both exit 0 with the second writer's documents lost. Now the second waits
// for the first and both sets of sources are in the store.
func TestConcurrentIngestKeepsBothWriters(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store.db")
	var dirs []string
	for _, name := range []string{"a", "b"} {
		d := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(d, 0o755))
		for i := 0; i < 60; i++ {
			body := fmt.Sprintf("Document %s-%d is about topic %d and mentions the number %d.\n", name, i, i%7, i*13)
			require.NoError(t, os.WriteFile(filepath.Join(d, fmt.Sprintf("%s%03d.txt", name, i)), []byte(body), 0o644))
		}
		dirs = append(dirs, d)
	}
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for _, d := range dirs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "PONDER_HELPER_ARGS="+strings.Join([]string{"rag", "ingest", "-db", store, d}, "\x1f"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), outs[i].String())
	}
	s, err := retrieval.Open(store, &retrieval.HashEmbedder{})
	require.NoError(t, err)
	assert.Len(t, s.Sources(), 120, "%s\n%s", outs[0], outs[1])
}

// rag ingest, query and re-ingest with the store in Postgres (pgvector),
// the same commands as with a file.
func TestRagWithPostgres(t *testing.T) {
	url := pgvectortest.URL(t)
	t.Cleanup(pgvectortest.Stop)
	docs := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(docs, "go.txt"), []byte("Goroutines are lightweight threads managed by the Go runtime."), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(docs, "rust.txt"), []byte("Rust checks ownership and borrowing at compile time."), 0o644))
	out, errs, code := runCLI(t, "rag", "ingest", "-db", url, docs)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out+errs, "2 new")
	out, errs, code = runCLI(t, "rag", "query", "-db", url, "-k", "1", "ownership borrowing")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "rust.txt")
	assert.NotContains(t, out, "go.txt")
	out, errs, code = runCLI(t, "rag", "ingest", "-db", url, docs)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out+errs, "2 unchanged")
}
