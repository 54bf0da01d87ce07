package constrain

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
)

// byteVocab is a vocabulary of the 256 single bytes plus some words.
type byteVocab [][]byte

func (v byteVocab) VocabSize() int        { return len(v) }
func (v byteVocab) Token(id int32) []byte { return v[id] }

func newByteVocab(words ...string) byteVocab {
	v := byteVocab{}
	for b := 0; b < 256; b++ {
		v = append(v, []byte{byte(b)})
	}
	for _, w := range words {
		v = append(v, []byte(w))
	}
	return append(v, []byte("<eot>"))
}

func accepts(t *testing.T, p *Program, s string) bool {
	t.Helper()
	v := newByteVocab()
	m := NewMatcher(p, NewIndex(v, int32(len(v)-1)), int32(len(v)-1))
	st := m.Advance(m.Start(), []byte(s))
	return st >= 0 && m.Accepting(st)
}

func TestUTF8Sequences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200; i++ {
		lo := rune(r.IntN(0x11000))
		hi := lo + rune(r.IntN(3000))
		seqs := utf8Sequences(lo, hi)
		match := func(c rune) bool {
			var b [4]byte
			n := utf8.EncodeRune(b[:], c)
			for _, s := range seqs {
				if len(s) != n {
					continue
				}
				ok := true
				for j := 0; j < n; j++ {
					if b[j] < s[j][0] || b[j] > s[j][1] {
						ok = false
						break
					}
				}
				if ok {
					return true
				}
			}
			return false
		}
		for k := 0; k < 50; k++ {
			c := rune(r.IntN(0x11000))
			if c >= 0xD800 && c <= 0xDFFF {
				continue
			}
			assert.Equal(t, c >= lo && c <= hi, match(c), "range %x-%x rune %x", lo, hi, c)
		}
	}
}

func TestRegexAgreesWithGoRegexp(t *testing.T) {
	patterns := []string{`[0-9]+(\.[0-9]+)?`, `(yes|no|maybe)`, `a{2,4}b*`, `[^a-c]x?`, `(?i)hello`, `\d{3}-\d{4}`, `héllo|wörld`, `[α-ω]+`, `.+`, `(ab)*c`, ``}
	r := rand.New(rand.NewPCG(1, 1))
	alphabet := []string{"a", "b", "c", "x", "0", "1", "9", ".", "-", "yes", "no", "hello", "HeLLo", "é", "ö", "α", "ω", "\n", "h", "llo", "wörld"}
	for _, pat := range patterns {
		p, err := CompileRegex(pat)
		if pat == "" {
			require.NoError(t, err)
		}
		require.NoError(t, err, pat)
		re := regexp.MustCompile(`^(?:` + pat + `)$`)
		for i := 0; i < 400; i++ {
			s := ""
			for j := r.IntN(6); j > 0; j-- {
				s += alphabet[r.IntN(len(alphabet))]
			}
			assert.Equal(t, re.MatchString(s), accepts(t, p, s), "pattern %q on %q", pat, s)
		}
	}
	_, err := CompileRegex(`\bword\b`)
	assert.ErrorIs(t, err, ErrUnsupported)
	_, err = CompileRegex(`a{2000}`)
	assert.Error(t, err)
	_, err = CompileRegex(`(`)
	assert.ErrorContains(t, err, "missing closing )")
}

func TestSchema(t *testing.T) {
	schema := `{"type":"object","properties":{"name":{"type":"string","maxLength":5},"age":{"type":"integer"},"tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":2},"ok":{"type":"boolean"},"pet":{"type":"object","properties":{"kind":{"const":"cat"}},"required":["kind"],"additionalProperties":false}},"required":["name","age"],"additionalProperties":false}`
	p, err := Compile(&llm.Constraint{Kind: llm.ConstraintJSONSchema, Schema: json.RawMessage(schema)})
	require.NoError(t, err)
	good := `{"name":"Ada","age":36,"tags":["a","b"],"ok":true,"pet":{"kind":"cat"}}`
	assert.True(t, accepts(t, p, good))
	require.NoError(t, llm.ValidateJSON(json.RawMessage(schema), []byte(good)))
	for _, bad := range []string{
		`{"age":36,"name":"Ada","tags":[],"ok":true,"pet":{"kind":"cat"}}`, // order is the schema's
		`{"name":"Adaaaa","age":36,"tags":[],"ok":true,"pet":{"kind":"cat"}}`,
		`{"name":"Ada","age":3.5,"tags":[],"ok":true,"pet":{"kind":"cat"}}`,
		`{"name":"Ada","age":36,"tags":["a","b","a"],"ok":true,"pet":{"kind":"cat"}}`,
		`{"name": "Ada","age":36,"tags":[],"ok":true,"pet":{"kind":"cat"}}`, // minimal whitespace
	} {
		assert.False(t, accepts(t, p, bad), bad)
	}
	for _, s := range []string{`{"type":"object","properties":{"a":{"anyOf":[]}}}`, `{"type":"object","additionalProperties":true}`, `{"type":"array"}`, `{"properties":{}}`} {
		_, err := Compile(llm.JSONSchema("x", json.RawMessage(s)))
		assert.ErrorIs(t, err, ErrUnsupported, s)
	}
}

