package localmodel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/constrain"
	"github.com/ponder-go/ponder/localmodel/gpt2"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// tinyModelCtx is a random two-layer GPT-2 with GPT-2's tokenizer and a
// context of ctx tokens, its embeddings scaled so greedy text varies.
func tinyModelCtx(t testing.TB, ctx int) *localmodel.Model {
	t.Helper()
	net, err := gpt2.NewRandom(gpt2.Config{MaxSeq: ctx, Vocab: 50257, PaddedVocab: 50304, Layers: 2, Heads: 2, Channels: 16}, 7)
	require.NoError(t, err)
	for i := range net.Params.WTE {
		net.Params.WTE[i] *= 20
	}
	tok, err := tokenizer.GPT2()
	require.NoError(t, err)
	eot, _ := tok.SpecialID(tokenizer.EndOfText)
	return &localmodel.Model{Net: net, Tok: tok, Stops: []int32{eot}, Arch: "gpt2"}
}

// randomRegex builds a bounded regex (so a random model must finish).
func randomRegex(r *rand.Rand, depth int) string {
	atoms := []string{`[a-z]{1,4}`, `\d{1,3}`, `(?:yes|no)`, `[A-Z][a-z]{0,3}`, `é`, ` `, `-`, `\.`, `"x"`, `日本`}
	if depth <= 0 || r.IntN(3) == 0 {
		return atoms[r.IntN(len(atoms))]
	}
	switch r.IntN(3) {
	case 0:
		return randomRegex(r, depth-1) + randomRegex(r, depth-1)
	case 1:
		return "(?:" + randomRegex(r, depth-1) + "|" + randomRegex(r, depth-1) + ")"
	}
	return "(?:" + randomRegex(r, depth-1) + "){1,2}"
}

func randomSchema(r *rand.Rand, depth int) map[string]any {
	if depth <= 0 {
		switch r.IntN(5) {
		case 0:
			return map[string]any{"type": "string", "maxLength": r.IntN(6)}
		case 1:
			return map[string]any{"type": "integer"}
		case 2:
			return map[string]any{"type": "boolean"}
		case 3:
			return map[string]any{"enum": []any{"red", "green", 7}}
		}
		return map[string]any{"type": "null"}
	}
	if r.IntN(3) == 0 {
		return map[string]any{"type": "array", "items": randomSchema(r, depth-1), "maxItems": 1 + r.IntN(2)}
	}
	props := map[string]any{}
	var req []string
	for i := 0; i < 1+r.IntN(3); i++ {
		name := fmt.Sprintf("k%d", i)
		props[name] = randomSchema(r, depth-1)
		req = append(req, name)
	}
	return map[string]any{"type": "object", "properties": props, "required": req, "additionalProperties": false}
}

// walkMasks replays text through the matcher and checks that no state on
// the way has an empty mask (the constraint is never stuck).
func walkMasks(t *testing.T, mt *constrain.Matcher, text []byte) {
	st := mt.Start()
	for i := 0; i <= len(text); i++ {
		mask := mt.Mask(st)
		any := false
		for _, w := range mask {
			if w != 0 {
				any = true
				break
			}
		}
		require.True(t, any, "empty mask after %q", text[:i])
		if i < len(text) {
			st = mt.Step(st, text[i])
			require.GreaterOrEqual(t, st, int32(0), "dead after %q", text[:i+1])
		}
	}
}

func TestConstrainedGenerationProperty(t *testing.T) {
	m := tinyModelCtx(t, 256)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	eot, _ := m.Tok.SpecialID(tokenizer.EndOfText)
	ix := m.ConstraintIndex()
	n, total, stopped := 12, 0, 0
	if testing.Short() {
		n = 4
	}
	for i := 0; i < n; i++ {
		pattern := randomRegex(r, 3)
		schema, _ := json.Marshal(randomSchema(r, 2))
		for _, c := range []*llm.Constraint{
			{Kind: llm.ConstraintRegex, Regex: pattern},
			{Kind: llm.ConstraintJSONSchema, Schema: schema},
		} {
			prog, err := constrain.Compile(c)
			require.NoError(t, err, constrain.Describe(c))
			mt := constrain.NewMatcher(prog, ix, eot)
			out, _, err := m.Generate(ctx, m.Tok.Encode("Answer:"), localmodel.GenerateOptions{MaxTokens: 200, N: 2, Constraint: mt,
				Sampling: localmodel.Sampling{Temperature: 1, Seed: uint64(i)}})
			require.NoError(t, err)
			for _, s := range out {
				walkMasks(t, mt, []byte(s.Text)) // never dead, never stuck
				total++
				if s.FinishReason != llm.FinishStop {
					// An unbounded part (a JSON integer) can outlast
					// MaxTokens under a random model: then the text must be
					// a live prefix, which walkMasks checked.
					continue
				}
				stopped++
				if c.Kind == llm.ConstraintRegex {
					assert.Regexp(t, regexp.MustCompile(`^(?:`+pattern+`)$`), s.Text)
				} else {
					assert.NoError(t, llm.ValidateJSON(schema, []byte(s.Text)), "%s: %s", schema, s.Text)
				}
			}
		}
	}
	assert.Greater(t, stopped*10, total*7, "most samples complete: %d of %d", stopped, total)
}

