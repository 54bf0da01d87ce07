// Package backend picks a model backend by name, the way Ponder's CLI and
// examples do: "openai" (any OpenAI-compatible server, configured from the
// environment), "local" (the bundled in-process runtime) or "auto" (openai
// when OPENAI_API_KEY or OPENAI_BASE_URL is set, else local).
package backend

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/openai"
	"github.com/ponder-go/ponder/localmodel"
)

// ErrLocalUnavailable is returned for "local" with no weights: the bundled
// agent model is not shipped yet.
var ErrLocalUnavailable = errors.New("no bundled local model yet")

// Resolve turns "auto" into "openai" or "local" by the environment.
func Resolve(name string) string {
	if name == "" || name == "auto" {
		if openai.Configured() {
			return "openai"
		}
		return "local"
	}
	return name
}

// Open returns the named backend. model overrides the model name (for openai:
// the PONDER_MODEL default); for local it is a checkpoint file (llm.c,
// Hugging Face GPT-2 safetensors or Ponder format), default $PONDER_LOCAL_WEIGHTS.
func Open(name, model string) (llm.Model, error) {
	switch Resolve(name) {
	case "openai":
		var opts []openai.Option
		if model != "" {
			opts = append(opts, openai.WithModel(model))
		}
		return openai.New(opts...)
	case "local":
		path := model
		if path == "" {
			path = os.Getenv("PONDER_LOCAL_WEIGHTS")
		}
		if path == "" {
			return nil, fmt.Errorf("backend local: %w (the tiny agent model is still to be trained). Pass a GPT-2 checkpoint with -model FILE or PONDER_LOCAL_WEIGHTS (llm.c .bin, Hugging Face .safetensors or Ponder format), or use an OpenAI-compatible server: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (e.g. http://localhost:11434/v1 for Ollama) and optionally PONDER_MODEL", ErrLocalUnavailable)
		}
		m, err := localmodel.Load(path)
		if err != nil {
			return nil, fmt.Errorf("backend local: %w", err)
		}
		if m.Tok == nil {
			return nil, fmt.Errorf("backend local: %s has a %d-token vocabulary and no tokenizer of its own", path, m.Config.Vocab)
		}
		return &localmodel.Backend{Model: m, Name: filepath.Base(path)}, nil
	default:
		return nil, fmt.Errorf("unknown backend %q (want auto, openai or local)", name)
	}
}
