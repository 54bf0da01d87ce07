package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"

	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools/corpus"
)

// More kinds of questions, asked only as people type them (NewUserTask).
const (
	// Compare asks which of two places is larger ("Which has more people,
	// A or B?", "Is A bigger than B?"): the trace divides the two figures
	// and names the larger (or smaller) one.
	Compare = "compare"
	// Refuse is a question the agent cannot answer (other facts, other
	// years, unknown places, arithmetic, chit-chat): the trace says so.
	Refuse = "refuse"
)

// The trained refusal: the thought before it and the answer the agent's
// Refusal replaces.
const (
	refuseThought = "I cannot answer this question with my tools."
	notFound      = "The search found no such place."
	refuseAnswer  = react.DefaultRefusal
)

// userWordings are how people ask each kind, written for training (the
// natural development set, react/natural, has its own). %[1]s and %[2]s are
// the places as typed.
var userWordings = map[string]map[string][]string{
	Lookup: {
		"population": {"how many people live in %[1]s", "what's the population of %[1]s", "%[1]s population", "population of %[1]s",
			"how many residents does %[1]s have", "whats %[1]s's population", "%[1]s's population in 2020", "how many people are in %[1]s",
			"what was the population of %[1]s at the 2020 census", "give me the population of %[1]s", "number of people in %[1]s",
			"how populous is %[1]s", "population %[1]s", "I'd like to know the population of %[1]s"},
		"area": {"how big is %[1]s", "what's the area of %[1]s", "%[1]s total area", "total area of %[1]s in square miles",
			"how many square miles is %[1]s", "size of %[1]s", "how large is %[1]s in sq mi", "%[1]s's area", "area %[1]s",
			"what is the total area of %[1]s in square miles"},
		"land area": {"land area of %[1]s", "%[1]s land area", "what's %[1]s's land area", "how much land area does %[1]s have",
			"how many square miles of land does %[1]s have", "%[1]s land area in sq mi"},
	},
	Capital: {
		"capital": {"what's the capital of %[1]s", "%[1]s capital", "capital of %[1]s", "which city is the capital of %[1]s",
			"what city is %[1]s's capital", "%[1]s's capital city", "name the capital of %[1]s", "whats the capital city of %[1]s"},
	},
	Density: {
		"density": {"population density of %[1]s", "%[1]s population density", "how densely populated is %[1]s",
			"people per square mile in %[1]s", "how many people per sq mi live in %[1]s", "what's the density of %[1]s",
			"how crowded is %[1]s per square mile"},
	},
	Ratio: {
		"population": {"how many times more people live in %[1]s than %[2]s", "%[1]s vs %[2]s population, how many times",
			"%[1]s population divided by %[2]s population", "how many times bigger is %[1]s's population than %[2]s's",
			"population ratio of %[1]s to %[2]s", "%[1]s has how many times the population of %[2]s",
			"by how many times does %[1]s outnumber %[2]s in people", "how many times as many people does %[1]s have as %[2]s"},
		"area": {"how many times bigger is %[1]s than %[2]s", "how many %[2]ss would fit in %[1]s", "area of %[1]s divided by area of %[2]s",
			"%[1]s vs %[2]s area, how many times", "how many times larger is %[1]s than %[2]s in square miles",
			"ratio of %[1]s's area to %[2]s's"},
	},
	Sum: {
		"population": {"how many people live in %[1]s and %[2]s combined", "%[1]s + %[2]s population", "population of %[1]s plus %[2]s",
			"total population of %[1]s and %[2]s", "what do the populations of %[1]s and %[2]s add up to",
			"%[1]s and %[2]s together, how many people", "combined population %[1]s and %[2]s"},
		"area": {"combined area of %[1]s and %[2]s", "how many square miles are %[1]s and %[2]s together", "%[1]s plus %[2]s area",
			"total area of %[1]s and %[2]s combined", "what's the area of %[1]s and %[2]s added together"},
	},
	Difference: {
		"population": {"how many more people live in %[1]s than %[2]s", "how many more residents does %[1]s have than %[2]s",
			"population difference between %[1]s and %[2]s", "%[1]s minus %[2]s population", "by how much does %[1]s's population exceed %[2]s's",
			"how much bigger is %[1]s's population than %[2]s's", "how many fewer people live in %[2]s than %[1]s"},
		"area": {"how much bigger is %[1]s than %[2]s in square miles", "area difference between %[1]s and %[2]s",
			"how many more square miles does %[1]s have than %[2]s", "%[1]s area minus %[2]s area", "how much larger is %[1]s than %[2]s by area"},
	},
}

