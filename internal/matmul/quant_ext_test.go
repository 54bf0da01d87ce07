package matmul_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/internal/matmul"
	"github.com/ponder-go/ponder/localmodel/gguf"
)

// TestRareTypeDots checks the Q4_1, Q5_0 and Q5_1 block dots against
// gguf's dequantization: weight values dequantized, activations as their
// quantized values, summed in float64.
func TestRareTypeDots(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const nb = 9
	x := make([]float32, nb*32)
	wf := make([]float32, nb*32)
	for i := range x {
		x[i], wf[i] = float32(r.NormFloat64()), float32(r.NormFloat64()*0.1+0.05)
	}
	a0 := make([]byte, nb*matmul.Q8_0Block)
	matmul.QuantizeQ8_0(a0, x)
	a1 := make([]byte, nb*matmul.Q8_1Block)
	matmul.QuantizeQ8_1(a1, x)
	av := make([]float32, len(x)) // the activations as quantized
	require.NoError(t, gguf.Dequantize(gguf.Q8_0, av, a0))
	for _, c := range []struct {
		typ gguf.Type
		dot func(w, a []byte, nb int) float32
		a   []byte
	}{{gguf.Q4_1, matmul.DotQ4_1, a1}, {gguf.Q5_0, matmul.DotQ5_0, a0}, {gguf.Q5_1, matmul.DotQ5_1, a1}} {
		w, err := gguf.Encode(c.typ, wf)
		require.NoError(t, err)
		wv := make([]float32, len(wf))
		require.NoError(t, gguf.Dequantize(c.typ, wv, w))
		var want float64
		for i := range wv {
			want += float64(wv[i]) * float64(av[i])
		}
		got := c.dot(w, c.a, nb)
		// Q8_1's block sum is stored in f16: allow its rounding.
		assert.InDelta(t, want, float64(got), 2e-3*math.Abs(want)+1e-3, c.typ.String())
	}
}