func TestConstrainedBackendAndTemplates(t *testing.T) {
	m := tinyModelCtx(t, 256)
	be := &localmodel.Backend{Model: m}
	ctx := context.Background()
	obs := "Observation: California had a population of 39,538,223 and Alaska 733,391."
	tmpl := &llm.Constraint{Kind: llm.ConstraintTemplate, Segments: []llm.Segment{
		{Text: "Action: "},
		{Hole: &llm.Constraint{Kind: llm.ConstraintChoice, Choices: []string{"search", "calculator"}}},
		{Text: "["},
		{Hole: &llm.Constraint{Kind: llm.ConstraintSpan, Source: obs, NumbersOnly: true}},
		{Text: " / "},
		{Hole: &llm.Constraint{Kind: llm.ConstraintSpan, Source: obs, NumbersOnly: true}},
		{Text: "]"},
	}}
	re := regexp.MustCompile(`^Action: (search|calculator)\[(39,538,223|39538223|733,391|733391) / (39,538,223|39538223|733,391|733391)\]$`)
	for seed := int64(0); seed < 4; seed++ {
		resp, err := be.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User(obs)}, Constraint: tmpl, Temperature: llm.Temp(1), Seed: llm.Seed(seed), MaxTokens: 60})
		require.NoError(t, err)
		assert.Regexp(t, re, resp.Text())
		assert.Equal(t, llm.FinishStop, resp.Choices[0].FinishReason)
	}
	resp, err := be.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("Pick")}, Constraint: &llm.Constraint{Kind: llm.ConstraintChoice, Choices: []string{"alpha", "beta", "gamma delta"}}})
	require.NoError(t, err)
	assert.Contains(t, []string{"alpha", "beta", "gamma delta"}, resp.Text())
	_, err = be.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("x")}, Constraint: &llm.Constraint{Kind: llm.ConstraintJSONSchema, Schema: json.RawMessage(`{"type":"object","additionalProperties":true}`)}})
	assert.ErrorIs(t, err, llm.ErrUnsupported)
	_, err = be.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("x")}, Constraint: &llm.Constraint{Kind: llm.ConstraintRegex, Regex: "("}})
	assert.ErrorIs(t, err, llm.ErrBadRequest)
	assert.True(t, strings.Contains(err.Error(), "missing closing )"), err.Error())
}

// Hardening #6: with a strict schema and a max_tokens that used to end
// mid-value, the output is steered to finish and always parses; a budget no
// output can fit is refused up front.
func TestConstrainedOutputFinishesWithinBudget(t *testing.T) {
	m := tinyModelCtx(t, 256)
	b := &localmodel.Backend{Model: m, Name: "tiny"}
	schema := json.RawMessage(`{"type":"object","properties":{"population":{"type":"integer"},"state":{"type":"string"},"coastal":{"type":"boolean"}},"required":["population","state","coastal"],"additionalProperties":false}`)
	minimal := len(`{"population":0,"state":"","coastal":true}`)
	for _, budget := range []int{minimal, minimal + 3, 60} {
		for seed := int64(0); seed < 8; seed++ {
			resp, err := b.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("Describe a state")},
				MaxTokens: budget, Temperature: llm.Temp(1.5), Seed: llm.Seed(seed), Constraint: llm.JSONSchema("s", schema)})
			require.NoError(t, err)
			out := resp.Choices[0].Text
			assert.NoError(t, llm.ValidateJSON(schema, []byte(out)), "budget %d seed %d: %q", budget, seed, out)
		}
	}
	_, err := b.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}, MaxTokens: 1,
		Constraint: llm.JSONSchema("s", json.RawMessage(`{"const":"`+strings.Repeat("long text ", 30)+`"}`))})
	assert.ErrorIs(t, err, llm.ErrBadRequest)
	assert.ErrorContains(t, err, "max_tokens 1 cannot hold it")
}

