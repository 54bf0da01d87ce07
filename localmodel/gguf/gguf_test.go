package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sample(t testing.TB) []byte {
	t.Helper()
	var w Writer
	w.Set("general.architecture", "llama")
	w.Set("llama.block_count", uint32(2))
	w.Set("llama.rope.freq_base", float32(10000))
	w.Set("tokenizer.ggml.tokens", []string{"a", "b", "<s>"})
	w.Set("tokenizer.ggml.token_type", []int32{1, 1, 3})
	w.Set("tokenizer.ggml.add_bos_token", true)
	w.Set("big", uint64(1<<40))
	r := rand.New(rand.NewPCG(1, 2))
	for _, typ := range []Type{F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K} {
		x := make([]float32, 512)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		b, err := Encode(typ, x)
		require.NoError(t, err)
		require.NoError(t, w.AddTensor("t."+typ.String(), typ, []uint64{256, 2}, b))
	}
	var buf bytes.Buffer
	_, err := w.WriteTo(&buf)
	require.NoError(t, err)
	return buf.Bytes()
}

func TestWriteParseRoundTrip(t *testing.T) {
	data := sample(t)
	f, err := Parse(data)
	require.NoError(t, err)
	assert.EqualValues(t, 3, f.Version)
	s, err := f.String("general.architecture")
	require.NoError(t, err)
	assert.Equal(t, "llama", s)
	n, err := f.Uint("llama.block_count")
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	fl, err := f.Float("llama.rope.freq_base")
	require.NoError(t, err)
	assert.EqualValues(t, 10000, fl)
	toks, err := f.Strings("tokenizer.ggml.tokens")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "<s>"}, toks)
	ty, err := f.Ints("tokenizer.ggml.token_type")
	require.NoError(t, err)
	assert.Equal(t, []int32{1, 1, 3}, ty)
	_, err = f.Uint("missing.key")
	assert.ErrorContains(t, err, "metadata missing.key is missing")
	_, err = f.Uint("general.architecture")
	assert.ErrorContains(t, err, "want a non-negative integer")
	require.Len(t, f.Tensors, 11)
	for _, ti := range f.Tensors {
		assert.Zero(t, (f.DataOffset+ti.Offset)%32, ti.Name)
		assert.EqualValues(t, 512, ti.Elements())
	}
}

// Quantized blocks decode back close to what was encoded, each type within
// its resolution, and the plain types exactly (F32) or to their precision.
func TestEncodeDequantize(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 1024)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	tol := map[Type]float64{F32: 0, F16: 2e-3, BF16: 1.6e-2, Q8_0: 0.02, Q6_K: 0.1, Q5_K: 0.2, Q4_K: 0.4, Q4_0: 0.5, Q5_0: 0.25, Q4_1: 0.5, Q5_1: 0.25}
	for typ, limit := range tol {
		b, err := Encode(typ, x)
		require.NoError(t, err)
		assert.Len(t, b, typ.RowBytes(len(x)))
		y := make([]float32, len(x))
		require.NoError(t, Dequantize(typ, y, b))
		worst, sq := 0.0, 0.0
		for i := range x {
			d := math.Abs(float64(x[i] - y[i]))
			worst, sq = math.Max(worst, d), sq+d*d
		}
		assert.LessOrEqual(t, worst, limit, "%s worst error", typ)
		t.Logf("%s: worst %.4f rms %.4f", typ, worst, math.Sqrt(sq/float64(len(x))))
	}
	assert.ErrorContains(t, Dequantize(Q2_K, make([]float32, 256), make([]byte, 84)), "Q2_K is not supported")
}

func TestHalf(t *testing.T) {
	for _, f := range []float32{0, 1, -2.5, 65504, 6.1035156e-05, 5.9604645e-08, 1e-3, 3.14159} {
		h := FloatToHalf(f)
		assert.InDelta(t, f, HalfToFloat(h), math.Abs(float64(f))*1e-3+1e-8, "%v", f)
	}
	assert.True(t, math.IsInf(float64(HalfToFloat(FloatToHalf(1e6))), 1))
	assert.True(t, math.IsNaN(float64(HalfToFloat(FloatToHalf(float32(math.NaN()))))))
	// Every half value survives a round trip through float32.
	for h := 0; h < 1<<16; h++ {
		f := HalfToFloat(uint16(h))
		if !math.IsNaN(float64(f)) {
			require.Equal(t, uint16(h), FloatToHalf(f), "half %#04x", h)
		}
	}
}

// Headers that lie are errors naming what is wrong, before any allocation.
func TestLyingHeaders(t *testing.T) {
	good := sample(t)
	f, err := Parse(good)
	require.NoError(t, err)
	le := binary.LittleEndian
	mut := func(fn func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		fn(b)
		return b
	}
	// Find the first tensor info's fields by re-encoding its name.
	name := f.Tensors[0].Name
	at := bytes.Index(good, append(le.AppendUint64(nil, uint64(len(name))), name...))
	require.Positive(t, at)
	dimsAt := at + 8 + len(name) + 4
	typeAt := dimsAt + 8*len(f.Tensors[0].Dims)
	offAt := typeAt + 4
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":          {nil, "no GGUF magic"},
		"version":        {mut(func(b []byte) { le.PutUint32(b[4:], 7) }), "version 7"},
		"truncated":      {good[:len(good)-100], "past the end"},
		"header cut":     {good[:40], "more than the file"},
		"kv count":       {mut(func(b []byte) { le.PutUint64(b[16:], 1<<60) }), "more than the file"},
		"tensor count":   {mut(func(b []byte) { le.PutUint64(b[8:], 1<<60) }), "more than the file"},
		"huge dims":      {mut(func(b []byte) { le.PutUint64(b[dimsAt:], 1<<40) }), name},
		"overflow":       {mut(func(b []byte) { le.PutUint64(b[dimsAt:], 1<<62); le.PutUint64(b[dimsAt+8:], 1<<62) }), "overflows"},
		"unknown type":   {mut(func(b []byte) { le.PutUint32(b[typeAt:], 99) }), "unknown ggml type 99"},
		"offset past":    {mut(func(b []byte) { le.PutUint64(b[offAt:], 1<<40) }), "past the end"},
		"misaligned":     {mut(func(b []byte) { le.PutUint64(b[offAt:], 3) }), "not a multiple of the alignment"},
		"key length":     {mut(func(b []byte) { le.PutUint64(b[24:], 1<<50) }), "claims"},
		"not whole rows": {mut(func(b []byte) { le.PutUint32(b[typeAt:], uint32(Q4_K)); le.PutUint64(b[dimsAt:], 100) }), "not whole Q4_K blocks"},
	}
	for n, c := range cases {
		_, err := Parse(c.data)
		require.Error(t, err, n)
		assert.True(t, errors.Is(err, ErrFormat), n)
		assert.ErrorContains(t, err, c.want, n)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample(f))
	f.Add([]byte("GGUF\x03\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(data)
		if err != nil {
			return
		}
		for i := range g.Tensors {
			ti := &g.Tensors[i]
			b := g.Data(ti)
			if ti.Type.Supported() && ti.Elements() <= 1<<16 {
				_ = Dequantize(ti.Type, make([]float32, ti.Elements()), b)
			}
		}
	})
}