// compareWordings ask which place is larger ("more") or smaller ("less"),
// or whether the first is larger ("yes/no").
var compareWordings = map[string]map[string][]string{
	"more": {
		"population": {"which has more people, %[1]s or %[2]s", "%[1]s or %[2]s, which is more populous", "which is more populous: %[1]s or %[2]s",
			"does %[1]s or %[2]s have more residents", "who has the bigger population, %[1]s or %[2]s", "are there more people in %[1]s or %[2]s"},
		"area": {"which is bigger, %[1]s or %[2]s", "which is larger by area, %[1]s or %[2]s", "%[1]s or %[2]s, which covers more square miles",
			"which has more area: %[1]s or %[2]s"},
	},
	"less": {
		"population": {"which has fewer people, %[1]s or %[2]s", "which is less populous, %[1]s or %[2]s", "%[1]s or %[2]s, which has the smaller population"},
		"area":       {"which is smaller, %[1]s or %[2]s", "which has less area, %[1]s or %[2]s", "%[1]s or %[2]s, which is smaller in square miles"},
	},
	"yes/no": {
		"population": {"is %[1]s more populous than %[2]s", "does %[1]s have more people than %[2]s", "are there more people in %[1]s than in %[2]s"},
		"area":       {"is %[1]s bigger than %[2]s", "is %[1]s larger than %[2]s by area", "does %[1]s cover more square miles than %[2]s"},
	},
}

// refuseWordings are questions about a place that the agent cannot answer.
var refuseWordings = []string{
	"who is the governor of %[1]s", "what is the GDP of %[1]s", "what's the weather in %[1]s", "what is the state bird of %[1]s",
	"what was the population of %[1]s in 1990", "what was %[1]s's population in 2010", "what will the population of %[1]s be in 2040",
	"how many people will live in %[1]s next year", "when did %[1]s join the union", "what is the highest point in %[1]s",
	"how many counties are in %[1]s", "what is the median household income in %[1]s", "what language do people speak in %[1]s",
	"what is the largest city in %[1]s", "what is the population of %[1]s in 1950", "what is the crime rate in %[1]s",
	"what time zone is %[1]s in", "who are the senators from %[1]s", "what is %[1]s famous for", "tell me about %[1]s",
	"what is the population of %[1]s in 2030", "how many electoral votes does %[1]s have", "what's the sales tax in %[1]s",
}

// refuseAlone are questions with no place that the agent cannot answer.
var refuseAlone = []string{
	"hi", "hello there", "thanks!", "who are you", "tell me a joke", "what is 12 times 7", "what's 15 percent of 80",
	"what is the square root of 144", "how tall is mount everest", "what's the capital of france", "what is the population of tokyo",
	"how big is canada", "asdf qwerty", "what time is it", "who won the world cup", "translate hello into spanish",
	"what is the population of the world", "how far is the moon", "what is love", "write me a poem", "how many states are there",
	"which state has the most people", "what is the population of the united states", "what's 2+2", "good morning", "?", "ok",
}

// fillers open a question as people do.
var fillers = []string{"I'm curious, ", "quick question: ", "hey, ", "can you tell me ", "do you know ", "I wonder ", "please tell me ",
	"question: ", "hi, ", "so ", "um, ", "I need to know ", "could you find out "}

