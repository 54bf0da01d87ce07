package gpt2

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// ErrCorrupt is localmodel.ErrCorrupt: wrapped by every error about a
// file's content.
var ErrCorrupt = localmodel.ErrCorrupt

const llmcMagic = 20240326

func init() {
	localmodel.RegisterFormat(localmodel.Format{Name: "llm.c",
		Match: func(head []byte) bool { return len(head) >= 4 && binary.LittleEndian.Uint32(head) == llmcMagic },
		Load:  func(data []byte) (*localmodel.Model, error) { return wrap(loadLLMC(data)) }})
	localmodel.RegisterFormat(localmodel.Format{Name: "safetensors", Match: isSafetensors,
		Load: func(data []byte) (*localmodel.Model, error) { return wrap(loadSafetensors(data)) }})
}

// isSafetensors recognises a safetensors header: a little-endian length,
// then JSON.
func isSafetensors(head []byte) bool {
	return len(head) >= 9 && binary.LittleEndian.Uint64(head) < 1<<32 && head[8] == '{'
}

func wrap(m *Model, tok *tokenizer.BPE, err error) (*localmodel.Model, error) {
	if err != nil {
		return nil, err
	}
	return Wrap(m, tok)
}

// Wrap makes a runtime model of a network and its tokenizer: tok, or
// GPT-2's for a 50,257-token vocabulary when tok is nil. Its stop token is
// the tokenizer's end of text.
func Wrap(m *Model, tok *tokenizer.BPE) (*localmodel.Model, error) {
	var err error
	if tok == nil && m.Config.Vocab == 50257 {
		if tok, err = tokenizer.GPT2(); err != nil {
			return nil, err
		}
	}
	lm := &localmodel.Model{Net: m, Arch: "gpt2"}
	if tok != nil {
		lm.Tok = tok
		if eot, ok := tok.SpecialID(tokenizer.EndOfText); ok {
			lm.Stops = []int32{eot}
		}
	}
	return lm, nil
}

// Network returns the GPT-2 network of a loaded model, or nil.
func Network(m *localmodel.Model) *Model {
	g, _ := m.Net.(*Model)
	return g
}

// Read parses a checkpoint (llm.c, Hugging Face GPT-2 safetensors or
// Ponder's format) into a network and, for Ponder files, its tokenizer.
func Read(data []byte) (*Model, *tokenizer.BPE, error) {
	if len(data) >= 4 && binary.LittleEndian.Uint32(data) == llmcMagic {
		return loadLLMC(data)
	}
	return loadSafetensors(data)
}

