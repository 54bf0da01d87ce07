// Package synth generates training data for a small ReAct agent model: a
// seeded world of invented places with census-style facts, searchable with
// the same tools.Search the agent uses, and questions (ratios, sums,
// differences, densities, lookups, and some that need no tool) answered by
// traces in exactly the agent's text format, with observations produced by
// running the real tools.
//
// Questions come in two voices. NewTask words them as the agent's reader
// (Normalizer) hands them to the model. NewUserTask words them as people
// type them: many wordings a kind, filler ("quick question:"), lower case,
// no question mark, a place's code or a typo that search still resolves,
// comparisons ("which has more people, A or B"), and questions the agent
// must refuse (other facts, other years, places it does not know,
// arithmetic, chit-chat), whose traces say so.
//
// Place names look like real ones, in many shapes ("Norvale", "Port Elsen",
// "New Carrow", "North Tessa", "Marlo Island"); the 50 US states and DC never
// appear: they are the held-out test.
package synth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/retrieval"
	"github.com/ponder-go/ponder/tools"
	"github.com/ponder-go/ponder/tools/corpus"
)

var (
	// Onsets include bare vowels and rarer clusters: a model that never saw
	// a name start with " I", " O" or " U" read "Iowa" as the pronoun "I"
	// and failed on Iowa, Idaho, Illinois, Indiana, Ohio and Utah. The
	// repeated "m", "n" and "t" keep those common onsets more frequent
	// (the shipped model's worlds were drawn from this exact list).
	onsets = []string{"b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "r", "s", "st", "t", "tr", "v", "w", "z",
		"al", "ar", "el", "or", "a", "e", "i", "o", "u", "id", "il", "in", "io", "ok", "om", "ut", "ur", "j", "y", "qu", "sh", "th", "wh",
		"ph", "cl", "fl", "pl", "sc", "sp", "kl", "wy", "m", "n", "t"}
	vowels  = []string{"a", "e", "i", "o", "u", "ia", "ea", "ou", "ai"}
	codas   = []string{"", "", "n", "r", "s", "l", "nd", "rk", "th", "m", "x"}
	endings = []string{"ia", "a", "o", "ey", "on", "ville", "land", "more", "wick", "dale", "field", "ton", "ford", "shire", "ana", "ota", "ado", "ina", "ippi", "ucky", "aska"}
	prefix  = []string{"New", "North", "South", "East", "West", "Port", "Fort", "Lake", "Saint", "San", "Santa", "Upper", "Lower"}
	suffix  = []string{"Island", "Islands", "Valley", "Bay", "Coast", "Highlands", "Plains"}
	regions = [][2]string{{"West", "Pacific"}, {"West", "Mountain"}, {"South", "South Atlantic"}, {"South", "West South Central"}, {"Midwest", "East North Central"}, {"Northeast", "New England"}}
)

