package agentmodel

import (
	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/react/synth"
)

// Agent returns a ReAct agent that runs the bundled model the way it was
// trained: the one place every entry point (ponder agent, the examples,
// user code) sets it up. See Configure.
func Agent() (*react.Agent, error) {
	m, err := Load()
	if err != nil {
		return nil, err
	}
	a := &react.Agent{Model: &localmodel.Backend{Model: m, Name: Name}}
	return Configure(a)
}

// Configure sets a up for the bundled model and returns it: the US state
// facts as its tools (one passage per search), no system prompt, every
// step constrained and grounded in the question and the observations,
// questions read onto the trained wording (synth.Normalizer), answers
// checked against what was looked up (react.Grounded) and an honest
// refusal for anything else. Model, OnStep, Timeout and the like are left
// to the caller.
func Configure(a *react.Agent) (*react.Agent, error) {
	reg, err := synth.StatesTools()
	if err != nil {
		return nil, err
	}
	a.Tools, a.Constrained, a.Native = reg, true, false
	return synth.AsTrained(a), nil
}
