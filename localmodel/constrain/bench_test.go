package constrain

import (
	"encoding/json"
	"testing"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// BenchmarkMask measures the token mask over GPT-2's 50,257-token
// vocabulary: "cold" computes a new automaton state's mask (then cached),
// "warm" is the cached lookup a decode step pays once a state was seen.
//
//	go test ./localmodel/constrain -run '^$' -bench Mask -benchtime 200x
func BenchmarkMask(b *testing.B) {
	tok, err := tokenizer.GPT2()
	if err != nil {
		b.Fatal(err)
	}
	eot, _ := tok.SpecialID(tokenizer.EndOfText)
	ix := NewIndex(tok, eot)
	schema := `{"type":"object","properties":{"name":{"type":"string","maxLength":20},"population":{"type":"integer"},"capital":{"type":"string"},"coastal":{"type":"boolean"}},"required":["name","population","capital","coastal"],"additionalProperties":false}`
	cases := []struct {
		name string
		c    *llm.Constraint
		text string // walked to get distinct states
	}{
		{"regex-number", &llm.Constraint{Kind: llm.ConstraintRegex, Regex: `[0-9]{1,12}(\.[0-9]{1,6})?`}, "39538223.123456"},
		{"json-schema", &llm.Constraint{Kind: llm.ConstraintJSONSchema, Schema: json.RawMessage(schema)}, `{"name":"California","population":39538223,"capital":"Sacramento","coastal":true}`},
	}
	for _, c := range cases {
		prog, err := Compile(c.c)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/cold", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m := NewMatcher(prog, ix, eot)
				st := m.Advance(m.Start(), []byte(c.text[:i%len(c.text)]))
				m.Mask(st)
			}
		})
		b.Run(c.name+"/warm", func(b *testing.B) {
			m := NewMatcher(prog, ix, eot)
			st := m.Advance(m.Start(), []byte(c.text[:len(c.text)/2]))
			m.Mask(st)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.Mask(st)
			}
		})
	}
}
