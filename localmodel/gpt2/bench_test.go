package gpt2

import (
	"fmt"
	"testing"
)

// BenchmarkDecode124M measures one KV-cached decode step on the GPT-2 124M
// shape (random weights) after a prompt of 64 tokens, and of 768 (where
// attention over the cache weighs more).
//
//	go test ./localmodel/gpt2 -run '^$' -bench Decode124M -benchtime 20x
func BenchmarkDecode124M(b *testing.B) {
	m, err := NewRandom(GPT2Small, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, prompt := range []int{64, 768} {
		b.Run(fmt.Sprintf("after=%d", prompt), func(b *testing.B) {
			st := m.NewState()
			if _, err := m.Forward(st, make([]int32, prompt), false); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if st.Len() >= GPT2Small.MaxSeq-1 {
					b.StopTimer()
					st = m.NewState()
					m.Forward(st, make([]int32, prompt), false)
					b.StartTimer()
				}
				if _, err := m.Forward(st, []int32{int32(i % 1000)}, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}
