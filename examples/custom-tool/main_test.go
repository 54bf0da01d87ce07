package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools"
)

func TestCustomToolInAgent(t *testing.T) {
	out, err := SquareMilesToKm2.Call(context.Background(), "665,724.9")
	require.NoError(t, err)
	want := tools.FormatNumber(665724.9*2.589988110336) + " square kilometres"
	assert.Equal(t, want, out)
	_, err = SquareMilesToKm2.Call(context.Background(), "a lot")
	assert.ErrorContains(t, err, `not a number: "a lot"`)

	reg, err := tools.Builtin()
	require.NoError(t, err)
	require.NoError(t, reg.Add(SquareMilesToKm2))
	assert.Contains(t, reg.Describe(), "- sqmi_to_km2[input]: Converts an area")
	m := llmtest.Replies(
		"Thought: I need Alaska's area.\nAction: search[area of Alaska]",
		"Thought: Convert it.\nAction: sqmi_to_km2[665,724.9]",
		"Thought: Done.\nFinal Answer: about 1,724,220 square kilometres",
	)
	res, err := (&react.Agent{Model: m, Tools: reg}).Run(context.Background(), "How many square kilometres is Alaska's total area?")
	require.NoError(t, err)
	assert.Equal(t, want, res.Steps[1].Observation)
	assert.Contains(t, res.Steps[0].Observation, "665,724.9 square miles")
}
