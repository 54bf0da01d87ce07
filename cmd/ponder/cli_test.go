package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CLI behaves like the Go tools people know: flags before or after the
// arguments, with one dash or two; -h and "help CMD" list every flag with
// its default and exit 0; usage errors exit 2, failures 1; a version.
func TestCLIConventions(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ak.txt"), []byte("Alaska had a population of 733,391 in 2020."), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ca.txt"), []byte("California had a population of 39,538,223 in 2020."), 0o644))
	db := filepath.Join(dir, "s.db")
	_, errs, code := runCLI(t, "rag", "ingest", dir, "--db", db) // flag after the argument
	require.Equal(t, 0, code, errs)
	// -k after the query was ignored before (Go's flag package stops at
	// the first argument).
	out, errs, code := runCLI(t, "rag", "query", "-db", db, "population", "-k", "1")
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, "1. "), out)
	assert.NotContains(t, out, "2. ", "one result")

	for _, args := range [][]string{{"agent", "-h"}, {"agent", "--help"}, {"help", "agent"}, {"rag", "-h"}, {"help", "rag", "query"},
		{"eval", "-h"}, {"tot", "-h"}, {"train", "-h"}, {"serve", "-h"}, {"generate", "-h"}} {
		out, errs, code := runCLI(t, args...)
		assert.Equal(t, 0, code, "%v: %s", args, errs)
		assert.NotEmpty(t, out+errs, "%v", args)
	}
	out, errs, _ = runCLI(t, "help", "agent")
	assert.Contains(t, out+errs, `--backend string`)
	assert.Contains(t, out+errs, `(default "auto")`)

	_, _, code = runCLI(t)
	assert.Equal(t, 2, code)
	_, errs, code = runCLI(t, "nosuch")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "ponder help")
	_, errs, code = runCLI(t, "agent", "--nosuch", "x")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "unknown flag")
	_, _, code = runCLI(t, "generate", "-model", filepath.Join(dir, "missing.gguf"), "hi")
	assert.Equal(t, 1, code)

	out, _, code = runCLI(t, "version")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "ponder "), out)
	out, _, code = runCLI(t, "completion", "bash")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "bash completion")
}

// The CLI binary links no test helpers and no benchmark-only dependency.
func TestCLILinksNoTestCode(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	require.NoError(t, err)
	for _, bad := range []string{"llmtest", "httptest", "gonum.org", "game24test", "testify", "reacttest"} {
		assert.NotContains(t, string(out), bad)
	}
}