func TestSpansTemplatesChoicesAndForcing(t *testing.T) {
	src := "Observation: California had a population of 39,538,223 in 2020."
	span, err := Compile(&llm.Constraint{Kind: llm.ConstraintSpan, Source: src})
	require.NoError(t, err)
	for s, want := range map[string]bool{"California": true, "population of 39,538,223": true, "alifornia": false, "Californi": false, "Texas": false, "": false} {
		assert.Equal(t, want, accepts(t, span, s), "%q", s)
	}
	nums, err := Compile(&llm.Constraint{Kind: llm.ConstraintSpan, Source: src, NumbersOnly: true})
	require.NoError(t, err)
	for s, want := range map[string]bool{"39,538,223": true, "39538223": true, "2020": true, "39,538,224": false, "3953": false} {
		assert.Equal(t, want, accepts(t, nums, s), "%q", s)
	}

	tmpl := &llm.Constraint{Kind: llm.ConstraintTemplate, Segments: []llm.Segment{
		{Text: "Action: "},
		{Hole: &llm.Constraint{Kind: llm.ConstraintChoice, Choices: []string{"search", "calculator"}}},
		{Text: "["},
		{Hole: &llm.Constraint{Kind: llm.ConstraintSpan, Source: src, NumbersOnly: true}},
		{Text: "]"},
	}}
	p, err := Compile(tmpl)
	require.NoError(t, err)
	assert.True(t, accepts(t, p, "Action: calculator[39538223]"))
	assert.False(t, accepts(t, p, "Action: calculator[39538224]"))

	v := newByteVocab("Action", ": ", "calc", "search", "[39", "Action: x")
	eot := int32(len(v) - 1)
	m := NewMatcher(p, NewIndex(v, eot), eot)
	assert.Equal(t, "Action: ", string(m.Forced(m.Start())), "fixed text is forced")
	st := m.Advance(m.Start(), []byte("Action: "))
	mask := m.Mask(st)
	allowed := map[string]bool{}
	for id := int32(0); int(id) < len(v); id++ {
		if Allowed(mask, id) {
			allowed[string(v[id])] = true
		}
	}
	assert.Equal(t, map[string]bool{"c": true, "s": true, "calc": true, "search": true}, allowed)
	st = m.Advance(st, []byte("search["))
	assert.Empty(t, m.Forced(st))
	st = m.Advance(st, []byte("2020"))
	assert.Equal(t, "]", string(m.Forced(st)))
	st = m.Advance(st, []byte("]"))
	assert.True(t, m.Accepting(st))
	assert.True(t, Allowed(m.Mask(st), eot), "end-of-text once complete")
	assert.False(t, Allowed(m.Mask(m.Start()), eot), "never before")

	words, err := Compile(&llm.Constraint{Kind: llm.ConstraintSpan, Source: src, Words: true})
	require.NoError(t, err)
	for s, want := range map[string]bool{"population of California": true, "California (39,538,223)": true, "Observation": true,
		"Californiahad": false, "population of Texas": false, "39,538,224": false, "had  a": true, "": false,
		"2020,2020": false, "39,538,223 / 2020": true, "2020.": true, "39.538": false,
		"39,538,223. Observation": true, "39,538,223.2020": false, "2020. 2020": true} {
		assert.Equal(t, want, accepts(t, words, s), "words %q", s)
	}
	// Proper names are whole items: "Rhode" alone and "New Alaska" are out;
	// "Island" stays a word because it also occurs on its own.
	names, err := Compile(&llm.Constraint{Kind: llm.ConstraintSpan, Words: true,
		Source: "Question: Is Rhode Island's population larger than New York's or Alaska's? Island life is good.\nObservation: New Carrow had a population of 12."})
	require.NoError(t, err)
	for s, want := range map[string]bool{"larger than Rhode Island": true, "larger than Rhode": false, "Rhode Island's population": true,
		"New York": true, "New Alaska": false, "York": false, "Alaska's population": true, "Island": true, "Rhode Island Island": true,
		"New Carrow": true, "Carrow": false} {
		assert.Equal(t, want, accepts(t, names, s), "names %q", s)
	}
	dc, err := Compile(&llm.Constraint{Kind: llm.ConstraintSpan, Words: true,
		Source: "Question: Which place does this question name: District of Columbia? Name the population of Utah."})
	require.NoError(t, err)
	for s, want := range map[string]bool{"District of Columbia": true, "District": false, "Columbia": false,
		"population of Utah": true, "of Utah": true, "District of Utah": false} {
		assert.Equal(t, want, accepts(t, dc, s), "of-names %q", s)
	}
	any, err := Compile(&llm.Constraint{Kind: llm.ConstraintAnyOf, AnyOf: []*llm.Constraint{{Kind: llm.ConstraintChoice, Choices: []string{"a"}}, {Kind: llm.ConstraintRegex, Regex: `b+`}}})
	require.NoError(t, err)
	assert.True(t, accepts(t, any, "a"))
	assert.True(t, accepts(t, any, "bbb"))
	assert.False(t, accepts(t, any, "ab"))

	_, err = Compile(&llm.Constraint{Kind: llm.ConstraintChoice})
	assert.Error(t, err)
	_, err = Compile(&llm.Constraint{Kind: llm.ConstraintSpan, Source: "no digits", NumbersOnly: true})
	assert.ErrorContains(t, err, "no numbers")
	_, err = Compile(&llm.Constraint{Kind: llm.ConstraintGrammar})
	assert.ErrorIs(t, err, ErrUnsupported)
}
