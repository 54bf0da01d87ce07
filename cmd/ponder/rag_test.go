package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm/llmtest"
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
