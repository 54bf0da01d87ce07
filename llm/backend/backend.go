// Package backend picks a model backend by name, the way Ponder's CLI and
// examples do: "openai" (any OpenAI-compatible server, configured from the
// environment), "local" (the bundled in-process runtime) or "auto" (openai
// when OPENAI_API_KEY or OPENAI_BASE_URL is set, else local).
package backend

import (
	"errors"
	"fmt"
	"sync"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/openai"
)

// ErrLocalUnavailable is returned for "local" while no local runtime is
// registered.
var ErrLocalUnavailable = errors.New("the bundled local model is not available in this build yet")

// LocalFactory builds the local model; the local runtime registers one.
type LocalFactory func(model string) (llm.Model, error)

var (
	mu    sync.Mutex
	local LocalFactory
)

// RegisterLocal installs the local runtime's factory.
func RegisterLocal(f LocalFactory) {
	mu.Lock()
	local = f
	mu.Unlock()
}

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
// the PONDER_MODEL default).
func Open(name, model string) (llm.Model, error) {
	switch Resolve(name) {
	case "openai":
		var opts []openai.Option
		if model != "" {
			opts = append(opts, openai.WithModel(model))
		}
		return openai.New(opts...)
	case "local":
		mu.Lock()
		f := local
		mu.Unlock()
		if f == nil {
			return nil, fmt.Errorf("backend local: %w. Use an OpenAI-compatible server instead: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (e.g. http://localhost:11434/v1 for Ollama) and optionally PONDER_MODEL, or pass -backend openai", ErrLocalUnavailable)
		}
		return f(model)
	default:
		return nil, fmt.Errorf("unknown backend %q (want auto, openai or local)", name)
	}
}
