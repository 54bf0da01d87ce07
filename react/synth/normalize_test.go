package synth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools"
)

func statesNormalizer(t *testing.T) *Normalizer {
	s, err := tools.NewStateSearch()
	require.NoError(t, err)
	return &Normalizer{Places: s.Places}
}

// The questions of the issue, and others as people type them, read onto
// the trained wording; the rest refused with a reason.
func TestNormalizerReadsQuestionsAsPeopleTypeThem(t *testing.T) {
	n := statesNormalizer(t)
	for q, want := range map[string]string{
		"What is the population of Pennsylvnia?":                       "What is the population of Pennsylvania?",
		"How many more people live in Texas than in Florida?":          "How much larger is Texas's population than Florida's?",
		"how many people live in new york":                             "What is the population of New York?",
		"how many fewer people live in VT than in Maine?":              "How much larger is Maine's population than Vermont's?",
		"I'm curious, how big is utah":                                 "What is the area of Utah?",
		"TX vs CA population, how many times?":                         "How many times larger is Texas's population than California's?",
		"ohio and iowa combined area":                                  "What is the combined area of Ohio and Iowa?",
		"people per sq mile in new jersey":                             "What is the population density of New Jersey?",
		"Which is bigger, Montana or Nevada?":                          "How many times larger is Montana's area than Nevada's?",
		"By what factor does Georgia's population exceed Wisconsin's?": "How many times larger is Georgia's population than Wisconsin's?",
		"Is Texas bigger than Alaska?":                                 "How many times larger is Texas's area than Alaska's?",
		"Compare the populations of Florida and Georgia":               "How many times larger is Florida's population than Georgia's?",
		"What's the population of Washington, D.C.?":                   "What is the population of District of Columbia?",
		"ohio pop": "What is the population of Ohio?",
		"Could you compare the sizes of Oregon and Idaho?":                    "How many times larger is Oregon's area than Idaho's?",
		"Ohio's area relative to Indiana's":                                   "How many times larger is Ohio's area than Indiana's?",
		"Rank Texas and Ohio by population":                                   "How many times larger is Texas's population than Ohio's?",
		"What's the capital of the Sunshine State?":                           "What is the capital of Florida?",
		"How many people live in the Lone Star State?":                        "What is the population of Texas?",
		"green mountain state area":                                           "What is the area of Vermont?",
		"What's the populace of Kentucky?":                                    "What is the population of Kentucky?",
		"My friend says Texas has more people than California. Is that true?": "How many times larger is Texas's population than California's?",
		"Population of Texas + Florida?":                                      "What is the combined population of Texas and Florida?",
		"What was the 2020 census count for Delaware?":                        "What is the population of Delaware?",
		"Total area of Michigan including water":                              "What is the area of Michigan?",
		"What's the per-square-mile population of Massachusetts?":             "What is the population density of Massachusetts?",
		"Subtract Ohio's population from Texas's":                             "How much larger is Ohio's population than Texas's?",
		"How much smaller is Rhode Island than Texas?":                        "How much larger is Texas's area than Rhode Island's?",
		"Is California more populated than Texas?":                            "How many times larger is California's population than Texas's?",
		"Texas or Florida: which has more residents?":                         "How many times larger is Texas's population than Florida's?",
		"What is the capital of Vermont?":                                     "What is the capital of Vermont?",
		"vermont's capital city":                                              "What is the capital of Vermont?",
		"Which city is the capital of Maine?":                                 "What is the capital of Maine?",
		"land area of utah":                                                   "What is the land area of Utah?",
		"How much land does Kansas have":                                      "What is the land area of Kansas?",
		"population of ca":                                                    "What is the population of California?",
		"how many ppl in fla":                                                 "What is the population of Florida?",
		"How many people live in N.Y.?":                                       "What is the population of New York?",
		"HOW MANY PEOPLE LIVE IN ALABAMA":                                     "What is the population of Alabama?",
		"What is Florida's population divided by Ohio's?":                     "How many times larger is Florida's population than Ohio's?",
		"HOW BIG IS TX":                                                       "What is the area of Texas?",
		"What is the population of S. Carolina?":                              "What is the population of South Carolina?",
		"pop of N Dakota":                                                     "What is the population of North Dakota?",
		"how many people live in w. virginia":                                 "What is the population of West Virginia?",
		"How many Rhode Islands fit in Alaska?":                               "How many times larger is Alaska's area than Rhode Island's?",
		"What is the most recent population of Ohio?":                         "What is the population of Ohio?",
		"what is the populaton of colorado":                                   "What is the population of Colorado?",
		"How many more residents does Illinois have compared to Ohio?":        "How much larger is Illinois's population than Ohio's?",
	} {
		got, ok := n.Rewrite(q)
		assert.True(t, ok, q)
		assert.Equal(t, want, got, q)
	}
	for _, q := range []string{
		"", "What is the population of the capital of Texas?", "Who is the governor of Ohio?", "What was the population of Texas in 1990?",
		"What is the population of Paris?", "What is 2+2?", "hi there", "asdf qwerty", "What is the GDP per capita of Ohio?",
		"How many counties does Texas have?", "land area of Utah and Ohio combined", "Texas and Florida", "How many people live in Puerto Rico?",
		"What is the water area of Michigan?", "How many square kilometers is Texas?", "How big is Texas compared to France?",
		"What will Ohio's population be next year?", "Are Vermont and New Hampshire combined bigger than Maine?", "Who has more electoral votes, Texas or Florida?", "What percentage of Americans live in California?",
		"Population density of New Jersey vs New York", "Texas vs Florida", "Tell me about Texas",
		// arithmetic or a change on top of the figure, a ranking among all
		// states, a city or landmark named after a state
		"What is the population of Ohio divided by 2?", "What's the population of Vermont plus 100?", "Top 5 facts about Utah",
		"How fast is Utah's population growing?", "What share of Texas is land?", "Is Alaska the biggest state?",
		"Is Ohio the most populous state?", "population of Virginia Beach", "How long is the Mississippi River?",
		"How many people live in Colorado Springs?", "How deep is Lake Michigan?", "What's the population of Georgia the country?", "What is Virginia's population and area?",
	} {
		got, ok := n.Rewrite(q)
		assert.False(t, ok, "%q read as %q", q, got)
	}
	// Cities named after a state are refused, not split into parts.
	for _, q := range []string{"What's the capital of Kansas City, Missouri?", "How many people live in Oklahoma City?", "New York City population"} {
		_, _, ok := n.Decompose(q)
		_, ok2 := n.Rewrite(q)
		assert.False(t, ok || ok2, q)
	}
	// The trained wordings read as themselves.
	for _, q := range []string{
		"How many times larger is California's population than Alaska's?",
		"What is the combined area of Ohio and Iowa?",
		"What is the population density of New Jersey?",
		"Which place does this question name: Ohio?",
	} {
		got, ok := n.Rewrite(q)
		assert.True(t, ok, q)
		assert.Equal(t, q, got)
	}
}

