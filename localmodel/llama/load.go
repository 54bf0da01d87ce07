package llama

import (
	"fmt"
	"math"

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/gguf"
)

func init() {
	localmodel.RegisterFormat(localmodel.Format{Name: "gguf",
		Match: func(head []byte) bool { return len(head) >= 4 && string(head[:4]) == gguf.Magic },
		Load:  LoadGGUF})
}

// LoadGGUF builds a runtime model (network, tokenizer, chat template, stop
// tokens) from a GGUF file's bytes, which it views in place.
func LoadGGUF(data []byte) (*localmodel.Model, error) {
	f, err := gguf.Parse(data)
	if err != nil {
		return nil, err
	}
	net, err := New(f)
	if err != nil {
		return nil, err
	}
	m := &localmodel.Model{Net: net, Arch: net.Config.Arch}
	if err := attachTokenizer(m, f, net.Config.Vocab); err != nil {
		return nil, err
	}
	return m, nil
}

// meta reads the architecture's hyper-parameters; each missing or
// inconsistent key is an error naming it.
func meta(f *gguf.File) (Config, error) {
	var c Config
	arch, err := f.String("general.architecture")
	if err != nil {
		return c, err
	}
	switch arch {
	case "llama", "qwen2", "qwen3":
	default:
		return c, fmt.Errorf("%w: architecture %q is not supported (llama, qwen2, qwen3 are)", gguf.ErrFormat, arch)
	}
	c.Arch, c.NeoX = arch, arch != "llama"
	key := func(k string) string { return arch + "." + k }
	get := func(k string, dst *int) {
		if err != nil {
			return
		}
		var v uint64
		v, err = f.Uint(key(k))
		if err == nil && (v == 0 || v > 1<<24) {
			err = fmt.Errorf("%w: metadata %s is %d, out of range", gguf.ErrFormat, key(k), v)
		}
		*dst = int(v)
	}
	get("embedding_length", &c.Embd)
	get("block_count", &c.Layers)
	get("feed_forward_length", &c.FF)
	get("attention.head_count", &c.Heads)
	get("context_length", &c.Context)
	if err != nil {
		return c, err
	}
	c.KVHeads, c.HeadDim = c.Heads, c.Embd/c.Heads
	if _, ok := f.Lookup(key("attention.head_count_kv")); ok {
		get("attention.head_count_kv", &c.KVHeads)
	}
	if _, ok := f.Lookup(key("attention.key_length")); ok {
		get("attention.key_length", &c.HeadDim)
	}
	c.RopeDim = c.HeadDim
	if _, ok := f.Lookup(key("rope.dimension_count")); ok {
		get("rope.dimension_count", &c.RopeDim)
	}
	if err != nil {
		return c, err
	}
	if c.RMSEps, err = f.Float(key("attention.layer_norm_rms_epsilon")); err != nil {
		return c, err
	}
	c.RopeBase, c.RopeFreqScale = 10000, 1
	if _, ok := f.Lookup(key("rope.freq_base")); ok {
		if c.RopeBase, err = f.Float(key("rope.freq_base")); err != nil {
			return c, err
		}
	}
	if kv, ok := f.Lookup(key("rope.scaling.type")); ok {
		switch kv.Value {
		case "none":
		case "linear":
			factor, err := f.Float(key("rope.scaling.factor"))
			if err != nil {
				return c, err
			}
			if !(factor > 0) {
				return c, fmt.Errorf("%w: metadata %s is %v", gguf.ErrFormat, key("rope.scaling.factor"), factor)
			}
			c.RopeFreqScale = 1 / factor
		default:
			return c, fmt.Errorf("%w: metadata %s %v is not supported (none, linear; Llama 3 scaling comes as rope_freqs.weight)", gguf.ErrFormat, key("rope.scaling.type"), kv.Value)
		}
	}
	switch {
	case c.Heads%c.KVHeads != 0:
		return c, fmt.Errorf("%w: %s %d is not a multiple of %s %d", gguf.ErrFormat, key("attention.head_count"), c.Heads, key("attention.head_count_kv"), c.KVHeads)
	case c.RopeDim > c.HeadDim || c.RopeDim%2 != 0:
		return c, fmt.Errorf("%w: %s %d does not fit heads of %d", gguf.ErrFormat, key("rope.dimension_count"), c.RopeDim, c.HeadDim)
	case !(c.RMSEps > 0 && c.RMSEps < 1):
		return c, fmt.Errorf("%w: %s %v is out of range", gguf.ErrFormat, key("attention.layer_norm_rms_epsilon"), c.RMSEps)
	case !(c.RopeBase > 1) || math.IsInf(c.RopeBase, 0):
		return c, fmt.Errorf("%w: %s %v is out of range", gguf.ErrFormat, key("rope.freq_base"), c.RopeBase)
	}
	c.Context = min(c.Context, MaxContext)
	return c, nil
}

