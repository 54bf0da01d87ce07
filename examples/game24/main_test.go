package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGame24ExampleSimulated(t *testing.T) {
	html := filepath.Join(t.TempDir(), "tree.html")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-backend", "sim", "-skill", "1", "-file", "../../tot/game24/testdata/puzzles.txt", "-n", "3", "-html", html}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	s := out.String()
	for _, m := range []string{"io", "cot", "cot-sc", "tot-b1", "tot-b5"} {
		assert.Regexp(t, `(?m)^\s*`+m+`\s+3\s+3\s+100%`, s, "a perfect simulated model solves all 3 with %s", m)
	}
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(page), "<title>Game of 24: 1 1 1 8 (tot-b5)</title>"), "the tree of the first puzzle")

	out.Reset()
	code = run(context.Background(), []string{"-backend", "sim", "-skill", "0", "-puzzle", "4 9 10 13", "-methods", "io,tot-b5"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	assert.Regexp(t, `(?m)^\s*io\s+1\s+0\s+0%`, out.String(), "a hopeless model fails")

	code = run(context.Background(), []string{"-puzzle", "1 2 3"}, &out, &errb)
	assert.Equal(t, 2, code)
}