// Rounding is rounding (issue #15: 430.898 is "about 430.9"), and a
// comparison is answered with the larger place.
func TestFinishRoundsAndAnswersComparisons(t *testing.T) {
	n := statesNormalizer(t)
	steps := []react.Step{{Action: "calculator", Input: "x / y", Observation: "430.898"}}
	assert.Equal(t, "It is about 430.9 people per square mile.", n.Finish("density of X", "It is about 430.8 people per square mile.", steps))
	assert.Equal(t, "about 430.7", n.Finish("q", "about 430.7", steps), "not the calculator's figure: left alone")
	steps = []react.Step{{Action: "calculator", Observation: "0.7523"}}
	assert.Equal(t, "Nevada has a larger area: Montana's area is only about 0.8 times Nevada's.",
		n.Finish("Which is bigger, Montana or Nevada?", "Montana's area is about 0.7 times Nevada's.", steps))
	// The decision uses the exact ratio, not the rounded one.
	steps = []react.Step{{Action: "calculator", Observation: "0.985"}}
	assert.Equal(t, "Pennsylvania has a larger population: Illinois's population is only about 0.99 times Pennsylvania's.",
		n.Finish("Which state has more people: Illinois or Pennsylvania?", "Illinois's population is about 0.9 times Pennsylvania's.", steps))
	steps = []react.Step{{Action: "calculator", Observation: "0.39"}}
	assert.Equal(t, "No. Alaska has a larger area: Texas's area is only about 0.4 times Alaska's.",
		n.Finish("Is Texas bigger than Alaska?", "Texas's area is about 0.3 times Alaska's.", steps))
	// A difference the wrong way round names the larger place.
	steps = []react.Step{{Action: "calculator", Observation: "-28502428"}}
	assert.Equal(t, "The population of Texas is larger by 28,502,428.",
		n.Finish("difference in population between Vermont and Texas", "The population of Vermont is larger by 28502428.", steps))
	steps = []react.Step{{Action: "calculator", Observation: "9.97"}}
	assert.Equal(t, "Texas has a larger population: Texas's population is about 10.0 times Ohio's.",
		n.Finish("which has more people, texas or ohio", "Texas's population is about 9.9 times Ohio's.", steps))
	// Large figures copied from the calculator get thousands separators.
	steps = []react.Step{{Action: "calculator", Observation: "2005436"}}
	assert.Equal(t, "The combined population of Maine and Vermont is 2,005,436.",
		n.Finish("Maine and Vermont population combined", "The combined population of Maine and Vermont is 2005436.", steps))
	steps = []react.Step{{Action: "calculator", Observation: "198699.94"}}
	assert.Equal(t, "The area of Texas is larger by 198,699.94 square miles, not 1198699.94.",
		n.Finish("q", "The area of Texas is larger by 198699.94 square miles, not 1198699.94.", steps))
	// "Which is smaller" names the smaller place; "Is A smaller" is yes
	// when A is.
	steps = []react.Step{{Action: "calculator", Observation: "1.6"}}
	assert.Equal(t, "Rhode Island has a smaller area: Rhode Island's area is only about 0.6 times Delaware's.",
		n.Finish("Which one is smaller, Delaware or Rhode Island?", "Delaware's area is about 1.6 times Rhode Island's.", steps))
	assert.Equal(t, "No. West Virginia has a smaller area: West Virginia's area is only about 0.6 times Maine's.",
		n.Finish("Is Maine smaller than West Virginia?", "x", steps))
	assert.Equal(t, "Delaware has a larger area: Delaware's area is about 1.6 times Rhode Island's.",
		n.Finish("Is Delaware bigger or smaller than Rhode Island?", "x", steps))
	steps = []react.Step{{Action: "calculator", Observation: "0.5"}}
	assert.Equal(t, "Yes. Maine has a smaller population: Maine's population is only about 0.5 times Ohio's.",
		n.Finish("Does Maine have fewer people than Ohio?", "x", steps))
	// "A or B?" asks which, not yes or no, however it opens.
	steps = []react.Step{{Action: "calculator", Observation: "0.9446"}}
	assert.Equal(t, "Oregon has a larger population: Oklahoma's population is only about 0.9 times Oregon's.",
		n.Finish("Are there more people in Oklahoma or Oregon?", "x", steps))
	// A ratio that rounds to 1.0 keeps the decimals that say which is larger.
	steps = []react.Step{{Action: "calculator", Observation: "1.00275"}}
	assert.Equal(t, "Oklahoma has a larger area: Oklahoma's area is about 1.003 times Missouri's.",
		n.Finish("Which state is larger by area, Oklahoma or Missouri?", "x", steps))
	// A capital the model miscopied is taken from the passage it found.
	found := []react.Step{{Action: "search", Input: "capital of Kansas", Observation: "[1] Kansas: Kansas (KS) is a state in the Midwest region. Its capital is Topeka, with 126,587 residents in 2020."}}
	assert.Equal(t, "The capital of Kansas is Topeka.", n.Finish("Capital of KS?", "The capital of Kansas is The.", found))
	assert.Equal(t, "The capital of Kansas is Topeka.", n.Finish("Capital of KS?", "The capital of Kansas is Topeka.", found))
	assert.Equal(t, "The capital of Kansas is The.", n.Finish("Capital of KS?", "The capital of Kansas is The.", nil), "no passage: left alone")
	// The right name among repeated words (seen from a checkpoint of the
	// one-command recipe) gets the trained sentence.
	assert.Equal(t, "The capital of Kansas is Topeka.", n.Finish("what's the capital of KS", "The capital of Kansas is Topeka total is Topeka my is Topeka What is Topeka.", found))
	// A lookup answered with something else (the model went on to a
	// density) is answered from the passage the model found.
	ma := []react.Step{
		{Action: "search", Input: "population of Massachusetts", Observation: "[1] Massachusetts population: Massachusetts had a population of 7,029,917 at the 2020 United States census."},
		{Action: "search", Input: "land area of Massachusetts", Observation: "[1] Massachusetts area: Massachusetts has a total area of 10,554.12 square miles. Massachusetts has a land area of 7,800.99 square miles and a water area of 2,753.13 square miles."},
		{Action: "calculator", Input: "7,029,917 / 7,800.99", Observation: "901.157033"},
	}
	density := "The population density of Massachusetts is about 901.2 people per square mile."
	assert.Equal(t, "The population of Massachusetts is 7,029,917 people.", n.Finish("I'd like to know the population of Massachusets", density, ma))
	assert.Equal(t, "The land area of Massachusetts is 7,800.99 square miles.", n.Finish("land area of MA?", density, ma))
	assert.Equal(t, "The area of Massachusetts is 10,554.12 square miles.", n.Finish("How big is Massachusetts?", "I could not answer that.", ma))
	assert.Equal(t, density, n.Finish("population density of Massachusetts", density, ma), "a density question: left alone")
	assert.Equal(t, "x", n.Finish("population of Ohio", "x", ma), "no passage for the place: left alone")
	assert.Equal(t, "The population of Massachusetts is 7,029,917 people.",
		n.Finish("population of Massachusetts", "The population of Massachusetts is 7,029,917 people is 7,029,917.", ma))
	wv := []react.Step{{Action: "search", Input: "population of West Virginia", Observation: "[1] West Virginia population: West Virginia had a population of 1,793,716 at the 2020 United States census."}}
	assert.Equal(t, "x", n.Finish("population of Virginia", "x", wv), "West Virginia's passage is not Virginia's")
	// Area sums and differences say their unit.
	steps = []react.Step{{Action: "calculator", Observation: "397125.85"}}
	assert.Equal(t, "The area of Alaska is larger by 397,125.85 square miles.",
		n.Finish("How much larger is Alaska than Texas in area?", "The area of Alaska is larger by 397125.85.", steps))
}

