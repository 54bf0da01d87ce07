package tot

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Hardening #10: verdicts match whole words and read negations ("not sure"
// scored as sure and "unlikely" as likely before).
func TestVerdictWordsAndNegation(t *testing.T) {
	for text, want := range map[string]float64{
		"4 4 10 can make 24.\nsure":                 20,
		"reasoning...\nlikely":                      1,
		"too big\nimpossible":                       0.001,
		"hmm\nnot sure":                             1,
		"hmm\nI'm not sure.":                        1,
		"hmm\nunlikely":                             0.001,
		"hmm\nIt is not likely":                     0.001,
		"hmm\nnot impossible":                       1,
		"hmm\n**Sure**":                             20,
		"hmm\n3. likely":                            1,
		"the numbers are impossible to combine\nok": 0,
		"surely not\nreassured":                     0,
		"":                                          0,
	} {
		assert.Equal(t, want, verdict(text, DefaultScores), "%q", text)
	}
	custom := map[string]float64{"yes": 1, "no": 0.5}
	assert.Equal(t, 1.0, verdict("answer: yes", custom))
	assert.Equal(t, 0.5, verdict("not yes, no", custom)) // "not yes" skipped, "no" counts
}

// FuzzVerdict: any reply scores without panicking, and only to a score
// that exists.
func FuzzVerdict(f *testing.F) {
	f.Add("not sure")
	f.Add("1. **likely**")
	f.Fuzz(func(t *testing.T, s string) {
		v := verdict(s, DefaultScores)
		assert.Contains(t, []float64{0, 20, 1, 0.001}, v)
	})
}
