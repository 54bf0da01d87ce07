package chain_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/chain"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/trace"
)

func TestTemplateMissingVariableNamed(t *testing.T) {
	tpl := chain.MustTemplate("greet", "Hello {{.name}}, you are {{.age}}.")
	out, err := tpl.Render(map[string]any{"name": "Ada", "age": 36})
	require.NoError(t, err)
	assert.Equal(t, "Hello Ada, you are 36.", out)
	_, err = tpl.Render(map[string]any{"name": "Ada"})
	require.Error(t, err)
	assert.Equal(t, `chain: template "greet": missing variable "age"`, err.Error())
	_, err = chain.NewTemplate("bad", "{{.x")
	assert.ErrorContains(t, err, `template "bad"`)
}

func TestFewShotTrimsToBudget(t *testing.T) {
	f := &chain.FewShot{
		Prefix:   "Answer the question.",
		Example:  chain.MustTemplate("ex", "Q: {{.q}}\nA: {{.a}}"),
		Examples: []map[string]any{{"q": "1+1", "a": "2"}, {"q": "2+2", "a": "4"}, {"q": "3+3", "a": "6"}},
		Suffix:   chain.MustTemplate("q", "Q: {{.question}}\nA:"),
	}
	full, err := f.Render(map[string]any{"question": "4+4"})
	require.NoError(t, err)
	assert.Equal(t, "Answer the question.\n\nQ: 1+1\nA: 2\n\nQ: 2+2\nA: 4\n\nQ: 3+3\nA: 6\n\nQ: 4+4\nA:", full)

	f.MaxChars = len(full) - 1
	trimmed, err := f.Render(map[string]any{"question": "4+4"})
	require.NoError(t, err)
	assert.NotContains(t, trimmed, "3+3")
	assert.Contains(t, trimmed, "2+2")
	assert.LessOrEqual(t, len(trimmed), f.MaxChars)

	f.MaxChars = 0
	f.MaxTokens = 10 // prefix (3 words) + one example (4) + query (3) = 10
	trimmed, err = f.Render(map[string]any{"question": "4+4"})
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(trimmed, "A: "+"2")+strings.Count(trimmed, "A: 4"))

	f.MaxTokens = 2
	_, err = f.Render(map[string]any{"question": "4+4"})
	assert.ErrorContains(t, err, "even without examples")
}

func TestSequentialParallelMap(t *testing.T) {
	upper := chain.Func(func(ctx context.Context, in chain.Values) (chain.Values, error) {
		return chain.Values{"upper": strings.ToUpper(in.String("text"))}, nil
	})
	exclaim := chain.Func(func(ctx context.Context, in chain.Values) (chain.Values, error) {
		return chain.Values{"out": in.String("upper") + "!"}, nil
	})
	out, err := chain.Sequential(upper, exclaim).Run(context.Background(), chain.Values{"text": "hi"})
	require.NoError(t, err)
	assert.Equal(t, "HI!", out["out"])
	assert.Equal(t, "hi", out["text"])

	var running, peak atomic.Int32
	slow := func(key string) chain.Chain {
		return chain.Func(func(ctx context.Context, in chain.Values) (chain.Values, error) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			running.Add(-1)
			return chain.Values{key: true}, nil
		})
	}
	out, err = chain.Parallel(2, slow("a"), slow("b"), slow("c"), slow("d")).Run(context.Background(), nil)
	require.NoError(t, err)
	assert.Len(t, out, 4)
	assert.EqualValues(t, 2, peak.Load(), "concurrency bounded at 2")

	sq := chain.Func(func(ctx context.Context, in chain.Values) (chain.Values, error) {
		return chain.Values{"y": in.String("prefix") + in.String("x")}, nil
	})
	out, err = chain.Map(3, "xs", "x", "y", sq).Run(context.Background(), chain.Values{"xs": []string{"a", "b", "c"}, "prefix": "p-"})
	require.NoError(t, err)
	assert.Equal(t, []any{"p-a", "p-b", "p-c"}, out["y"])

	_, err = chain.Map(3, "xs", "x", "y", sq).Run(context.Background(), chain.Values{})
	assert.ErrorContains(t, err, `missing input "xs"`)

	boom := errors.New("boom")
	failing := chain.Func(func(ctx context.Context, in chain.Values) (chain.Values, error) { return nil, boom })
	_, err = chain.Parallel(0, slow("a"), failing).Run(context.Background(), nil)
	assert.ErrorIs(t, err, boom)
}