// Any text reads or refuses without panicking.
func FuzzNormalizer(f *testing.F) {
	s, err := tools.NewStateSearch()
	if err != nil {
		f.Fatal(err)
	}
	n := &Normalizer{Places: s.Places}
	for _, q := range []string{"How many more people live in Texas than FL?", "which is bigger, montana or nevada", "", "1990 ohio pop", "Washington, D.C. capital", "\xff\xfe",
		"Which is denser, Ohio or Utah?", "population of Texas, Ohio and Utah combined"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r, _, ok := n.Read(q)
		if ok && len(r.Place) == 0 {
			t.Fatalf("%q read without a place", q)
		}
		if ok {
			_ = r.Canonical()
		}
		_ = n.Finish(q, "about 1.2 times", []react.Step{{Action: "calculator", Observation: "1.25"}})
		if parts, join, ok := n.Decompose(q); ok {
			if len(parts) < 2 {
				t.Fatalf("%q decomposed into %d parts", q, len(parts))
			}
			rs := make([]*react.Result, len(parts))
			for i := range rs {
				rs[i] = &react.Result{Answer: "It is 1,234.5.", Steps: []react.Step{{Action: "calculator", Observation: "0"}}}
			}
			_, _ = join(rs)
			_, _ = join(rs[:1])
		}
	})
}

