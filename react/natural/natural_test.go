package natural

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shipped file is what the generator makes (run with
// PONDER_UPDATE_DEVSET=1 to rewrite it after changing the generator).
func TestDevSetIsTheGenerators(t *testing.T) {
	qs, err := Generate(DevSeed, DevSize)
	require.NoError(t, err)
	var b strings.Builder
	for _, q := range qs {
		line, _ := json.Marshal(q)
		b.Write(line)
		b.WriteByte('\n')
	}
	if os.Getenv("PONDER_UPDATE_DEVSET") != "" {
		require.NoError(t, os.WriteFile("testdata/dev.jsonl", []byte(b.String()), 0o644))
	}
	data, err := os.ReadFile("testdata/dev.jsonl")
	require.NoError(t, err)
	assert.Equal(t, b.String(), string(data))
	dev, err := DevSet()
	require.NoError(t, err)
	require.Len(t, dev, DevSize)
	kinds := map[string]int{}
	for _, q := range dev {
		kinds[q.Kind]++
	}
	for _, k := range []string{Lookup, Ratio, Sum, Difference, Density, Comparison, Capital, OutOfScope} {
		assert.Greater(t, kinds[k], 5, k)
	}
	t.Log(kinds)
}

func TestJudge(t *testing.T) {
	ratio := Question{Kind: Ratio, Value: 39538223.0 / 733391}
	assert.Equal(t, Right, Judge(ratio, "California's population is about 53.9 times Alaska's."))
	assert.Equal(t, Right, Judge(ratio, "about 53.91"))
	assert.Equal(t, ConfidentWrong, Judge(ratio, "about 58.1 times"))
	assert.Equal(t, Refused, Judge(ratio, "I could not answer that."))
	assert.Equal(t, Wrong, Judge(ratio, "The Question"))
	pop := Question{Kind: Lookup, Value: 13002700}
	assert.Equal(t, Right, Judge(pop, "Pennsylvania had 13,002,700 people."))
	assert.Equal(t, ConfidentWrong, Judge(pop, "5,024,279"))
	cmp := Question{Kind: Comparison, Name: "Nevada", Other: "Montana"}
	assert.Equal(t, ConfidentWrong, Judge(cmp, "Montana is bigger than Nevada."))
	assert.Equal(t, Right, Judge(cmp, "Nevada."))
	capital := Question{Kind: Capital, Name: "Montpelier"}
	assert.Equal(t, Right, Judge(capital, "The capital of Vermont is Montpelier."))
	assert.Equal(t, ConfidentWrong, Judge(capital, "Burlington"))
	oos := Question{Kind: OutOfScope}
	assert.Equal(t, Refused, Judge(oos, "I could not answer that. I answer questions about ..."))
	assert.Equal(t, ConfidentWrong, Judge(oos, "The population of Paris is 2,100,000."))
}