// New builds the network from a parsed file, checking every tensor's
// presence, type and shape against the metadata.
func New(f *gguf.File) (*Model, error) {
	c, err := meta(f)
	if err != nil {
		return nil, err
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok {
		return nil, fmt.Errorf("%w: tensor token_embd.weight is missing", gguf.ErrFormat)
	}
	if len(emb.Dims) < 2 || emb.Dims[0] != uint64(c.Embd) || emb.Dims[1] == 0 || emb.Dims[1] > 1<<24 {
		return nil, fmt.Errorf("%w: tensor token_embd.weight has shape %v, want [%d, vocabulary]", gguf.ErrFormat, emb.Dims, c.Embd)
	}
	c.Vocab = int(emb.Dims[1])
	m := &Model{Config: c}
	mat := func(name string, cols, rows int) (*linear, error) {
		t, ok := f.Tensor(name)
		if !ok {
			return nil, fmt.Errorf("%w: tensor %s is missing", gguf.ErrFormat, name)
		}
		if len(t.Dims) < 2 || t.Dims[0] != uint64(cols) || t.Dims[1] != uint64(rows) {
			return nil, fmt.Errorf("%w: tensor %s has shape %v, want [%d %d]", gguf.ErrFormat, name, t.Dims, cols, rows)
		}
		l, err := newLinear(name, t, f.Data(t))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", gguf.ErrFormat, err)
		}
		return l, nil
	}
	vec := func(name string, n int, optional bool) ([]float32, error) {
		t, ok := f.Tensor(name)
		if !ok {
			if optional {
				return nil, nil
			}
			return nil, fmt.Errorf("%w: tensor %s is missing", gguf.ErrFormat, name)
		}
		if t.Elements() != uint64(n) || len(t.Dims) > 1 && t.Dims[0] != uint64(n) {
			return nil, fmt.Errorf("%w: tensor %s has shape %v, want [%d]", gguf.ErrFormat, name, t.Dims, n)
		}
		out := make([]float32, n)
		if err := gguf.Dequantize(t.Type, out, f.Data(t)); err != nil {
			return nil, fmt.Errorf("%w: tensor %s: %v", gguf.ErrFormat, name, err)
		}
		for i, v := range out {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || math.Abs(float64(v)) > 1e30 {
				return nil, fmt.Errorf("%w: tensor %s holds %v at element %d", gguf.ErrFormat, name, v, i)
			}
		}
		return out, nil
	}
	if m.embd, err = mat("token_embd.weight", c.Embd, c.Vocab); err != nil {
		return nil, err
	}
	m.output = m.embd
	if _, ok := f.Tensor("output.weight"); ok {
		if m.output, err = mat("output.weight", c.Embd, c.Vocab); err != nil {
			return nil, err
		}
	}
	if m.outNorm, err = vec("output_norm.weight", c.Embd, false); err != nil {
		return nil, err
	}
	hd := c.HeadDim
	qDim, kvDim := c.Heads*hd, c.KVHeads*hd
	m.layers = make([]layer, c.Layers)
	for i := range m.layers {
		L := &m.layers[i]
		p := fmt.Sprintf("blk.%d.", i)
		errs := make([]error, 0, 16)
		add := func(err error) { errs = append(errs, err) }
		var e error
		L.attnNorm, e = vec(p+"attn_norm.weight", c.Embd, false)
		add(e)
		L.ffnNorm, e = vec(p+"ffn_norm.weight", c.Embd, false)
		add(e)
		L.q, e = mat(p+"attn_q.weight", c.Embd, qDim)
		add(e)
		L.k, e = mat(p+"attn_k.weight", c.Embd, kvDim)
		add(e)
		L.v, e = mat(p+"attn_v.weight", c.Embd, kvDim)
		add(e)
		L.o, e = mat(p+"attn_output.weight", qDim, c.Embd)
		add(e)
		L.gate, e = mat(p+"ffn_gate.weight", c.Embd, c.FF)
		add(e)
		L.up, e = mat(p+"ffn_up.weight", c.Embd, c.FF)
		add(e)
		L.down, e = mat(p+"ffn_down.weight", c.FF, c.Embd)
		add(e)
		L.qBias, e = vec(p+"attn_q.bias", qDim, c.Arch != "qwen2")
		add(e)
		L.kBias, e = vec(p+"attn_k.bias", kvDim, c.Arch != "qwen2")
		add(e)
		L.vBias, e = vec(p+"attn_v.bias", kvDim, c.Arch != "qwen2")
		add(e)
		L.qNorm, e = vec(p+"attn_q_norm.weight", hd, c.Arch != "qwen3")
		add(e)
		L.kNorm, e = vec(p+"attn_k_norm.weight", hd, c.Arch != "qwen3")
		add(e)
		for _, e := range errs {
			if e != nil {
				return nil, e
			}
		}
		L.qkv = fuse(p+"attn_qkv", L.q, L.k, L.v)
		L.gateUp = fuse(p+"ffn_gate_up", L.gate, L.up)
	}
	// RoPE frequencies, divided by Llama 3's per-pair factors when given.
	half := c.RopeDim / 2
	factors, err := vec("rope_freqs.weight", half, true)
	if err != nil {
		return nil, err
	}
	m.ropeFreq = make([]float32, half)
	for i := range m.ropeFreq {
		fr := c.RopeFreqScale * math.Pow(c.RopeBase, -2*float64(i)/float64(c.RopeDim))
		if factors != nil {
			if !(factors[i] > 0) {
				return nil, fmt.Errorf("%w: tensor rope_freqs.weight holds %v at %d", gguf.ErrFormat, factors[i], i)
			}
			fr /= float64(factors[i])
		}
		m.ropeFreq[i] = float32(fr)
	}
	return m, nil
}
