package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/react/reacttest"
)

func TestAgentCommand(t *testing.T) {
	remote(t, reacttest.StatesAgent())
	out, errs, code := runCLI(t, "agent", "How many times larger is California's population than Alaska's?")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Action: search[population of California]")
	assert.Contains(t, out, "Observation: 53.911519")
	assert.Contains(t, out, "Answer: California's population is about 53.9 times Alaska's.")

	// Without the calculator the call is answered with the list of tools,
	// and the agent reports that it could not compute.
	out, errs, code = runCLI(t, "agent", "-tools", "search", "How many times larger is California's population than Alaska's?")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `Observation: Error: unknown tool "calculator": available tools are search`)
	assert.Contains(t, out, "Answer: I could not compute it")

	// A step limit too small to finish ends with a clear error.
	_, errs, code = runCLI(t, "agent", "-max-steps", "2", "How many times larger is California's population than Alaska's?")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "ponder agent: react: step limit reached without a final answer (2)")

	_, errs, code = runCLI(t, "agent", "-tools", "web", "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `no built-in tool "web"`)
}