// A place whose name holds a word that alone would be a landmark ("Bay",
// "Valley") is still read as the place.
func TestNormalizerPlaceNamesWithLandmarkWords(t *testing.T) {
	n := &Normalizer{Places: tools.NewPlaces([]string{"Fort Plos Bay", "Trusheam Valley"}, nil)}
	for q, want := range map[string]string{
		"What is the land area of Fort Plos Bay?":                            "What is the land area of Fort Plos Bay?",
		"how many people live in trusheam valley and fort plos bay combined": "What is the combined population of Trusheam Valley and Fort Plos Bay?",
	} {
		got, ok := n.Rewrite(q)
		assert.True(t, ok, q)
		assert.Equal(t, want, got, q)
	}
	_, ok := n.Rewrite("How deep is the bay of Fort Plos Bay?")
	assert.False(t, ok, "a landmark beside the place's name is still a landmark")
}

// Questions the model answers place by place: each part in the trained
// wording, and the join relating the exact figures the parts found.
func TestNormalizerDecomposes(t *testing.T) {
	n := statesNormalizer(t)
	density := func(v string) *react.Result {
		return &react.Result{Answer: "about x", Steps: []react.Step{{Action: "calculator", Observation: v}}}
	}
	lookup := func(a string) *react.Result { return &react.Result{Answer: a} }
	for _, c := range []struct {
		q     string
		parts []string
		rs    []*react.Result
		want  string
	}{
		{"Which state is more densely populated, Ohio or Indiana?",
			[]string{"What is the population density of Ohio?", "What is the population density of Indiana?"},
			[]*react.Result{density("288.79"), density("189.35")},
			"Ohio has a larger population density: Ohio's population density is about 1.5 times Indiana's."},
		{"How many times denser is New Jersey than Alaska?",
			[]string{"What is the population density of New Jersey?", "What is the population density of Alaska?"},
			[]*react.Result{density("1262.95"), density("1.2836")},
			"New Jersey's population density is about 983.9 times Alaska's."},
		{"How much more land does California have than Texas?",
			[]string{"What is the land area of California?", "What is the land area of Texas?"},
			[]*react.Result{lookup("The land area of California is 155,860.37 square miles."), lookup("The land area of Texas is 261,260.03 square miles.")},
			"The land area of Texas is larger by 105,399.66 square miles."},
		{"What is the population of Texas, Florida and Georgia combined?",
			[]string{"What is the population of Texas?", "What is the population of Florida?", "What is the population of Georgia?"},
			[]*react.Result{lookup("The population of Texas is 29,145,505 people."), lookup("The population of Florida is 21,538,187 people."), lookup("The population of Georgia is 10,711,908 people.")},
			"The combined population of Texas, Florida and Georgia is 61,395,600."},
		{"Which of these is biggest: Texas, Ohio, Utah?",
			[]string{"What is the area of Texas?", "What is the area of Ohio?", "What is the area of Utah?"},
			[]*react.Result{lookup("The area of Texas is 268,599.05 square miles."), lookup("The area of Ohio is 44,825.82 square miles."), lookup("The area of Utah is 84,896.65 square miles.")},
			"Texas has the largest area of the 3: 268,599.05 square miles (Ohio 44,825.82 square miles, Utah 84,896.65 square miles)."},
		{"Which has the fewest people: Ohio, Utah or Idaho?",
			[]string{"What is the population of Ohio?", "What is the population of Utah?", "What is the population of Idaho?"},
			[]*react.Result{lookup("The population of Ohio is 11,799,448 people."), lookup("The population of Utah is 3,271,616 people."), lookup("The population of Idaho is 1,839,106 people.")},
			"Idaho has the smallest population of the 3: 1,839,106 people (Ohio 11,799,448 people, Utah 3,271,616 people)."},
		{"List the capitals of Texas and Ohio",
			[]string{"What is the capital of Texas?", "What is the capital of Ohio?"},
			[]*react.Result{lookup("The capital of Texas is Austin."), lookup("The capital of Ohio is Columbus.")},
			"The capital of Texas is Austin. The capital of Ohio is Columbus."},
		{"What's Alaska's capital and population?",
			[]string{"What is the capital of Alaska?", "What is the population of Alaska?"},
			[]*react.Result{lookup("The capital of Alaska is Juneau."), lookup("The population of Alaska is 733,391 people.")},
			"The capital of Alaska is Juneau. The population of Alaska is 733,391 people."},
		{"How many people live in Texas and how big is it?",
			[]string{"What is the population of Texas?", "What is the area of Texas?"},
			[]*react.Result{lookup("The population of Texas is 29,145,505 people."), lookup("The area of Texas is 268,596.46 square miles.")},
			"The population of Texas is 29,145,505 people. The area of Texas is 268,596.46 square miles."},
		{"How many people live in THE DAKOTAS?",
			[]string{"What is the population of North Dakota?", "What is the population of South Dakota?"},
			[]*react.Result{lookup("The population of North Dakota is 779,094 people."), lookup("The population of South Dakota is 886,667 people.")},
			"The population of North Dakota is 779,094 people. The population of South Dakota is 886,667 people. Combined, their population is 1,665,761."},
		{"Population of Texas and Florida?",
			[]string{"What is the population of Texas?", "What is the population of Florida?"},
			[]*react.Result{lookup("The population of Texas is 29,145,505 people."), lookup("The population of Florida is 21,538,187 people.")},
			"The population of Texas is 29,145,505 people. The population of Florida is 21,538,187 people. Combined, their population is 50,683,692."},
	} {
		parts, join, ok := n.Decompose(c.q)
		require.True(t, ok, c.q)
		assert.Equal(t, c.parts, parts, c.q)
		got, ok := join(c.rs)
		assert.True(t, ok, c.q)
		assert.Equal(t, c.want, got, c.q)
		_, rewritten := n.Rewrite(c.q)
		assert.False(t, rewritten, "%s: not one trained question", c.q)
	}
	// A part without a figure refuses the whole.
	_, join, _ := n.Decompose("Population of Texas and Florida?")
	_, ok := join([]*react.Result{{Answer: "The population of Texas is 29,145,505 people."}, {Answer: "I could not say."}})
	assert.False(t, ok)
	// Questions the model answers in one run are not decomposed; nor are
	// densities added.
	for _, q := range []string{"What is the population of Texas?", "How many times larger is Texas's area than Ohio's?",
		"What is the population of the capital of Ohio?", "How large is the population of Washington state?",
		"combined population density of Ohio and Texas", "Who is the governor of Ohio?"} {
		_, _, ok := n.Decompose(q)
		assert.False(t, ok, q)
	}
}