func TestPromptStepTraced(t *testing.T) {
	m := llmtest.Replies("Paris")
	p := &chain.Prompt{Model: m, Template: chain.MustTemplate("capital", "Capital of {{.country}}?"), OutputKey: "capital"}
	tr := trace.New()
	ctx := trace.WithTracer(context.Background(), tr)
	out, err := chain.Step("lookup", p).Run(ctx, chain.Values{"country": "France"})
	require.NoError(t, err)
	assert.Equal(t, "Paris", out["capital"])
	spans := tr.Spans()
	require.Len(t, spans, 3)
	assert.Equal(t, "lookup", spans[0].Name)
	assert.Equal(t, "capital", spans[1].Name)
	assert.Equal(t, spans[0].ID, spans[1].ParentID)
	assert.Equal(t, trace.KindModel, spans[2].Kind)
	assert.Equal(t, spans[1].ID, spans[2].ParentID)
	assert.Equal(t, "user: Capital of France?", m.Calls()[0].Prompt())
}

func TestCoTOnePassAndTwoPass(t *testing.T) {
	m := llmtest.Replies("Roger has 5 balls. 2 cans of 3 is 6. 5 + 6 = 11. The answer is 11.")
	c := &chain.CoT{Model: m}
	r, err := c.Run(context.Background(), "Roger has 5 tennis balls...")
	require.NoError(t, err)
	assert.Equal(t, "11", r.Answer)
	assert.Contains(t, r.Reasoning, "5 + 6 = 11")
	assert.True(t, strings.HasSuffix(m.Calls()[0].Prompt(), "A: "+chain.StepByStep))

	m2 := llmtest.Replies("He starts with 5 and buys 6 more, 11 in all.", " 11.")
	c2 := &chain.CoT{Model: m2, TwoPass: true, Trigger: chain.StepByStepSure, Extract: chain.Number,
		Examples: []chain.CoTExample{{Question: "2+2?", Reasoning: "Two and two make four.", Answer: "4"}}}
	r, err = c2.Run(context.Background(), "Roger?")
	require.NoError(t, err)
	assert.Equal(t, "11", r.Answer)
	calls := m2.Calls()
	require.Len(t, calls, 2)
	assert.Contains(t, calls[0].Prompt(), "Q: 2+2?\nA: Two and two make four. The answer is 4.")
	assert.True(t, strings.HasSuffix(calls[1].Prompt(), chain.AnswerTrigger))
	assert.Contains(t, calls[1].Prompt(), "11 in all")
}

func TestSelfConsistencyVotes(t *testing.T) {
	answers := []string{"53.9", "53.90", "54", "53.9x", "about 53.9 times", "12", "53.9", "no idea", "54", "53.91"}
	m := &llmtest.Scripted{Rules: []llmtest.Rule{{Contains: "", ReplyFunc: func(r llm.Request, i int) string {
		return "Reasoning " + fmt.Sprint(i) + ". The answer is " + answers[i]
	}}}}
	sc := &chain.SelfConsistency{CoT: &chain.CoT{Model: m}, N: 10}
	v, err := sc.Run(context.Background(), "ratio?")
	require.NoError(t, err)
	assert.Equal(t, "53.9", v.Answer)
	assert.Equal(t, 5, v.Counts["53.9"], "53.9, 53.90, 53.9x, about 53.9 times and 53.9 agree")
	assert.Equal(t, 2, v.Counts["54"])
	assert.InDelta(t, 0.5, v.Agreement, 1e-9)
	assert.Len(t, v.Samples, 10)
	assert.NotEmpty(t, v.Samples[7].Err, "'no idea' abstains")
	assert.Equal(t, []string{"53.9", "54", "12", "53.91"}, v.Ranked())
	calls := m.Calls()
	require.Len(t, calls, 1, "one request for all samples when the model returns N choices")
	assert.Equal(t, 10, calls[0].N)
	require.NotNil(t, calls[0].Temperature)
	assert.Equal(t, 0.7, *calls[0].Temperature)

	none := &chain.SelfConsistency{CoT: &chain.CoT{Model: llmtest.Replies("I cannot say.")}, N: 1}
	_, err = none.Run(context.Background(), "?")
	assert.ErrorIs(t, err, chain.ErrNoAnswer)
}

