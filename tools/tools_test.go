package tools_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/tools"
	"github.com/ponder-go/ponder/tools/corpus"
	"github.com/ponder-go/ponder/trace"
)

func TestCalculator(t *testing.T) {
	c := &tools.Calculator{}
	ok := map[string]string{
		"39,538,223 / 733,391":    "53.911519",
		"7/2":                     "3.5",
		"2**10":                   "1024",
		"2^10":                    "1024",
		"(1 + 2) * 3 - 4":         "5",
		"10 % 3":                  "1",
		"15%":                     "0.15",
		"15% of 80":               "12",
		"50% * 10":                "5",
		"sqrt(16) + pow(2, 3)":    "12",
		"log(1000)":               "3",
		"log(8, 2)":               "3",
		"ln(e)":                   "1",
		"exp(0)":                  "1",
		"abs(-3)":                 "3",
		"round(53.911519, 1)":     "53.9",
		"round(2.5)":              "3",
		"floor(-1.5)":             "-2",
		"ceil(1.2)":               "2",
		"min(3, 1, 2)":            "1",
		"max(1, 234)":             "234",
		"pi":                      "3.141593",
		"9223372036854775807 + 1": "9223372036854775808",
		"9007199254740993":        "9007199254740992", // the nearest float64, in full (was 9.0072e+15)
		"1e15 + 1":                "1000000000000001",
		"1e30":                    "1e+30",
		"-0 * 5":                  "0", // not -0
		"-1e-9 * 0":               "0",
		"round(1.005, 2)":         "1.01", // as on paper (was 1)
		"round(-1.005, 2)":        "-1.01",
		"round(1234.5, -2)":       "1200",
		"round(0.125, 2)":         "0.13",
		"1,234.5 * 2":             "2469",
		"3 × 4 ÷ 2":               "6",
		"-(-3)":                   "3",
		"0.1 + 0.2":               "0.3",
	}
	for in, want := range ok {
		got, err := c.Call(context.Background(), in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	bad := map[string]string{
		"1/0":        "division by zero in '1/0'",
		"5 % 0":      "modulo by zero",
		"0 ** -1":    "division by zero",
		"1 // 2":     "'//' is not an operator",
		`"a" + "b"`:  "strings are not allowed",
		"'a'":        "strings are not allowed",
		"foo(1)":     `unknown function "foo"`,
		"x + 1":      `unknown name "x"`,
		"(1 + 2":     "syntax error",
		"1 == 1":     `operator "==" is not arithmetic`,
		"[1, 2]":     "array expressions are not allowed",
		"sqrt(-1)":   "square root of negative number -1",
		"log(0)":     "logarithm of non-positive number 0",
		"1e308 * 10": "result overflows",
		"":           "empty expression",
		"pow(2)":     "pow takes 2 argument(s), got 1",
		"true":       "not allowed",
		"1 + " + strings.Repeat("1 + ", 200) + "1": "longer than 500",
	}
	for in, want := range bad {
		_, err := c.Call(context.Background(), in)
		require.Error(t, err, in)
		assert.ErrorIs(t, err, tools.ErrCalc, in)
		assert.Contains(t, err.Error(), want, in)
	}
	small := &tools.Calculator{MaxNodes: 10}
	_, err := small.Call(context.Background(), "1+1+1+1+1+1+1+1+1+1+1+1")
	assert.Error(t, err)
}

func FuzzCalculator(f *testing.F) {
	for _, s := range []string{"39,538,223 / 733,391", "1/0", "2**1000", "((((1))))", "15% of 80", "min(1, 2)", `"x"*9`, "1//2", "pi*e", "round(1.5, 2)"} {
		f.Add(s)
	}
	c := &tools.Calculator{}
	f.Fuzz(func(t *testing.T, in string) {
		v, err := c.Eval(in)
		if err != nil {
			if !errors.Is(err, tools.ErrCalc) {
				t.Fatalf("error %v does not wrap ErrCalc", err)
			}
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%q gave %v without an error", in, v)
		}
	})
}

func TestSearchFindsCensusPassages(t *testing.T) {
	s, err := tools.NewStateSearch()
	require.NoError(t, err)
	out, err := s.Call(context.Background(), "population of California")
	require.NoError(t, err)
	first, _, _ := strings.Cut(out, "\n")
	assert.Contains(t, first, "39,538,223")

	states, err := corpus.States()
	require.NoError(t, err)
	require.Len(t, states, 51)
	// Every state's population and area are found first by a plain query.
	for _, st := range states {
		out, err := s.Call(context.Background(), "population of "+st.Name)
		require.NoError(t, err)
		first, _, _ := strings.Cut(out, "\n")
		assert.Contains(t, first, st.Name+" had a population of "+corpus.Group(float64(st.Population), 0), st.Name)
		out, err = s.Call(context.Background(), "area of "+st.Name)
		require.NoError(t, err)
		first, _, _ = strings.Cut(out, "\n")
		assert.Contains(t, first, st.Name+" has a total area of", st.Name)
	}
	_, err = s.Call(context.Background(), "   ")
	assert.ErrorContains(t, err, "empty query")
	out, err = s.Call(context.Background(), "zzzqqq")
	require.NoError(t, err)
	assert.Equal(t, `No results for "zzzqqq".`, out)
}

func TestCorpusTotals(t *testing.T) {
	states, err := corpus.States()
	require.NoError(t, err)
	total := 0
	for _, s := range states {
		total += s.Population
	}
	assert.Equal(t, 331449281, total, "the 2020 Census resident population of the 50 states and DC")
	assert.Equal(t, "39,538,223", corpus.Group(39538223, 0))
	assert.Equal(t, "155,856.5", corpus.Group(155856.50, 2))
	assert.Equal(t, "-1,000", corpus.Group(-1000, 0))
	assert.Equal(t, "999", corpus.Group(999, 0))
}

func TestRegistry(t *testing.T) {
	echo := tools.New("echo", "Repeats its input.", func(ctx context.Context, in string) (string, error) { return in, nil })
	boom := tools.New("boom", "Panics.", func(ctx context.Context, in string) (string, error) { panic("kaboom") })
	slow := tools.New("slow", "Waits.", func(ctx context.Context, in string) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	r, err := tools.NewRegistry(echo, boom, slow, &tools.Calculator{})
	require.NoError(t, err)
	r.Timeout = 50 * time.Millisecond
	_, err = tools.NewRegistry(echo, tools.New("ECHO", "dup", nil))
	assert.ErrorContains(t, err, "duplicate")
	_, err = tools.NewRegistry(tools.New("two words", "", nil))
	assert.ErrorContains(t, err, "invalid tool name")

	tr := trace.New()
	ctx := trace.WithTracer(context.Background(), tr)
	out, err := r.Call(ctx, " Echo ", "hi")
	require.NoError(t, err)
	assert.Equal(t, "hi", out)
	assert.Equal(t, "hi", tr.Spans()[0].Attrs["input"])

	_, err = r.Call(ctx, "nope", "x")
	assert.ErrorIs(t, err, tools.ErrUnknownTool)
	assert.Contains(t, err.Error(), "available tools are boom, calculator, echo, slow")

	_, err = r.Call(ctx, "boom", "x")
	assert.ErrorContains(t, err, "tool boom panicked: kaboom")

	_, err = r.Call(ctx, "slow", "x")
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	assert.Equal(t, "- echo[input]: Repeats its input.\n", strings.SplitAfter(r.Describe(), "\n")[0])
	specs := r.Specs()
	require.Len(t, specs, 4)
	assert.JSONEq(t, `{"type":"object","properties":{"expression":{"type":"string","description":"an arithmetic expression such as (12 + 3) * 4 / 5"}},"required":["expression"],"additionalProperties":false}`, string(specs[3].Parameters))

	assert.Equal(t, "1+1", tools.InputFromArgs(`{"expression":"1+1"}`))
	assert.Equal(t, "x", tools.InputFromArgs(`"x"`))
	assert.Equal(t, `{"a":1,"b":2}`, tools.InputFromArgs(`{"a":1,"b":2}`))
	assert.Equal(t, "plain", tools.InputFromArgs(`plain`))

	b, err := tools.Builtin("calculator")
	require.NoError(t, err)
	assert.Equal(t, []string{"calculator"}, b.Names())
	_, err = tools.Builtin("web")
	assert.ErrorContains(t, err, `no built-in tool "web"`)
}

func TestWikiSearchOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		q := r.URL.Query()
		if q.Get("action") != "query" || q.Get("list") != "search" {
			http.Error(w, "bad", 400)
			return
		}
		if q.Get("srsearch") == "fail" {
			w.Write([]byte(`{"error":{"code":"badquery","info":"nope"}}`))
			return
		}
		w.Write([]byte(`{"query":{"search":[{"pageid":5407,"title":"California","snippet":"California had a <span class=\"searchmatch\">population</span> of 39,538,223 &amp; more"},{"pageid":624,"title":"Alaska","snippet":"x"}]}}`))
	}))
	defer srv.Close()
	s := &tools.Search{Backend: &tools.WikiSearch{Endpoint: srv.URL + "/w/api.php"}, K: 1}
	out, err := s.Call(context.Background(), "population of California")
	require.NoError(t, err)
	assert.Equal(t, "[1] California: California had a population of 39,538,223 & more", out)
	_, err = s.Call(context.Background(), "fail")
	assert.ErrorContains(t, err, "badquery: nope")
	down := &tools.Search{Backend: &tools.WikiSearch{Endpoint: srv.URL + "/down"}}
	_, err = down.Call(context.Background(), "x")
	assert.ErrorContains(t, err, "HTTP 503: maintenance")
}
