// Package natural is a development set of questions about US states written
// the way people type them (any case, typos, postal codes, filler, no
// question mark), with questions the bundled agent cannot answer mixed in,
// and the judge that scores an agent's answers: right, an honest refusal,
// or confidently wrong (a wrong number or place stated as the answer).
//
// Its generator is separate from the training one (react/synth): its
// wordings were written for this set and never feed training, so the set
// measures how the agent copes with questions it was not trained on.
package natural

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"

	"github.com/ponder-go/ponder/tools/corpus"
)

// Kinds of question.
const (
	Lookup     = "lookup"
	Ratio      = "ratio"
	Sum        = "sum"
	Difference = "difference"
	Density    = "density"
	Comparison = "comparison"
	Capital    = "capital"
	OutOfScope = "out_of_scope"
)

// Question is one question with what a right answer holds.
type Question struct {
	Q    string `json:"q"`
	Kind string `json:"kind"`
	// Value is the number a right answer states (numeric kinds).
	Value float64 `json:"value,omitempty"`
	// Name is the place a right answer names first (comparison, capital).
	Name string `json:"name,omitempty"`
	// Other is the place a comparison's answer must not name first.
	Other string `json:"other,omitempty"`
}

// InScope reports whether the bundled agent is meant to answer q.
func (q Question) InScope() bool { return q.Kind != OutOfScope }

type attr struct {
	word  []string // how people name it
	value func(corpus.State) float64
}

var (
	population = attr{[]string{"population", "number of people", "number of residents"}, func(s corpus.State) float64 { return float64(s.Population) }}
	totalArea  = attr{[]string{"area", "total area", "size in square miles"}, func(s corpus.State) float64 { return s.TotalArea }}
	landArea   = attr{[]string{"land area"}, func(s corpus.State) float64 { return s.LandArea }}
)

// Generate draws n questions (about a fifth out of scope) from a seeded
// generator.
func Generate(seed uint64, n int) ([]Question, error) {
	states, err := corpus.States()
	if err != nil {
		return nil, err
	}
	g := &gen{r: rand.New(rand.NewPCG(seed, 77)), states: states}
	var out []Question
	for len(out) < n {
		var q Question
		switch k := g.r.IntN(20); {
		case k < 4:
			q = g.lookup()
		case k < 7:
			q = g.ratio()
		case k < 9:
			q = g.sum()
		case k < 11:
			q = g.difference()
		case k < 13:
			q = g.density()
		case k < 14:
			q = g.comparison()
		case k < 15:
			q = g.capital()
		default:
			q = g.outOfScope()
		}
		q.Q = g.noise(q.Q)
		out = append(out, q)
	}
	return out, nil
}

type gen struct {
	r      *rand.Rand
	states []corpus.State
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) two() (corpus.State, corpus.State) {
	a := g.states[g.r.IntN(len(g.states))]
	b := g.states[g.r.IntN(len(g.states))]
	for b.Name == a.Name {
		b = g.states[g.r.IntN(len(g.states))]
	}
	return a, b
}

// name is how the question names a state: usually its name, sometimes
// its postal code or a small typo.
func (g *gen) name(s corpus.State) string {
	switch k := g.r.IntN(12); {
	case k == 0:
		return s.Abbr
	case k == 1 && len(s.Name) >= 7 && !strings.Contains(s.Name, " "):
		i := 2 + g.r.IntN(len(s.Name)-4)
		if g.r.IntN(2) == 0 {
			return s.Name[:i] + s.Name[i+1:] // a dropped letter
		}
		return s.Name[:i] + s.Name[i+1:i+2] + s.Name[i:i+1] + s.Name[i+2:] // swapped letters
	}
	return s.Name
}

func (g *gen) attr() attr {
	switch g.r.IntN(5) {
	case 0, 1, 2:
		return population
	case 3:
		return totalArea
	}
	return landArea
}

func (g *gen) lookup() Question {
	s := g.states[g.r.IntN(len(g.states))]
	n := g.name(s)
	a := g.attr()
	var q string
	switch a.word[0] {
	case "population":
		q = g.pick("how many people live in %s?", "What's the population of %s?", "%s population", "population of %s in 2020?",
			"how many residents does %s have", "Tell me %s's population.", "what is %s's population")
	case "area":
		q = g.pick("How big is %s in square miles?", "what's the total area of %s", "area of %s?", "How large is %s?", "%s total area in sq mi")
	default:
		q = g.pick("what is the land area of %s?", "How much land does %s have?", "%s land area", "land area of %s in square miles")
	}
	return Question{Q: fmt.Sprintf(q, n), Kind: Lookup, Value: a.value(s)}
}