func word(r *rand.Rand) string {
	var b strings.Builder
	for i := 0; i < 1+r.IntN(2); i++ {
		b.WriteString(onsets[r.IntN(len(onsets))])
		b.WriteString(vowels[r.IntN(len(vowels))])
		b.WriteString(codas[r.IntN(len(codas))])
	}
	if r.IntN(2) == 0 {
		b.WriteString(endings[r.IntN(len(endings))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// Name invents a place name of one of several shapes.
func Name(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0, 1, 2:
		return word(r)
	case 3, 4:
		return prefix[r.IntN(len(prefix))] + " " + word(r)
	case 5:
		return word(r) + " " + suffix[r.IntN(len(suffix))]
	case 6:
		return word(r) + " " + word(r)
	}
	return prefix[r.IntN(len(prefix))] + " " + word(r) + " " + suffix[r.IntN(len(suffix))]
}

// queryWords are the words of the traces' search queries besides names.
var queryWords = []string{"population", "total", "area", "land", "capital", "of"}

// World is a set of invented places and a search tool over their passages.
type World struct {
	Places []corpus.State
	byName map[string]corpus.State
	Tools  *tools.Registry
	places *tools.Places     // what the search recognises
	codes  map[string]string // place -> its code, where no other place shares it
}

// NewWorld invents n places (never a real state's name) from seed. The
// search tool shows one passage per search (K=1), as the local agent does.
func NewWorld(seed uint64, n int) (*World, error) {
	real, err := corpus.States()
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}    // names in use (lower case)
	prefixes := map[string]bool{} // their whole-word prefixes
	bare := map[string]bool{}     // words that may start a name but not be one
	for _, p := range prefix {
		bare[strings.ToLower(p)] = true
	}
	topic := map[string]bool{"area": true, "population": true, "land": true, "water": true, "capital": true, "census": true,
		"climate": true, "health": true, "economy": true, "education": true, "total": true, "miles": true, "square": true}
	clash := func(name string) bool {
		for _, w := range strings.Fields(name) {
			// Every word must survive retrieval's tokenizer (no stopwords
			// like "For") and not be a topic word of the passages.
			if toks := retrieval.Tokenize(w); len(toks) != 1 || topic[toks[0]] {
				return true
			}
		}
		name = strings.ToLower(name)
		if taken[name] || prefixes[name] || bare[name] {
			return true
		}
		// Search recognises names with small typos: none may pass for a
		// word of the queries ("populatin"), and none may hold a word
		// search reads as asking for a figure ("West Mi": "mi" asks for
		// an area, as in "sq mi").
		for _, w := range queryWords {
			if tools.EditDistance(name, w, 2) <= 2 {
				return true
			}
		}
		for _, w := range strings.Fields(name) {
			if tools.AsksForFigure(w) {
				return true
			}
		}
		f := strings.Fields(name)
		for i := 1; i < len(f); i++ {
			if taken[strings.Join(f[:i], " ")] {
				return true
			}
		}
		return false
	}
	add := func(name string) {
		name = strings.ToLower(name)
		taken[name] = true
		f := strings.Fields(name)
		for i := 1; i < len(f); i++ {
			prefixes[strings.Join(f[:i], " ")] = true
		}
	}
	for _, s := range real {
		add(s.Name)
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	w := &World{byName: map[string]corpus.State{}}
	var docs []retrieval.Document
	for len(w.Places) < n {
		// No name may be a whole-word prefix of another ("San" and
		// "San Was"): a search for one would find the other.
		name := Name(r)
		if clash(name) {
			continue
		}
		add(name)
		reg := regions[r.IntN(len(regions))]
		land := math.Round(math.Exp(r.Float64()*6+7)*100) / 100 // ~1,100 to ~440,000 sq mi
		water := math.Round(land*r.Float64()*0.15*100) / 100
		pop := int(math.Exp(r.Float64()*5.5 + 12.5)) // ~270,000 to ~66 million
		s := corpus.State{
			Name: name, Abbr: strings.ToUpper(name[:1] + string(name[len(name)-1])), Capital: word(r),
			Region: reg[0], Division: reg[1], Population: pop, CapitalPopulation: pop / (5 + r.IntN(60)),
			LandArea: land, WaterArea: water, TotalArea: math.Round((land+water)*100) / 100,
			Admitted:       time.Date(1787+r.IntN(173), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC),
			ElectoralVotes: 3 + r.IntN(50), PeakElevationFt: 300 + r.IntN(20000),
			IncomePerCapita: 28000 + r.IntN(30000), LifeExpectancy: 70 + float64(r.IntN(90))/10,
			HomicideRate: float64(r.IntN(1500)) / 100, BachelorsShare: 0.2 + float64(r.IntN(250))/1000,
			FrostDays: float64(r.IntN(2000)) / 10, Landlocked: r.IntN(2) == 0, Contiguous: r.IntN(10) > 0,
		}
		w.Places = append(w.Places, s)
		w.byName[name] = s
		docs = append(docs, corpus.StatePassages(s)...)
	}
	// Search recognises places as the real states' search does: any case,
	// small typos, codes (those no two places share).
	count := map[string]int{}
	for _, p := range w.Places {
		count[p.Abbr]++
	}
	names, codes := make([]string, len(w.Places)), make([]string, len(w.Places))
	w.codes = map[string]string{}
	for i, p := range w.Places {
		names[i] = p.Name
		if count[p.Abbr] == 1 {
			codes[i], w.codes[p.Name] = p.Abbr, p.Abbr
		}
	}
	w.places = tools.NewPlaces(names, codes)
	w.Tools, err = tools.NewRegistry(&tools.Search{Backend: retrieval.NewBM25(docs...), K: 1, Places: w.places, PlaceKey: "state"}, &tools.Calculator{})
	return w, err
}

// StatesTools is the same toolset over the real states (the held-out test).
func StatesTools() (*tools.Registry, error) {
	s, err := tools.NewStateSearch()
	if err != nil {
		return nil, err
	}
	s.K = 1
	return tools.NewRegistry(s, &tools.Calculator{})
}

// Kinds of questions.
const (
	Ratio      = "ratio"
	Sum        = "sum"
	Difference = "difference"
	Density    = "density"
	Lookup     = "lookup"
	NoTool     = "no-tool"
	Capital    = "capital"
)

// Task is a question with its expected answer text (a number or name that
// a correct final answer contains).
type Task struct {
	Kind, Question, Expect string
	A, B                   string
	Attr                   string // "population" or "area"
	// SayA and SayB are the places as the question types them ("texas",
	// "TX", "Texsa"); empty means as named. The trace searches for them as
	// typed and names them as the passages do.
	SayA, SayB string
	// Ask is what a Compare question asks: "more", "less" or "yes/no".
	Ask string
	// Missing marks a lookup of a place search does not know.
	Missing bool
}

var phrasings = map[string][]string{
	Ratio:      {"How many times larger is %s's %s than %s's?", "What is the ratio of %s's %s to %s's?", "How many times bigger is the %[2]s of %[1]s than that of %[3]s?"},
	Sum:        {"What is the combined %[2]s of %[1]s and %[3]s?", "What is the total %[2]s of %[1]s and %[3]s together?"},
	Difference: {"How much larger is %s's %s than %s's?", "What is the difference between the %[2]s of %[1]s and the %[2]s of %[3]s?"},
}

// NewTask draws a question about places from names.
func NewTask(r *rand.Rand, names []string, facts func(string) corpus.State) Task {
	a := names[r.IntN(len(names))]
	b := names[r.IntN(len(names))]
	for b == a && len(names) > 1 {
		b = names[r.IntN(len(names))]
	}
	attr := "population"
	if r.IntN(3) == 0 {
		attr = "area"
	}
	val := func(n string) float64 { return figure(facts(n), attr) }
	kind := []string{Ratio, Ratio, Ratio, Sum, Difference, Density, Lookup, NoTool, Lookup, Capital}[r.IntN(10)]
	t := Task{Kind: kind, A: a, B: b, Attr: attr}
	switch kind {
	case Ratio, Sum, Difference:
		if kind == Difference && val(a) < val(b) {
			t.A, t.B, a, b = b, a, b, a
		}
		ps := phrasings[kind]
		t.Question = fmt.Sprintf(ps[r.IntN(len(ps))], a, attr, b)
		t.Expect = related(kind, val(a), val(b))
	case Density:
		t.Attr = "density"
		t.Question = fmt.Sprintf("What is the population density of %s?", a)
		s := facts(a)
		t.Expect = round1(float64(s.Population) / s.LandArea)
	case Lookup:
		if r.IntN(3) == 0 {
			t.Attr = "land area"
		}
		t.Question = []string{"What is the %[2]s of %[1]s?", "How large is the %[2]s of %[1]s?"}[r.IntN(2)]
		t.Question = fmt.Sprintf(t.Question, a, t.Attr)
		t.Expect = corpus.Group(figure(facts(a), t.Attr), 2)
	case Capital:
		t.Attr = "capital"
		t.Question = fmt.Sprintf("What is the capital of %s?", a)
		t.Expect = facts(a).Capital
	case NoTool:
		t.Question = fmt.Sprintf("Which place does this question name: %s?", a)
		t.Expect = a
	}
	return t
}

// figure is s's value of attr: "population", "area" (the total) or "land
// area".
func figure(s corpus.State, attr string) float64 {
	switch attr {
	case "area":
		return s.TotalArea
	case "land area":
		return s.LandArea
	}
	return float64(s.Population)
}

// related is the answer's figure for two values related by kind (Ratio,
// Sum or Difference).
func related(kind string, a, b float64) string {
	switch kind {
	case Ratio:
		return round1(a / b)
	case Sum:
		return tools.FormatNumber(a + b)
	}
	return tools.FormatNumber(a - b)
}

// Vocabulary is every word the traces' thoughts, actions and answers use
// besides place names and numbers: a constrained agent running the trained
// model grounds its lines in the question, the observations and this.
const Vocabulary = "I need the population area land of Now I divide add subtract the two numbers with calculator by had has a total " +
	"I now know final answer The question names place itself no tool is needed s about times combined and is larger " +
	"by population density people per square mile miles capital so smaller Yes No cannot this question my tools " +
	"search found such could not answer that"

// AsTrained sets a up to run a model trained on these traces the way it was
// trained: no system prompt (Bare), grounded words drawn from the question,
// the observations and Vocabulary, and at most 120 tokens a step. It leaves
// Constrained, Tools and Model to the caller and returns a.
func AsTrained(a *react.Agent) *react.Agent {
	a.Bare, a.Vocabulary, a.StepTokens = true, Vocabulary, 120
	// The model knows population and area questions: an answer without a
	// number from the observations is not one of them, so say so.
	a.CheckAnswer = react.Grounded
	a.Refusal = Refusal
	// With a search that knows its places (the real states), questions as
	// people type them are read onto the trained wording first.
	n := &Normalizer{}
	a.Finish = n.Finish
	if a.Tools != nil {
		if t, ok := a.Tools.Get("search"); ok {
			if s, ok := t.(*tools.Search); ok && s.Places != nil {
				n.Places = s.Places
				a.Rewrite = n.Rewrite
				a.Decompose = n.Decompose
			}
		}
	}
	return a
}

// Refusal is what the bundled agent says to a question it cannot answer.
const Refusal = "I could not answer that. I answer questions about the population and area of US states (2020 census): lookups, ratios, sums, differences, densities and which of two states is larger, for example \"How many times larger is California's population than Alaska's?\""

// round1 prints x rounded to one decimal: what a right answer says (the
// agent's Finish rounds the digits the model copies).
func round1(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', 1, 64) }

// truncate1 prints x with one decimal, truncated (what the model was
// trained to copy from a calculator result; AsTrained's Finish rounds it).
func truncate1(x float64) string {
	s := tools.FormatNumber(x)
	if i := strings.IndexByte(s, '.'); i >= 0 && i+2 <= len(s) {
		return s[:i+2]
	}
	return s + ".0"
}

// Trace answers a task the way a competent agent does, running the tools,
// and returns the agent's steps.
func Trace(ctx context.Context, reg *tools.Registry, t Task) ([]react.Step, error) {
	var steps []react.Step
	act := func(thought, tool, input string) (string, error) {
		obs, err := reg.Call(ctx, tool, input)
		if err != nil {
			obs = "Error: " + err.Error()
		}
		steps = append(steps, react.Step{Index: len(steps) + 1, Thought: thought, Action: tool, Input: input, Observation: obs})
		return obs, nil
	}
	final := func(thought, answer string) {
		steps = append(steps, react.Step{Index: len(steps) + 1, Thought: thought, Final: true, Answer: answer})
	}
	// The question's places as it types them: what the thoughts say it
	// needs and what the search is asked for.
	sayA, sayB := cmp.Or(t.SayA, t.A), cmp.Or(t.SayB, t.B)
	lookup := func(place, attr, thought string) (string, error) {
		say := map[string]string{t.A: sayA, t.B: sayB}[place]
		obs, err := act(thought, "search", attr+" of "+say)
		if err != nil {
			return "", err
		}
		return extract(obs, place, attr)
	}
	// The thought after each search first restates the figure in the
	// observation's own words ("Utah had a population of 3,271,616."): a
	// verbatim copy, which a small transformer learns early (its attention
	// continues a sequence it has seen), rather than a lookup of "the
	// number after 'population of'" from scratch; later steps then copy the
	// figure from a line that is about nothing else.
	restate := func(place, attr, v string) string {
		switch attr {
		case "area":
			return fmt.Sprintf("%s has a total area of %s square miles.", place, v)
		case "land area":
			return fmt.Sprintf("%s has a land area of %s square miles.", place, v)
		}
		return fmt.Sprintf("%s had a population of %s.", place, v)
	}
	switch {
	case t.Kind == Refuse:
		final(refuseThought, refuseAnswer)
	case t.Missing:
		obs, _ := act(fmt.Sprintf("I need the %s of %s.", t.Attr, sayA), "search", t.Attr+" of "+sayA)
		if !strings.HasPrefix(obs, "No results") {
			return nil, fmt.Errorf("synth: search found %q, which the world should not have: %q", t.A, obs)
		}
		final(notFound, refuseAnswer)
	case t.Kind == NoTool:
		final("The question names the place itself; no tool is needed.", t.A)
	case t.Kind == Lookup:
		v, err := lookup(t.A, t.Attr, fmt.Sprintf("I need the %s of %s.", t.Attr, sayA))
		if err != nil {
			return nil, err
		}
		final(restate(t.A, t.Attr, v)+" I now know the final answer.", lookupAnswer(t.A, t.Attr, v))
	case t.Kind == Capital:
		c, err := lookup(t.A, "capital", fmt.Sprintf("I need the capital of %s.", sayA))
		if err != nil {
			return nil, err
		}
		final(fmt.Sprintf("The capital of %s is %s. I now know the final answer.", t.A, c), fmt.Sprintf("The capital of %s is %s.", t.A, c))
	case t.Kind == Density:
		p, err := lookup(t.A, "population", fmt.Sprintf("I need the population of %s.", sayA))
		if err != nil {
			return nil, err
		}
		land, err := lookup(t.A, "land area", restate(t.A, "population", p)+fmt.Sprintf(" Now I need the land area of %s.", sayA))
		if err != nil {
			return nil, err
		}
		res, _ := act(restate(t.A, "land area", land)+" I divide the population by the land area.", "calculator", p+" / "+land)
		final("I now know the final answer.", fmt.Sprintf("The population density of %s is about %s people per square mile.", t.A, truncate1(parse(res))))
	default:
		va, err := lookup(t.A, t.Attr, fmt.Sprintf("I need the %s of %s.", t.Attr, sayA))
		if err != nil {
			return nil, err
		}
		vb, err := lookup(t.B, t.Attr, restate(t.A, t.Attr, va)+fmt.Sprintf(" Now I need the %s of %s.", t.Attr, sayB))
		if err != nil {
			return nil, err
		}
		op, verb := map[string]string{Ratio: "/", Compare: "/", Sum: "+", Difference: "-"}[t.Kind], map[string]string{Ratio: "divide", Compare: "divide", Sum: "add", Difference: "subtract"}[t.Kind]
		res, _ := act(restate(t.B, t.Attr, vb)+fmt.Sprintf(" I %s the two numbers with the calculator.", verb), "calculator", va+" "+op+" "+vb)
		x := parse(res)
		var ans string
		switch t.Kind {
		case Ratio:
			ans = fmt.Sprintf("%s's %s is about %s times %s's.", t.A, t.Attr, truncate1(x), t.B)
		case Compare:
			// The ratio says which is larger: below 1, the second place.
			ans = fmt.Sprintf("%s's %s is about %s times %s's", t.A, t.Attr, truncate1(x), t.B)
			larger, smaller := t.A, t.B
			if x < 1 {
				larger, smaller = t.B, t.A
			}
			switch t.Ask {
			case "less":
				ans += ", so " + smaller + " is smaller."
			case "yes/no":
				ans = map[bool]string{true: "Yes. ", false: "No. "}[x > 1] + ans + "."
			default:
				ans += ", so " + larger + " is larger."
			}
		case Sum:
			ans = fmt.Sprintf("The combined %s of %s and %s is %s.", t.Attr, t.A, t.B, strings.TrimSpace(res))
		default:
			ans = fmt.Sprintf("The %s of %s is larger by %s.", t.Attr, t.A, strings.TrimSpace(res))
		}
		final("I now know the final answer.", ans)
	}
	return steps, nil
}

func parse(s string) float64 {
	var x float64
	fmt.Sscan(strings.TrimSpace(s), &x)
	return x
}

// lookupAnswer is the final answer of a lookup of place's attr, v as the
// corpus writes it: "The population of Utah is 3,271,616 people."
func lookupAnswer(place, attr, v string) string {
	unit := " people"
	if attr != "population" {
		unit = " square miles"
	}
	return fmt.Sprintf("The %s of %s is %s%s.", attr, place, v, unit)
}

// errObservation marks a search whose passage does not hold the figure a
// trace needs: the search ranked another passage first (an invented name
// such as "Scucle Area" can look like the word "area" to it).
var errObservation = errors.New("the search did not return the passage the trace needs")

// extract finds the figure for place and attr in an observation.
func extract(obs, place, attr string) (string, error) {
	var marker, unit string
	switch attr {
	case "population":
		marker, unit = place+" had a population of ", " at the "
	case "area":
		marker, unit = place+" has a total area of ", " square miles"
	case "land area":
		marker, unit = place+" has a land area of ", " square miles"
	case "capital":
		marker, unit = place+" ("+"", ", with "
		if i := strings.Index(obs, "Its capital is "); i >= 0 && strings.Contains(obs[:i], place) {
			rest := obs[i+len("Its capital is "):]
			if j := strings.Index(rest, unit); j >= 0 {
				return rest[:j], nil
			}
		}
		return "", fmt.Errorf("synth: observation for the capital of %s lacks it: %q: %w", place, obs, errObservation)
	}
	i := indexSentence(obs, marker)
	if i < 0 {
		return "", fmt.Errorf("synth: observation for %s of %s lacks %q: %q: %w", attr, place, marker, obs, errObservation)
	}
	rest := obs[i+len(marker):]
	j := strings.Index(rest, unit)
	if j < 0 {
		return "", fmt.Errorf("synth: observation for %s of %s is cut: %q: %w", attr, place, obs, errObservation)
	}
	return strings.TrimSuffix(rest[:j], "."), nil
}

// indexSentence is strings.Index for a match that starts a sentence (or
// follows a passage's title): "Virginia had a population of" is not found
// inside "West Virginia had a population of".
func indexSentence(s, sub string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			return -1
		}
		if i += off; i == 0 || strings.HasSuffix(s[:i], ": ") || strings.HasSuffix(s[:i], ". ") {
			return i
		}
		off = i + 1
	}
}

// Render writes a trace as training text and a per-byte mask of what the
// model must produce (its Thought/Action/Final Answer lines), not the
// question or the observations.
func Render(question string, steps []react.Step) (string, []bool) {
	var b strings.Builder
	var mask []bool
	write := func(s string, produce bool) {
		b.WriteString(s)
		for i := 0; i < len(s); i++ {
			mask = append(mask, produce)
		}
	}
	write("Question: "+question+"\n", false)
	for _, s := range steps {
		r := s.Render()
		if s.Final {
			write(r, true)
			continue
		}
		cut := strings.Index(r, "Observation: ")
		write(r[:cut], true)
		write(r[cut:], false)
	}
	return b.String(), mask
}