func TestReflectionRetriesWithCritique(t *testing.T) {
	m := &llmtest.Scripted{Rules: []llmtest.Rule{
		{Contains: "Output to check:\n<<<\nroses are red\n", Reply: "NO\nIt does not mention the sea."},
		{Contains: "Output to check:", Reply: "YES\nIt is about the sea."},
		{Contains: "A reviewer found these problems:\nIt does not mention the sea.", Reply: "the sea is blue"},
		{Contains: "Assignment:", Reply: "roses are red"},
	}}
	r := &chain.Reflection{Model: m, Assignment: "Write a line about the sea."}
	res, err := r.Run(context.Background(), "a poem")
	require.NoError(t, err)
	assert.True(t, res.OK)
	assert.Equal(t, 2, res.Rounds)
	assert.Equal(t, "the sea is blue", res.Output)
	require.Len(t, res.Critiques, 2)
	assert.False(t, res.Critiques[0].OK)
	assert.Equal(t, "It does not mention the sea.", res.Critiques[0].Reasons)

	// A critic that never approves stops at MaxRounds.
	never := &chain.Reflection{Model: llmtest.Replies("a", "b"), MaxRounds: 2, Assignment: "x",
		Critic: func(ctx context.Context, out string) (bool, string, error) { return false, "bad " + out, nil }}
	res, err = never.Run(context.Background(), "in")
	require.NoError(t, err)
	assert.False(t, res.OK)
	assert.Equal(t, 2, res.Rounds)
	assert.Equal(t, "bad b", res.Critiques[1].Reasons)
}

func TestExtractors(t *testing.T) {
	num := []struct{ in, want string }{
		{"So 39,538,223 / 733,391 = 53.91. The answer is 53.91.", "53.91"},
		{"Final Answer: about 53.9 times", "53.9"},
		{"it costs $1,200.50 in total", "1200.5"},
		{"first 3 then 4 then -7", "-7"},
		{"Therefore, 18", "18"},
	}
	for _, c := range num {
		got, err := chain.Number(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
	_, err := chain.Number("no digits here")
	assert.ErrorIs(t, err, chain.ErrNoAnswer)

	ch := chain.Choice("ABCDE")
	for in, want := range map[string]string{"The answer is (C).": "C", "I think...\nB. because": "B", "between (A) and (D), (D)": "D", "answer: e": ""} {
		got, err := ch(in)
		if want == "" {
			assert.Error(t, err, in)
			continue
		}
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}

	j, err := chain.JSON("Here you go:\n```json\n{ \"a\": [1, 2] }\n```")
	require.NoError(t, err)
	assert.Equal(t, `{"a":[1,2]}`, j)
	_, err = chain.JSON("{not json")
	assert.Error(t, err)

	a, err := chain.Answer("Paris is big.\nThe answer is Paris.\n")
	require.NoError(t, err)
	assert.Equal(t, "Paris", a)
	a, err = chain.Answer("just this line")
	require.NoError(t, err)
	assert.Equal(t, "just this line", a)

	l, err := chain.FinalLine("a\nb\n\n  c  \n\n")
	require.NoError(t, err)
	assert.Equal(t, "c", l)

	for in, want := range map[string]string{"53.90": "53.9", "53.9x": "53.9", " Paris. ": "paris", "**Yes**": "yes", "1,000": "1000"} {
		assert.Equal(t, want, chain.NormalizeAnswer(in), in)
	}
}

func TestCleanLine(t *testing.T) {
	for in, want := range map[string]string{
		"1. 13 - 9 = 4 (left: 4 4 10)": "13 - 9 = 4 (left: 4 4 10)",
		"  2) foo":                     "foo",
		"(3) bar":                      "bar",
		"- **bold** item":              "bold item",
		"* `code`":                     "code",
		"Step 4: 4 + 9 = 13":           "4 + 9 = 13",
		"4 + 9 = 13 (left: 10 13 13)":  "4 + 9 = 13 (left: 10 13 13)",
		"13.5 - 1 = 12.5":              "13.5 - 1 = 12.5",
		"-4 + 9 = 5":                   "-4 + 9 = 5",
		"> quoted":                     "quoted",
		"## Heading":                   "Heading",
		"1. - nested":                  "nested",
	} {
		assert.Equal(t, want, chain.CleanLine(in), in)
	}
}
