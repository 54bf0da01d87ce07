package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGPT2TestVectors(t *testing.T) {
	tok, err := GPT2()
	require.NoError(t, err)
	require.Equal(t, 50257, tok.VocabSize())
	data, err := os.ReadFile("gpt2bpe/test-vectors.json")
	require.NoError(t, err)
	var cases []struct {
		Text string  `json:"text"`
		IDs  []int32 `json:"ids"`
	}
	require.NoError(t, json.Unmarshal(data, &cases))
	require.Len(t, cases, 21)
	for _, c := range cases {
		got := tok.Encode(c.Text)
		if len(c.IDs) == 0 {
			assert.Empty(t, got, "%q", c.Text)
		} else {
			assert.Equal(t, c.IDs, got, "%q", c.Text)
		}
		back, err := tok.Decode(got)
		require.NoError(t, err)
		assert.Equal(t, c.Text, string(back))
	}
}

func TestSpecialTokensOnlyWhereAsked(t *testing.T) {
	tok, err := GPT2()
	require.NoError(t, err)
	eot, ok := tok.SpecialID(EndOfText)
	require.True(t, ok)
	assert.EqualValues(t, 50256, eot)
	plain := tok.Encode("a<|endoftext|>b")
	assert.NotContains(t, plain, eot)
	special := tok.EncodeSpecial("a<|endoftext|>b")
	assert.Equal(t, []int32{64, 50256, 65}, special)
	back, _ := tok.Decode(special)
	assert.Equal(t, "a<|endoftext|>b", string(back))
	_, err = tok.Decode([]int32{1, 99999})
	assert.ErrorContains(t, err, "token 99999 at position 1 is outside the vocabulary of 50257")
}

func TestPretokenizerEdgeCases(t *testing.T) {
	tok, err := GPT2()
	require.NoError(t, err)
	cases := map[string][]string{
		"Hello world": {"Hello", " world"},
		"  hi":        {" ", " hi"},
		"a  \nb":      {"a", "  ", "\n", "b"},
		"x\n\n":       {"x", "\n\n"},
		"it's 2020!!": {"it", "'s", " 2020", "!!"},
		"''s":         {"''", "s"},
		"\xff\xfeok":  {"\xff\xfe", "ok"},
		"tab\tafter":  {"tab", "\t", "after"},
		"日本語 テキスト":    {"日本語", " テキスト"},
	}
	for in, want := range cases {
		assert.Equal(t, want, tok.pretokenize(in), "%q", in)
	}
}

func FuzzTokenizerRoundTrip(f *testing.F) {
	tok, err := GPT2()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "Hello", "  \n\t", "\xff\x00\xc3", "日本語", "it's", "1234567", "Thought: x\nAction: search[y]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ids := tok.Encode(string(b))
		back, err := tok.Decode(ids)
		if err != nil {
			t.Fatal(err)
		}
		if string(back) != string(b) {
			t.Fatalf("round trip: %q -> %v -> %q", b, ids, back)
		}
		if len(b) > 0 && len(ids) == 0 {
			t.Fatal("non-empty input gave no tokens")
		}
	})
}

func TestTrainBPESplitsDigitsAndRoundTrips(t *testing.T) {
	corpus := []string{
		"Thought: I need the population of Norland.\nAction: search[population of Norland]\nObservation: Norland had a population of 1,234,567.",
		"Thought: I need the population of South Vale.\nAction: search[population of South Vale]\nObservation: South Vale had a population of 987,654.",
		"Action: calculator[1,234,567 / 987,654]\nObservation: 1.249999\nFinal Answer: about 1.2 times",
	}
	tok, err := TrainBPE(corpus, 400, true, EndOfText)
	require.NoError(t, err)
	assert.LessOrEqual(t, tok.VocabSize(), 400)
	eot, ok := tok.SpecialID(EndOfText)
	require.True(t, ok)
	assert.EqualValues(t, tok.VocabSize()-1, eot)
	ids := tok.Encode("population of 1,234,567")
	var digits int
	for _, id := range ids {
		b := tok.Token(id)
		for _, c := range b {
			if c >= '0' && c <= '9' {
				digits++
				assert.Len(t, b, 1, "a digit is a token of its own, got %q", b)
			}
		}
	}
	assert.Equal(t, 7, digits)
	assert.Less(t, len(ids), len("population of 1,234,567"), "merges shorten the text")

	path := filepath.Join(t.TempDir(), "tok.json")
	require.NoError(t, Save(tok, path))
	back, err := Load(path)
	require.NoError(t, err)
	for _, s := range append(corpus, "unseen Zebra 42 \xff") {
		assert.Equal(t, tok.Encode(s), back.Encode(s))
		d, err := back.Decode(back.Encode(s))
		require.NoError(t, err)
		assert.Equal(t, s, string(d))
	}
	assert.True(t, back.SplitDigits)

	_, err = Parse([]byte(`{"version":1,"type":"bpe","merges":[["a","zz"]]}`))
	assert.ErrorContains(t, err, "unknown token")
	_, err = TrainBPE(corpus, 10, true)
	assert.Error(t, err)
	assert.True(t, utf8.ValidString(strings.Join(corpus, "")))
}