// Hardening #2: a pattern whose automaton is huge is refused (400) instead
// of growing the server by gigabytes, and the cache of compiled constraints
// stays within its memory budget.
func TestConstraintCachesAreBounded(t *testing.T) {
	m := tinyModelCtx(t, 256)
	b := &localmodel.Backend{Model: m, Name: "tiny", MatcherCache: 8 << 20}
	for i := 0; i < 8; i++ {
		s := fmt.Sprintf(`{"type":"string","pattern":"r%d(\\p{L}|\\p{N}|\\p{S}){1000}"}`, i)
		_, err := b.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}, MaxTokens: 250,
			Constraint: llm.JSONSchema("s", json.RawMessage(s))})
		require.Error(t, err)
		assert.ErrorIs(t, err, llm.ErrBadRequest, "%v", err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 12; i++ {
		s := fmt.Sprintf(`{"type":"string","pattern":"q%d[a-z0-9 ]{0,120}"}`, i)
		_, err := b.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("x")}, MaxTokens: 20,
			Temperature: llm.Temp(1), Constraint: llm.JSONSchema("s", json.RawMessage(s))})
		require.NoError(t, err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("12 distinct constraints: heap grew %d KB (cache budget 8 MB)", grown>>10)
	assert.Less(t, grown, int64(16<<20))
}

// Sampling under a constraint draws from the whole distribution first and
// falls back to the mask when the draw is not allowed; the tokens it
// picks must still follow the masked distribution p(t)/P(allowed). The
// first token of 1,500 one-token samples is compared with it.
func TestCheckFirstSamplingKeepsTheMaskedDistribution(t *testing.T) {
	m := tinyModelCtx(t, 64)
	eot, _ := m.Tok.SpecialID(tokenizer.EndOfText)
	prompt := m.Tok.Encode("Answer:")
	prog, err := constrain.Compile(&llm.Constraint{Kind: llm.ConstraintRegex, Regex: `[a-z]{1,8}`})
	require.NoError(t, err)
	mt := constrain.NewMatcher(prog, m.ConstraintIndex(), eot)
	logits, err := m.Net.Forward(m.Net.NewState(), prompt, false)
	require.NoError(t, err)
	// The masked distribution at temperature 1.
	mask := mt.Mask(mt.Start())
	want := map[int32]float64{}
	maxv, total, inMask := float64(logits[0]), 0.0, 0.0
	for _, v := range logits[:m.Net.VocabSize()] {
		maxv = max(maxv, float64(v))
	}
	for id, v := range logits[:m.Net.VocabSize()] {
		p := math.Exp(float64(v) - maxv)
		total += p
		if constrain.Allowed(mask, int32(id)) {
			want[int32(id)] = p
			inMask += p
		}
	}
	for id := range want {
		want[id] /= inMask
	}
	t.Logf("the constraint allows %.1f%% of the unmasked probability", 100*inMask/total)
	require.Less(t, inMask/total, 0.9, "the test needs draws the mask rejects")
	n := 1500
	if testing.Short() || raceEnabled {
		n = 400
	}
	out, _, err := m.Generate(context.Background(), prompt, localmodel.GenerateOptions{MaxTokens: 1, N: n, Constraint: mt,
		Sampling: localmodel.Sampling{Temperature: 1, Seed: 3}})
	require.NoError(t, err)
	got := map[int32]float64{}
	for _, s := range out {
		require.Len(t, s.Tokens, 1)
		require.Contains(t, want, s.Tokens[0], "a token the mask does not allow")
		got[s.Tokens[0]] += 1.0 / float64(n)
	}
	// Each token with a fair share: its frequency within 4.5 standard
	// deviations; all the rare ones together likewise.
	var rare, rareWant float64
	for id, p := range want {
		if p < 0.01 {
			rare, rareWant = rare+got[id], rareWant+p
			continue
		}
		sd := math.Sqrt(p * (1 - p) / float64(n))
		assert.InDelta(t, p, got[id], 4.5*sd, "token %d %q", id, m.Tok.Token(id))
	}
	assert.InDelta(t, rareWant, rare, 4.5*math.Sqrt(rareWant*(1-rareWant)/float64(n))+1e-9)
}
