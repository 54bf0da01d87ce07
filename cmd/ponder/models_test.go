package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/llama"
)

// TestOllamaModels puts a GGUF model into an Ollama store layout (blob by
// digest, manifest by name) and uses it by name.
func TestOllamaModels(t *testing.T) {
	store := t.TempDir()
	t.Setenv("OLLAMA_MODELS", store)
	out, errs, code := runCLI(t, "models")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "no models in the Ollama store")

	c := llama.Config{Arch: "llama", Embd: 64, Layers: 1, Heads: 4, KVHeads: 2, FF: 128, Context: 256, RMSEps: 1e-5, RopeBase: 10000}
	path := writeChatModel(t, t.TempDir(), c, gguf.F16, false)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	require.NoError(t, os.MkdirAll(filepath.Join(store, "blobs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(store, "blobs", "sha256-"+digest), data, 0o644))
	mf := filepath.Join(store, "manifests", "registry.ollama.ai", "library", "tiny", "f16")
	require.NoError(t, os.MkdirAll(filepath.Dir(mf), 0o755))
	require.NoError(t, os.WriteFile(mf, []byte(fmt.Sprintf(`{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:%s","size":%d}]}`, digest, len(data))), 0o644))

	out, errs, code = runCLI(t, "models")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "ollama:tiny:f16")
	out, errs, code = runCLI(t, "generate", "-model", "ollama:tiny:f16", "-n", "3", "Hi")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Hi")
	_, errs, code = runCLI(t, "generate", "-model", "ollama:tiny:q4", "-n", "3", "Hi")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "it has tiny:f16")
}

func TestConvertCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "agent.gguf")
	stdout, errs, code := runCLI(t, "convert", "-out", out, "-type", "q8_0")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, stdout, "gpt2")
	assert.Contains(t, errs, "warning") // the agent model splits digits its own way
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	f, err := gguf.Parse(data)
	require.NoError(t, err)
	arch, err := f.String("general.architecture")
	require.NoError(t, err)
	assert.Equal(t, "gpt2", arch)

	_, errs, code = runCLI(t, "convert", "-model", out, "-out", out+"2")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `architecture "gpt2" is not supported`) // Ponder runs GPT-2 from its own formats
	_, _, code = runCLI(t, "convert", "-out", out, "-type", "q3")
	assert.Equal(t, 1, code)
	_, _, code = runCLI(t, "convert")
	assert.Equal(t, 2, code)
}
