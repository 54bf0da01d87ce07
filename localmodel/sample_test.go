package localmodel

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTopPKeepsTheHead: top-p and top-k sample only from the most likely
// tokens, in any vocabulary order.
func TestTopPKeepsTheHead(t *testing.T) {
	logits := make([]float32, 1000)
	for i := range logits {
		logits[i] = -10
	}
	logits[700], logits[3], logits[500] = 5, 4.9, 4.8 // ~equal, far above the rest
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[int32]int{}
	for i := 0; i < 3000; i++ {
		id, _ := Sampling{Temperature: 1, TopP: 0.9}.pick(logits, r, nil)
		seen[id]++
	}
	assert.Len(t, seen, 3, "%v", seen)
	for i := 0; i < 300; i++ {
		id, _ := Sampling{Temperature: 1, TopK: 1}.pick(logits, r, nil)
		assert.Equal(t, int32(700), id)
	}
	id, _ := Sampling{Temperature: 1, TopK: 5}.pick(logits, r, func(i int) bool { return i == 42 })
	assert.Equal(t, int32(42), id)
}

// BenchmarkPick: one sampling step over GPT-2's 50,257 logits (hardening
// #3: it sorted the whole vocabulary every step).
func BenchmarkPick(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, 50257)
	for i := range logits {
		logits[i] = float32(r.NormFloat64() * 3)
	}
	for _, c := range []struct {
		name string
		s    Sampling
	}{{"greedy", Sampling{}}, {"temperature", Sampling{Temperature: 0.8}}, {"top-k-40", Sampling{Temperature: 0.8, TopK: 40}}, {"top-p-0.9", Sampling{Temperature: 0.8, TopP: 0.9}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.s.pick(logits, r, nil)
			}
		})
	}
}