// floats views b as little-endian float32s without copying.
func floats(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func loadLLMC(data []byte) (*Model, *tokenizer.BPE, error) {
	if len(data) < 1024 {
		return nil, nil, fmt.Errorf("%w: llm.c header needs 1024 bytes, file has %d", ErrCorrupt, len(data))
	}
	h := make([]int32, 256)
	for i := range h {
		h[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
	}
	switch h[1] {
	case 3:
	case 5:
		return nil, nil, fmt.Errorf("%w: llm.c version 5 (bf16) checkpoints are not supported; export fp32 (version 3)", ErrCorrupt)
	default:
		return nil, nil, fmt.Errorf("%w: llm.c version %d, want 3 (fp32)", ErrCorrupt, h[1])
	}
	c := Config{MaxSeq: int(h[2]), Vocab: int(h[3]), Layers: int(h[4]), Heads: int(h[5]), Channels: int(h[6]), PaddedVocab: int(h[7])}
	if c.PaddedVocab == 0 {
		c.PaddedVocab = c.Vocab
	}
	if err := c.Validate(); err != nil {
		return nil, nil, fmt.Errorf("%w: llm.c header: %v", ErrCorrupt, err)
	}
	body := data[1024:]
	off := 0
	for _, t := range c.layout() {
		n := numel(t.shape) * 4
		if off+n > len(body) {
			return nil, nil, fmt.Errorf("%w: truncated at tensor %s %v: needs bytes %d..%d of the parameters, file has %d", ErrCorrupt, t.name, t.shape, off, off+n, len(body))
		}
		off += n
	}
	if off != len(body) {
		return nil, nil, fmt.Errorf("%w: %d bytes after the last tensor (%d expected in all for %+v)", ErrCorrupt, len(body)-off, off, c)
	}
	m, err := newModel(c, viewFloats(body))
	return m, nil, err
}

// maxWeight bounds a weight's magnitude: trained weights are far smaller,
// and larger ones overflow float32 in the forward pass (NaN logits).
const maxWeight = 1e6

func newModel(c Config, flat []float32) (*Model, error) {
	for i, v := range flat {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v > maxWeight || v < -maxWeight {
			name, at := c.locate(i)
			return nil, fmt.Errorf("%w: tensor %s holds %v at element %d (weights must be finite and within ±%g)", ErrCorrupt, name, v, at, float64(maxWeight))
		}
	}
	p, err := c.bind(flat)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &Model{Config: c, Params: p, flat: flat}, nil
}

// locate names the tensor holding flat element i.
func (c Config) locate(i int) (string, int) {
	for _, t := range c.layout() {
		n := numel(t.shape)
		if i < n {
			return t.name, i
		}
		i -= n
	}
	return "?", i
}

// WriteLLMC writes m in llm.c's GPT-2 format (version 3, fp32).
func WriteLLMC(path string, m *Model) error {
	h := make([]int32, 256)
	c := m.Config
	h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7] = llmcMagic, 3, int32(c.MaxSeq), int32(c.Vocab), int32(c.Layers), int32(c.Heads), int32(c.Channels), int32(c.PaddedVocab)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := binary.Write(f, binary.LittleEndian, h); err != nil {
		f.Close()
		return err
	}
	if err := binary.Write(f, binary.LittleEndian, m.flat); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type stEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

func parseSafetensors(data []byte) (map[string]stEntry, map[string]string, []byte, error) {
	if len(data) < 8 {
		return nil, nil, nil, fmt.Errorf("%w: not a safetensors file (%d bytes)", ErrCorrupt, len(data))
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n > uint64(len(data)-8) || n > 100<<20 {
		return nil, nil, nil, fmt.Errorf("%w: safetensors header of %d bytes does not fit a %d-byte file", ErrCorrupt, n, len(data))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &raw); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: safetensors header: %v", ErrCorrupt, err)
	}
	entries := map[string]stEntry{}
	meta := map[string]string{}
	body := data[8+n:]
	for name, v := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(v, &meta); err != nil {
				return nil, nil, nil, fmt.Errorf("%w: safetensors metadata: %v", ErrCorrupt, err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, nil, nil, fmt.Errorf("%w: tensor %s: %v", ErrCorrupt, name, err)
		}
		if e.Offsets[0] < 0 || e.Offsets[1] < e.Offsets[0] || e.Offsets[1] > int64(len(body)) {
			return nil, nil, nil, fmt.Errorf("%w: tensor %s: data %d..%d lies outside the %d data bytes (truncated file?)", ErrCorrupt, name, e.Offsets[0], e.Offsets[1], len(body))
		}
		entries[name] = e
	}
	return entries, meta, body, nil
}

func loadSafetensors(data []byte) (*Model, *tokenizer.BPE, error) {
	entries, meta, body, err := parseSafetensors(data)
	if err != nil {
		return nil, nil, err
	}
	if meta["format"] == ponderFormat {
		return loadPonder(entries, meta, body)
	}
	return loadHF(entries, meta, body)
}

const ponderFormat = "ponder-gpt2"

func tensorData(name string, e stEntry, want []int, body []byte) ([]float32, error) {
	if e.DType != "F32" {
		return nil, fmt.Errorf("%w: tensor %s has dtype %s, only F32 is supported", ErrCorrupt, name, e.DType)
	}
	if !equalShape(e.Shape, want) {
		return nil, fmt.Errorf("%w: tensor %s has shape %v, expected %v", ErrCorrupt, name, e.Shape, want)
	}
	if got := e.Offsets[1] - e.Offsets[0]; got != int64(numel(want))*4 {
		return nil, fmt.Errorf("%w: tensor %s holds %d bytes, shape %v needs %d", ErrCorrupt, name, got, want, numel(want)*4)
	}
	return viewFloats(body[e.Offsets[0]:e.Offsets[1]]), nil
}

// viewFloats views b as float32s in place when it is 4-byte aligned, and
// copies it otherwise (embedded data need not be aligned).
func viewFloats(b []byte) []float32 {
	if len(b) == 0 || uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return floats(b)
	}
	cp := make([]float32, len(b)/4)
	for i := range cp {
		cp[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return cp
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func loadPonder(entries map[string]stEntry, meta map[string]string, body []byte) (*Model, *tokenizer.BPE, error) {
	var c Config
	if err := json.Unmarshal([]byte(meta["config"]), &c); err != nil {
		return nil, nil, fmt.Errorf("%w: ponder metadata config: %v", ErrCorrupt, err)
	}
	if err := c.Validate(); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	// Tensors are stored contiguously in layout order: view them in place.
	var flat []float32
	var start int64 = -1
	expect := int64(0)
	for _, t := range c.layout() {
		e, ok := entries[t.name]
		if !ok {
			return nil, nil, fmt.Errorf("%w: tensor %s is missing", ErrCorrupt, t.name)
		}
		if _, err := tensorData(t.name, e, t.shape, body); err != nil {
			return nil, nil, err
		}
		if start < 0 {
			start, expect = e.Offsets[0], e.Offsets[0]
		}
		if e.Offsets[0] != expect {
			return nil, nil, fmt.Errorf("%w: tensor %s is not stored after the previous one", ErrCorrupt, t.name)
		}
		expect = e.Offsets[1]
	}
	flat = viewFloats(body[start:expect])
	m, err := newModel(c, flat)
	if err != nil {
		return nil, nil, err
	}
	var tok *tokenizer.BPE
	switch tk := meta["tokenizer"]; tk {
	case "", "gpt2":
	default:
		if tok, err = tokenizer.Parse([]byte(tk)); err != nil {
			return nil, nil, fmt.Errorf("%w: embedded tokenizer: %v", ErrCorrupt, err)
		}
		if tok.VocabSize() != c.Vocab {
			return nil, nil, fmt.Errorf("%w: tokenizer has %d tokens, the model %d", ErrCorrupt, tok.VocabSize(), c.Vocab)
		}
	}
	return m, tok, nil
}

// SavePonder writes m in Ponder's format: safetensors with the config and
// tokenizer in the metadata and the tensors contiguous in llm.c order (so
// loading maps them without a copy). A nil tok, or GPT-2's, is recorded as
// "gpt2".
func SavePonder(path string, m *Model, tok *tokenizer.BPE) error {
	cfg, _ := json.Marshal(m.Config)
	meta := map[string]string{"format": ponderFormat, "config": string(cfg), "tokenizer": "gpt2"}
	if tok != nil {
		if g, _ := tokenizer.GPT2(); tok != g {
			tb, err := tok.MarshalJSON()
			if err != nil {
				return err
			}
			meta["tokenizer"] = string(tb)
		}
	}
	header := map[string]any{"__metadata__": meta}
	off := int64(0)
	for _, t := range m.Config.layout() {
		n := int64(numel(t.shape)) * 4
		header[t.name] = stEntry{DType: "F32", Shape: t.shape, Offsets: [2]int64{off, off + n}}
		off += n
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for (8+len(hb))%64 != 0 { // align the data for mapping
		hb = append(hb, ' ')
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var lenb [8]byte
	binary.LittleEndian.PutUint64(lenb[:], uint64(len(hb)))
	if _, err := f.Write(append(lenb[:], hb...)); err != nil {
		f.Close()
		return err
	}
	if err := binary.Write(f, binary.LittleEndian, m.flat); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var hfLayer = regexp.MustCompile(`^h\.(\d+)\.`)

// loadHF reads Hugging Face GPT-2 weights. Conv1D weights are stored [in][out]
// and are transposed to [out][in]. Heads are C/64 (every GPT-2 size) unless
// the metadata says n_head.
func loadHF(entries map[string]stEntry, meta map[string]string, body []byte) (*Model, *tokenizer.BPE, error) {
	strip := map[string]stEntry{}
	for name, e := range entries {
		strip[strings.TrimPrefix(name, "transformer.")] = e
	}
	wte, ok := strip["wte.weight"]
	if !ok {
		names := make([]string, 0, len(entries))
		for n := range entries {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) > 5 {
			names = names[:5]
		}
		return nil, nil, fmt.Errorf("%w: no wte.weight tensor: not a GPT-2 checkpoint (tensors: %s ...)", ErrCorrupt, strings.Join(names, ", "))
	}
	wpe, ok := strip["wpe.weight"]
	if !ok || len(wte.Shape) != 2 || len(wpe.Shape) != 2 {
		return nil, nil, fmt.Errorf("%w: wte.weight or wpe.weight missing or not 2-D", ErrCorrupt)
	}
	layers := 0
	for name := range strip {
		if m := hfLayer.FindStringSubmatch(name); m != nil {
			n, _ := strconv.Atoi(m[1])
			layers = max(layers, n+1)
		}
	}
	C := wte.Shape[1]
	heads := C / 64
	if s, ok := meta["n_head"]; ok {
		h, err := strconv.Atoi(s)
		if err != nil || h <= 0 {
			return nil, nil, fmt.Errorf("%w: metadata n_head %q is not a positive integer", ErrCorrupt, s)
		}
		heads = h
	}
	c := Config{MaxSeq: wpe.Shape[0], Vocab: wte.Shape[0], PaddedVocab: wte.Shape[0], Layers: layers, Heads: max(heads, 1), Channels: C}
	if err := c.Validate(); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	get := func(name string, shape []int) ([]float32, error) {
		e, ok := strip[name]
		if !ok {
			return nil, fmt.Errorf("%w: tensor %s is missing", ErrCorrupt, name)
		}
		return tensorData(name, e, shape, body)
	}
	// Every tensor is checked against the file before the parameters are
	// allocated: a header that lies costs nothing.
	need := [][2]any{{"wte.weight", []int{c.Vocab, C}}, {"wpe.weight", []int{c.MaxSeq, C}}, {"ln_f.weight", []int{C}}, {"ln_f.bias", []int{C}}}
	for l := 0; l < layers; l++ {
		pre := fmt.Sprintf("h.%d.", l)
		need = append(need, [2]any{pre + "ln_1.weight", []int{C}}, [2]any{pre + "ln_1.bias", []int{C}},
			[2]any{pre + "attn.c_attn.weight", []int{C, 3 * C}}, [2]any{pre + "attn.c_attn.bias", []int{3 * C}},
			[2]any{pre + "attn.c_proj.weight", []int{C, C}}, [2]any{pre + "attn.c_proj.bias", []int{C}},
			[2]any{pre + "ln_2.weight", []int{C}}, [2]any{pre + "ln_2.bias", []int{C}},
			[2]any{pre + "mlp.c_fc.weight", []int{C, 4 * C}}, [2]any{pre + "mlp.c_fc.bias", []int{4 * C}},
			[2]any{pre + "mlp.c_proj.weight", []int{4 * C, C}}, [2]any{pre + "mlp.c_proj.bias", []int{C}})
	}
	for _, n := range need {
		if _, err := get(n[0].(string), n[1].([]int)); err != nil {
			return nil, nil, err
		}
	}
	flat := make([]float32, c.NumParams())
	p, _ := c.bind(flat)
	copyTo := func(dst []float32, name string, shape []int) error {
		src, err := get(name, shape)
		if err != nil {
			return err
		}
		copy(dst, src)
		return nil
	}
	transposeTo := func(dst []float32, name string, in, out int) error {
		src, err := get(name, []int{in, out})
		if err != nil {
			return err
		}
		for i := 0; i < in; i++ {
			for o := 0; o < out; o++ {
				dst[o*in+i] = src[i*out+o]
			}
		}
		return nil
	}
	errs := []error{copyTo(p.WTE, "wte.weight", []int{c.Vocab, C}), copyTo(p.WPE, "wpe.weight", []int{c.MaxSeq, C}),
		copyTo(p.LNFW, "ln_f.weight", []int{C}), copyTo(p.LNFB, "ln_f.bias", []int{C})}
	for l := 0; l < layers; l++ {
		pre := fmt.Sprintf("h.%d.", l)
		errs = append(errs,
			copyTo(p.LN1W[l*C:(l+1)*C], pre+"ln_1.weight", []int{C}), copyTo(p.LN1B[l*C:(l+1)*C], pre+"ln_1.bias", []int{C}),
			transposeTo(p.QKVW[l*3*C*C:(l+1)*3*C*C], pre+"attn.c_attn.weight", C, 3*C), copyTo(p.QKVB[l*3*C:(l+1)*3*C], pre+"attn.c_attn.bias", []int{3 * C}),
			transposeTo(p.AttProjW[l*C*C:(l+1)*C*C], pre+"attn.c_proj.weight", C, C), copyTo(p.AttProjB[l*C:(l+1)*C], pre+"attn.c_proj.bias", []int{C}),
			copyTo(p.LN2W[l*C:(l+1)*C], pre+"ln_2.weight", []int{C}), copyTo(p.LN2B[l*C:(l+1)*C], pre+"ln_2.bias", []int{C}),
			transposeTo(p.FCW[l*4*C*C:(l+1)*4*C*C], pre+"mlp.c_fc.weight", C, 4*C), copyTo(p.FCB[l*4*C:(l+1)*4*C], pre+"mlp.c_fc.bias", []int{4 * C}),
			transposeTo(p.FCProjW[l*4*C*C:(l+1)*4*C*C], pre+"mlp.c_proj.weight", 4*C, C), copyTo(p.FCProjB[l*C:(l+1)*C], pre+"mlp.c_proj.bias", []int{C}))
	}
	for _, e := range errs {
		if e != nil {
			return nil, nil, e
		}
	}
	m, err := newModel(c, flat)
	return m, nil, err
}