func (g *gen) ratio() Question {
	a, b := g.two()
	at := g.attr()
	if at.word[0] == "land area" {
		at = totalArea
	}
	if at.value(a) < at.value(b) {
		a, b = b, a // "how many times more" asks about the larger one
	}
	var q string
	if at.word[0] == "population" {
		q = g.pick("How many times more people live in %s than in %s?", "how many times bigger is %s's population than %s's",
			"ratio of the population of %s to %s?", "%s vs %s population, how many times?", "By what factor does %s's population exceed %s's?")
	} else {
		q = g.pick("How many times bigger is %s than %s by area?", "how many times larger is the area of %s than %s",
			"area ratio of %s to %s?")
	}
	return Question{Q: fmt.Sprintf(q, g.name(a), g.name(b)), Kind: Ratio, Value: at.value(a) / at.value(b)}
}

func (g *gen) sum() Question {
	a, b := g.two()
	at := g.attr()
	if at.word[0] == "land area" {
		at = totalArea
	}
	var q string
	if at.word[0] == "population" {
		q = g.pick("How many people live in %s and %s combined?", "combined population of %s and %s", "What's the total population of %s plus %s?",
			"%s and %s together have how many people?")
	} else {
		q = g.pick("What is the combined area of %s and %s?", "total area of %s and %s together", "how many square miles are %s and %s together?")
	}
	return Question{Q: fmt.Sprintf(q, g.name(a), g.name(b)), Kind: Sum, Value: at.value(a) + at.value(b)}
}

func (g *gen) difference() Question {
	a, b := g.two()
	at := g.attr()
	if at.word[0] == "land area" {
		at = totalArea
	}
	if at.value(a) < at.value(b) {
		a, b = b, a
	}
	var q string
	if at.word[0] == "population" {
		q = g.pick("How many more people live in %s than in %s?", "how much bigger is %s's population than %s's",
			"difference in population between %s and %s?", "%s has how many more residents than %s")
	} else {
		q = g.pick("How much larger is %s than %s in square miles?", "difference in area between %s and %s", "how many more square miles does %s have than %s?")
	}
	return Question{Q: fmt.Sprintf(q, g.name(a), g.name(b)), Kind: Difference, Value: at.value(a) - at.value(b)}
}

func (g *gen) density() Question {
	s := g.states[g.r.IntN(len(g.states))]
	q := g.pick("What is the population density of %s?", "how many people per square mile live in %s", "%s population density",
		"How densely populated is %s?", "people per sq mile in %s?")
	return Question{Q: fmt.Sprintf(q, g.name(s)), Kind: Density, Value: s.Density()}
}

func (g *gen) comparison() Question {
	a, b := g.two()
	if g.r.IntN(2) == 0 {
		q := g.pick("Which has more people, %s or %s?", "which is more populous: %s or %s", "Does %s or %s have a bigger population?")
		win, lose := a, b
		if b.Population > a.Population {
			win, lose = b, a
		}
		return Question{Q: fmt.Sprintf(q, g.name(a), g.name(b)), Kind: Comparison, Name: win.Name, Other: lose.Name}
	}
	q := g.pick("Which is bigger, %s or %s?", "which state is larger by area, %s or %s", "Is %s or %s bigger?")
	win, lose := a, b
	if b.TotalArea > a.TotalArea {
		win, lose = b, a
	}
	return Question{Q: fmt.Sprintf(q, g.name(a), g.name(b)), Kind: Comparison, Name: win.Name, Other: lose.Name}
}

func (g *gen) capital() Question {
	s := g.states[g.r.IntN(len(g.states))]
	q := g.pick("What is the capital of %s?", "%s capital city", "what's %s's capital", "Which city is the capital of %s?")
	return Question{Q: fmt.Sprintf(q, g.name(s)), Kind: Capital, Name: s.Capital}
}

// outOfScope is a question the bundled agent cannot answer: other facts,
// other years, places that are not states, bare arithmetic, chit-chat and
// nonsense.
func (g *gen) outOfScope() Question {
	s := g.states[g.r.IntN(len(g.states))]
	q := g.pick(
		"Who is the governor of %[1]s?", "What is the GDP of %[1]s?", "what's the weather like in %[1]s today",
		"What was the population of %[1]s in 1990?", "How many people will live in %[1]s in 2050?", "What is the state bird of %[1]s?",
		"What is the population of Paris?", "how big is Canada", "What's the population of Tokyo?", "How many people live in Puerto Rico?",
		"What is 17 times 23?", "what's the square root of 144", "hi there!", "Tell me a joke.", "asdf qwerty zxcv",
		"How tall is Mount Everest?", "Who won the 2018 World Cup?", "Which team won the Super Bowl in %[1]s?",
		"What is the median income in %[1]s?", "When did %[1]s become a state?", "What's the tallest building in %[1]s?",
		"how many counties does %[1]s have", "what language is spoken in Brazil", "What is the population of the moon?",
		"translate hello into French", "What is the unemployment rate in %[1]s?", "How many people live on Mars?",
	)
	if strings.Contains(q, "%[1]s") {
		q = fmt.Sprintf(q, g.name(s))
	}
	return Question{Q: q, Kind: OutOfScope}
}

