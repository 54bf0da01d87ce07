package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTotGame24Command(t *testing.T) {
	html := filepath.Join(t.TempDir(), "t.html")
	out, errs, code := runCLI(t, "tot", "game24", "-backend", "sim", "-skill", "1", "-puzzle", "4 9 10 13", "-methods", "cot,tot-b5", "-html", html)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `(?m)^\s*tot-b5\s+1\s+1\s+100%`, out)
	st, err := os.Stat(html)
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(1000))
	_, _, code = runCLI(t, "tot", "chess")
	assert.Equal(t, 2, code)
	_, errs, code = runCLI(t, "tot", "game24", "-methods", "magic", "-backend", "sim")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `unknown method "magic"`)
}