// NewUserTask draws a question as a person might type it, about w's
// places: the kinds of NewTask plus comparisons and questions to refuse,
// with varied wording and word order, filler, any case, no question mark,
// the place's code instead of its name, and typos that search still
// resolves.
func NewUserTask(r *rand.Rand, w *World) Task {
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	a := w.Places[r.IntN(len(w.Places))].Name
	b := w.Places[r.IntN(len(w.Places))].Name
	for b == a {
		b = w.Places[r.IntN(len(w.Places))].Name
	}
	attr := "population"
	if r.IntN(3) == 0 {
		attr = "area"
	}
	val := func(n string) float64 { return figure(w.byName[n], attr) }
	t := Task{Kind: pick([]string{Lookup, Lookup, Ratio, Ratio, Sum, Difference, Density, Capital, Compare, Compare, Refuse, Refuse}), A: a, B: b, Attr: attr}
	var q string
	switch t.Kind {
	case Lookup:
		if r.IntN(4) == 0 {
			t.Attr = "land area"
		}
		t.Expect = corpus.Group(figure(w.byName[a], t.Attr), 2)
		q = pick(userWordings[Lookup][t.Attr])
	case Capital:
		t.Attr, t.Expect = "capital", w.byName[a].Capital
		q = pick(userWordings[Capital]["capital"])
	case Density:
		t.Attr = "density"
		t.Expect = round1(float64(w.byName[a].Population) / w.byName[a].LandArea)
		q = pick(userWordings[Density]["density"])
	case Ratio, Sum, Difference:
		// "How many times more" and "how many more" ask about the larger
		// place first (mostly, for ratios: "0.2 times" is an answer too).
		if (t.Kind == Difference || t.Kind == Ratio && r.IntN(5) > 0) && val(a) < val(b) {
			t.A, t.B, a, b = b, a, b, a
		}
		q = pick(userWordings[t.Kind][attr])
		t.Expect = related(t.Kind, val(a), val(b))
	case Compare:
		t.Ask = pick([]string{"more", "more", "less", "yes/no"})
		q = pick(compareWordings[t.Ask][attr])
		t.Expect = a
		if (val(a) < val(b)) != (t.Ask == "less") {
			t.Expect = b
		}
		if t.Ask == "yes/no" {
			t.Expect = map[bool]string{true: "Yes", false: "No"}[val(a) > val(b)]
		}
	case Refuse:
		t.Expect = refuseAnswer
		switch r.IntN(3) {
		case 0:
			q = pick(refuseAlone)
			t.A, t.B = "", ""
		case 1:
			// A place the world does not have: search finds nothing.
			t.Kind, t.Attr = Lookup, pick([]string{"population", "area", "land area"})
			for {
				t.A = Name(r)
				if len(w.places.Find(t.Attr+" of "+t.A)) == 0 {
					break
				}
			}
			t.B, t.Missing, t.Expect = "", true, refuseAnswer
			q = pick(userWordings[Lookup][t.Attr])
			a = t.A
		default:
			q = pick(refuseWordings)
			t.B = ""
		}
	}
	t.SayA, t.SayB = w.say(r, t.A), w.say(r, t.B)
	if t.Missing {
		t.SayA = t.A
	}
	if t.A != "" {
		q = fmt.Sprintf(q, t.SayA, t.SayB)
	}
	t.Question = noise(r, q)
	// Noise may capitalise a place that opens the question: the trace
	// types it as the question does.
	t.SayA, t.SayB = asTyped(t.Question, t.SayA), asTyped(t.Question, t.SayB)
	return t
}

// asTyped is say as q writes it: noise capitalises only q's first letter.
func asTyped(q, say string) string {
	if say != "" && strings.HasPrefix(strings.ToLower(q), strings.ToLower(say)) {
		return q[:len(say)]
	}
	return say
}

// say is how a person might type place: as named, in lower case, its code,
// or with a typo that search still resolves to it.
func (w *World) say(r *rand.Rand, place string) string {
	if place == "" {
		return ""
	}
	switch r.IntN(10) {
	case 0, 1, 2:
		return strings.ToLower(place)
	case 3:
		if c := w.codes[place]; c != "" {
			return c
		}
	case 4, 5:
		for range 5 {
			typo := misspell(r, place)
			// (A word shortened to two letters can spell a code that
			// the passages mention: "Ns Islands" for "Ne Islands (NS)".)
			if found := w.places.Find(typo); len(found) == 1 && found[0] == place && typo != place && !shortWord(typo) {
				return typo
			}
		}
	}
	return place
}

func shortWord(s string) bool {
	for _, f := range strings.Fields(s) {
		if len(f) <= 2 {
			return true
		}
	}
	return false
}

// misspell makes one slip of the keyboard in one word of name: a letter
// dropped, doubled, swapped with the next or replaced.
func misspell(r *rand.Rand, name string) string {
	b := []byte(name)
	i := 1 + r.IntN(max(1, len(b)-1))
	if i >= len(b) || b[i] == ' ' || b[i-1] == ' ' {
		return name
	}
	switch r.IntN(4) {
	case 0:
		return string(b[:i]) + string(b[i+1:])
	case 1:
		return string(b[:i+1]) + string(b[i:])
	case 2:
		if i+1 < len(b) && b[i+1] != ' ' {
			b[i], b[i+1] = b[i+1], b[i]
		}
		return string(b)
	}
	b[i] = "aeioulnrst"[r.IntN(10)]
	return string(b)
}

// noise dresses a question: filler before it, a first capital or none,
// "?" or none.
func noise(r *rand.Rand, q string) string {
	if r.IntN(4) == 0 {
		q = fillers[r.IntN(len(fillers))] + q
	}
	if r.IntN(2) == 0 {
		for i, c := range q {
			q = string(unicode.ToUpper(c)) + q[i+len(string(c)):]
			break
		}
	}
	switch r.IntN(10) {
	case 0, 1, 2, 3:
	case 4:
		q += "??"
	default:
		q += "?"
	}
	return q
}