// noise writes the question as people type: lower case, no question mark,
// filler in front.
func (g *gen) noise(q string) string {
	if g.r.IntN(4) == 0 && !postalCode.MatchString(q) {
		q = strings.ToLower(q) // (nobody writes "or" for Oregon)
	}
	if g.r.IntN(4) == 0 {
		q = strings.TrimRight(q, "?")
	}
	if g.r.IntN(6) == 0 {
		f := g.pick("I'm curious, ", "Quick question: ", "hey, ", "Can you tell me ", "Do you know ", "please: ")
		q = f + strings.ToLower(q[:1]) + q[1:]
	}
	return q
}

//go:embed testdata/dev.jsonl
var devJSONL string

// DevSeed and DevSize made testdata/dev.jsonl (TestDevSetIsTheGenerators
// keeps the file and the generator in step).
const DevSeed, DevSize = 2026, 240

// DevSet is the development set: testdata/dev.jsonl, 240 questions
// (Generate(DevSeed, DevSize)).
func DevSet() ([]Question, error) {
	var out []Question
	for i, line := range strings.Split(strings.TrimSpace(devJSONL), "\n") {
		var q Question
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("natural: dev.jsonl line %d: %w", i+1, err)
		}
		out = append(out, q)
	}
	return out, nil
}

// Verdict is how an answer is scored.
type Verdict int

const (
	Wrong          Verdict = iota // wrong without stating a wrong figure or place (an unrelated reply)
	Right                         // in scope and right
	Refused                       // said it could not answer
	ConfidentWrong                // stated a wrong number or place as the answer
)

func (v Verdict) String() string {
	return [...]string{"wrong", "right", "refused", "confident-wrong"}[v]
}

var postalCode = regexp.MustCompile(`\b[A-Z]{2}\b`)

var numberRE = regexp.MustCompile(`-?\d[\d,]*(?:\.\d+)?`)

// Numbers are the numbers an answer states.
func Numbers(s string) []float64 {
	var out []float64
	for _, m := range numberRE.FindAllString(s, -1) {
		if v, err := strconv.ParseFloat(strings.ReplaceAll(m, ",", ""), 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// close reports x as a statement of v: within half a unit of the last
// decimal an answer would give (0.05 for a ratio or density with one
// decimal) or 0.01% of v.
func closeTo(x, v float64) bool {
	return math.Abs(x-v) <= math.Max(0.051, 1e-4*math.Abs(v))
}

// IsRefusal reports an answer that says it cannot answer.
func IsRefusal(answer string) bool {
	a := strings.ToLower(answer)
	for _, p := range []string{"could not answer", "cannot answer", "can't answer", "i don't know", "unable to answer", "no results"} {
		if strings.Contains(a, p) {
			return true
		}
	}
	return false
}

// Judge scores answer to q.
func Judge(q Question, answer string) Verdict {
	if IsRefusal(answer) || strings.TrimSpace(answer) == "" {
		return Refused
	}
	nums := Numbers(answer)
	switch q.Kind {
	case OutOfScope:
		return ConfidentWrong // any answer but a refusal claims to know
	case Capital:
		if firstName(answer, q.Name) == q.Name {
			return Right
		}
		return ConfidentWrong // names some other place as the capital
	case Comparison:
		first := firstName(answer, q.Name, q.Other)
		switch first {
		case q.Name:
			return Right
		case "":
			if len(nums) > 0 {
				return ConfidentWrong
			}
			return Wrong
		}
		return ConfidentWrong
	}
	for _, x := range nums {
		if closeTo(x, q.Value) {
			return Right
		}
	}
	if len(nums) > 0 {
		return ConfidentWrong
	}
	return Wrong
}

// firstName returns which of the names the answer mentions first ("" for
// neither).
func firstName(answer string, names ...string) string {
	a := strings.ToLower(answer)
	best, at := "", len(a)+1
	for _, n := range names {
		if n == "" {
			continue
		}
		if i := strings.Index(a, strings.ToLower(n)); i >= 0 && i < at {
			best, at = n, i
		}
	}
	return best
}
