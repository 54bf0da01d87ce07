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
	"github.com/ponder-go/ponder/localmodel/agentmodel"
	_ "github.com/ponder-go/ponder/localmodel/gpt2"  // llm.c, safetensors and Ponder checkpoints
	_ "github.com/ponder-go/ponder/localmodel/llama" // GGUF: Llama, Qwen2, Qwen3
)

// Bundled reports whether name resolves to the bundled local agent model
// (local backend, no checkpoint given): callers then run the agent the way
// that model was trained (see react/synth).
func Bundled(name, model string) bool {
	return Resolve(name) == "local" && model == "" && os.Getenv("PONDER_LOCAL_WEIGHTS") == ""
}

// ErrBundledOnly is returned (wrapped) by OpenGeneral when the only model
// at hand is the bundled agent model.
var ErrBundledOnly = errors.New("no general model configured")

// OpenGeneral is Open for a task that needs a general model (free-form
// questions, chain-of-thought, Game of 24, RAG answers). The bundled agent
// model answers population and area questions about US states and nothing
// else, so with nothing else configured it returns an error saying so and
// how to point Ponder at a real model, instead of letting the tiny model
// print junk.
func OpenGeneral(name, model, task string) (llm.Model, error) {
	if Bundled(name, model) {
		return nil, fmt.Errorf("%w for %s: the bundled model is a tiny agent model that only answers population and area questions about US states (try: ponder agent \"How many times larger is California's population than Alaska's?\"). For %s, point Ponder at a real model: OPENAI_BASE_URL=http://localhost:11434/v1 (Ollama, llama.cpp's server, vLLM, LM Studio) or OPENAI_API_KEY=..., or give -model FILE.gguf (or ollama:NAME)",
			ErrBundledOnly, task, task)
	}
	return Open(name, model)
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
// the PONDER_MODEL default); for local it is a checkpoint file (llm.c,
// Hugging Face GPT-2 safetensors or Ponder format), default
// $PONDER_LOCAL_WEIGHTS, else the bundled tiny agent model.
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
			m, err := agentmodel.Load()
			if err != nil {
				return nil, fmt.Errorf("backend local: the bundled model: %w", err)
			}
			return &localmodel.Backend{Model: m, Name: agentmodel.Name}, nil
		}
		m, err := localmodel.Load(path)
		if err != nil {
			return nil, fmt.Errorf("backend local: %w", err)
		}
		if m.Tok == nil {
			return nil, fmt.Errorf("backend local: %s has a %d-token vocabulary and no tokenizer of its own", path, m.Net.VocabSize())
		}
		return &localmodel.Backend{Model: m, Name: filepath.Base(path)}, nil
	default:
		return nil, fmt.Errorf("unknown backend %q (want auto, openai or local)", name)
	}
}
