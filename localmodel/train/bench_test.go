package train

import (
	"math/rand/v2"
	"testing"

	"github.com/ponder-go/ponder/localmodel/gpt2"
)

// BenchmarkStep is one training step (forward, backward, AdamW) of the
// bundled agent model's shape on a batch of 8 rows of 320 tokens; it reports
// tokens per second.
func BenchmarkStep(b *testing.B) {
	c := gpt2.Config{MaxSeq: 512, Vocab: 512, PaddedVocab: 512, Layers: 4, Heads: 4, Channels: 128}
	m, err := gpt2.NewRandom(c, 1)
	if err != nil {
		b.Fatal(err)
	}
	tr := New(m, nil)
	bt := batch(rand.New(rand.NewPCG(1, 1)), 8, 320, c.Vocab)
	opt := DefaultAdamW
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Forward(bt); err != nil {
			b.Fatal(err)
		}
		tr.Backward(bt)
		tr.Update(opt, 1e-3)
	}
	b.ReportMetric(float64(b.N*bt.B*bt.T)/b.Elapsed().Seconds(), "tok/s")
}
