package agentmodel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBundledModelLoads(t *testing.T) {
	m, err := Load()
	require.NoError(t, err)
	require.NotNil(t, m.Tok)
	assert.True(t, m.Tok.SplitDigits, "digits are single tokens")
	assert.LessOrEqual(t, len(weights), 8<<20, "the shipped checkpoint stays under 8 MB")
	ids := m.Tok.Encode("Question: How many times larger is California's population than Alaska's?\n")
	_, err = m.Forward(m.NewState(), ids, false)
	require.NoError(t, err)
}
