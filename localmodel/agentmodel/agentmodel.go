// Package agentmodel ships the bundled tiny ReAct agent model: a small
// GPT-2-architecture transformer trained by Ponder's own trainer on
// synthetic tool-use traces (see README.md here for the command, seed, data
// and evaluation). It answers questions about places by searching and
// calculating, run by react.Agent with constrained, grounded steps.
package agentmodel

import (
	_ "embed"
	"sync"

	"github.com/ponder-go/ponder/localmodel"
	_ "github.com/ponder-go/ponder/localmodel/gpt2" // the checkpoint's format
)

//go:embed react-tiny.ponder
var weights []byte

var (
	once  sync.Once
	model *localmodel.Model
	err   error
)

// Load returns the bundled model (loaded once).
func Load() (*localmodel.Model, error) {
	once.Do(func() { model, err = localmodel.LoadBytes(weights) })
	return model, err
}

// Name is the model's name in responses.
const Name = "ponder-react-tiny"
