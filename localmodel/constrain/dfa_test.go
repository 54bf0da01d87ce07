package constrain

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// AllowsWithin never allows a token the mask forbids (so a greedy decoder
// may check its best token first), and agrees with the mask when the
// budget is ample.
func TestAllowsWithinAgreesWithMask(t *testing.T) {
	tok, err := tokenizer.GPT2()
	require.NoError(t, err)
	eot, _ := tok.SpecialID(tokenizer.EndOfText)
	ix := NewIndex(tok, eot)
	schema := `{"type":"object","properties":{"name":{"type":"string","maxLength":12},"n":{"type":"integer"},"ok":{"type":"boolean"}},"required":["name","n","ok"],"additionalProperties":false}`
	prog, err := Compile(&llm.Constraint{Kind: llm.ConstraintJSONSchema, Schema: json.RawMessage(schema)})
	require.NoError(t, err)
	m := NewMatcher(prog, ix, eot)
	doc := `{"name":"Sacramento","n":39538223,"ok":true}`
	r := rand.New(rand.NewPCG(1, 2))
	st := m.Start()
	for i := 0; i <= len(doc); i++ {
		for _, budget := range []int{1, 3, 8, 1 << 20} {
			mask := m.MaskWithin(st, budget)
			full := budget == 1<<20
			for k := 0; k < 3000; k++ {
				id := int32(r.IntN(tok.VocabSize()))
				if k == 0 {
					id = eot
				}
				got := m.AllowsWithin(st, id, tok.Token(id), budget)
				if got {
					require.True(t, Allowed(mask, id), "state after %q, budget %d: token %q allowed by the check, not by the mask", doc[:i], budget, tok.Token(id))
				}
				if full {
					require.Equal(t, Allowed(mask, id), got, "state after %q: token %q", doc[:i], tok.Token(id))
				}
			}
		}
		if i < len(doc) {
			st = m.Step(st, doc[i])
			require.GreaterOrEqual(t, st, int32(0))
		}
	}
}
