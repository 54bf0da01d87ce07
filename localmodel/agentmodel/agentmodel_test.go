package agentmodel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

func TestBundledModelLoads(t *testing.T) {
	m, err := Load()
	require.NoError(t, err)
	require.NotNil(t, m.Tok)
	bpe, ok := m.Tok.(*tokenizer.BPE)
	require.True(t, ok, "a byte-level BPE tokenizer")
	assert.True(t, bpe.SplitDigits, "digits are single tokens")
	assert.LessOrEqual(t, len(weights), 8<<20, "the shipped checkpoint stays under 8 MB")
	ids := m.Tok.Encode("Question: How many times larger is California's population than Alaska's?\n")
	_, err = m.Net.Forward(m.Net.NewState(), ids, false)
	require.NoError(t, err)
}
