package ollama

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// store writes an Ollama store: a manifest per name pointing at a blob
// with the given content (plus a template layer, as Ollama writes).
func store(t *testing.T, models map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("OLLAMA_MODELS", dir)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "blobs"), 0o755))
	for rel, content := range models {
		sum := sha256.Sum256([]byte(content))
		h := hex.EncodeToString(sum[:])
		require.NoError(t, os.WriteFile(filepath.Join(dir, "blobs", "sha256-"+h), []byte(content), 0o644))
		mf := filepath.Join(dir, "manifests", rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(mf), 0o755))
		body := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:%s","size":10},
"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:%s","size":%d},
{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:%s","size":3}]}`, h, h, len(content), h)
		require.NoError(t, os.WriteFile(mf, []byte(body), 0o644))
	}
	return dir
}

func TestResolveAndList(t *testing.T) {
	dir := store(t, map[string]string{
		"registry.ollama.ai/library/qwen2.5/0.5b":    "GGUF qwen",
		"registry.ollama.ai/library/llama3.2/latest": "GGUF llama",
		"registry.ollama.ai/someone/tiny/q8_0":       "GGUF tiny",
		"hf.co/org/repo/Q4_K_M":                      "GGUF hf",
	})
	for name, want := range map[string]string{
		"ollama:qwen2.5:0.5b": "GGUF qwen", "qwen2.5:0.5b": "GGUF qwen", "llama3.2": "GGUF llama",
		"ollama:llama3.2:latest": "GGUF llama", "someone/tiny:q8_0": "GGUF tiny", "hf.co/org/repo:Q4_K_M": "GGUF hf",
	} {
		p, err := Resolve(name)
		require.NoError(t, err, name)
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Equal(t, want, string(b), name)
		assert.Equal(t, filepath.Join(dir, "blobs"), filepath.Dir(p))
	}
	list, err := List()
	require.NoError(t, err)
	var names []string
	for _, m := range list {
		names = append(names, m.Name)
		assert.Positive(t, m.Size)
	}
	assert.Equal(t, []string{"hf.co/org/repo:Q4_K_M", "llama3.2:latest", "qwen2.5:0.5b", "someone/tiny:q8_0"}, names)
}

func TestResolveErrors(t *testing.T) {
	dir := store(t, map[string]string{"registry.ollama.ai/library/qwen2.5/0.5b": "GGUF qwen"})
	_, err := Resolve("ollama:qwen2.5:7b")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorContains(t, err, "qwen2.5:0.5b") // says what the store has
	for _, bad := range []string{"../../etc/passwd", "a/b/c/d", "qwen:..", "qwen:a/b", ""} {
		_, err := Resolve(bad)
		assert.Error(t, err, bad)
	}
	// A blob cut short by an interrupted pull.
	mf := filepath.Join(dir, "manifests", "registry.ollama.ai", "library", "qwen2.5", "0.5b")
	list, _ := List()
	require.Len(t, list, 1)
	require.NoError(t, os.WriteFile(list[0].Path, []byte("GGUF"), 0o644))
	_, err = Resolve("qwen2.5:0.5b")
	assert.ErrorContains(t, err, "interrupted pull")
	// A manifest with a malformed digest, and one with no model layer.
	require.NoError(t, os.WriteFile(mf, []byte(`{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:../../x"}]}`), 0o644))
	_, err = Resolve("qwen2.5:0.5b")
	assert.ErrorContains(t, err, "not sha256")
	require.NoError(t, os.WriteFile(mf, []byte(`{"layers":[]}`), 0o644))
	_, err = Resolve("qwen2.5:0.5b")
	assert.ErrorContains(t, err, "no application/vnd.ollama.image.model layer")
	require.NoError(t, os.WriteFile(mf, []byte(`{`), 0o644))
	_, err = Resolve("qwen2.5:0.5b")
	assert.ErrorContains(t, err, "manifest")
}

func TestEmptyStore(t *testing.T) {
	t.Setenv("OLLAMA_MODELS", t.TempDir())
	list, err := List()
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = Resolve("anything")
	assert.ErrorContains(t, err, "the store is empty")
}

func ExampleResolve() {
	// With OLLAMA_MODELS (or ~/.ollama/models) holding a pulled model:
	path, err := Resolve("ollama:qwen2.5:0.5b")
	if err != nil {
		fmt.Println("not pulled")
		return
	}
	fmt.Println(path)
}
