package synth

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools"
	"github.com/ponder-go/ponder/tools/corpus"
)

// Normalizer maps a question as people type it ("how many more people live
// in texas than FL", "Pennsylvnia population", "I'm curious, what's the
// land area of Utah") onto the phrasing the tiny model was trained on ("How
// much larger is Texas's population than Florida's?"), so the model reads
// questions in the only wording it knows. It understands the kinds the
// model can answer: lookups (population, total area, land area), ratios,
// sums, differences and densities of the places it knows. Anything else
// (another fact, another year than the 2020 census, a place it does not
// know, chit-chat, a comparison it was not trained to word) is not mapped,
// and the agent says what it can answer instead of guessing.
//
// It is a reader of the question, not a solver: the model still searches,
// calculates and writes the answer, and its answer is still checked
// against what it looked up.
type Normalizer struct {
	Places *tools.Places
}

// Question is a question read by a Normalizer.
type Question struct {
	Kind  string   // Ratio, Sum, Difference, Density, Lookup, Comparison or Capital
	Attr  string   // "population", "area", "land area", "population density" or "capital"
	Place []string // the places, in the order the question relates them
	// Attrs, when the question asks for several figures of one place
	// ("Alaska's capital and population"), are those figures in the order
	// asked (a Parts question).
	Attrs []string
	// Parts marks a question the model was not trained to answer in one
	// run but answers place by place (Decompose): densities or land areas
	// related, more than two places summed, several places looked up.
	Parts bool
}

// Canonical is the question in the trained wording (a comparison is
// asked as a ratio, and answered from it).
func (q Question) Canonical() string {
	switch q.Kind {
	case Ratio, Comparison:
		return fmt.Sprintf("How many times larger is %s's %s than %s's?", q.Place[0], q.Attr, q.Place[1])
	case Sum:
		return fmt.Sprintf("What is the combined %s of %s and %s?", q.Attr, q.Place[0], q.Place[1])
	case Difference:
		return fmt.Sprintf("How much larger is %s's %s than %s's?", q.Place[0], q.Attr, q.Place[1])
	case Density:
		return fmt.Sprintf("What is the population density of %s?", q.Place[0])
	case Capital:
		return fmt.Sprintf("What is the capital of %s?", q.Place[0])
	}
	return fmt.Sprintf("What is the %s of %s?", q.Attr, q.Place[0])
}

// Comparison is a question asking which of two places is larger.
const Comparison = "comparison"

var (
	washingtonDC = regexp.MustCompile(`(?i)\bwashington,?\s*d\.?\s?c\b\.?`)
	yearRE       = regexp.MustCompile(`\b(1[5-9]\d\d|2[01]\d\d)\b`)
	wordRE       = regexp.MustCompile(`[a-z]+`)
	digitRE      = regexp.MustCompile(`\d`)
	hyphenRE     = regexp.MustCompile(`(\pL)-(\pL)`)
	withWaterRE  = regexp.MustCompile(`(?i)\s*\b(?:including|incl\.?|with|plus|counting) (?:inland |its |the )?water\b`)
)

func hasAny(words map[string]bool, ws ...string) bool {
	for _, w := range ws {
		if words[w] {
			return true
		}
	}
	return false
}

// demonyms name a state's people: "Texans" are the people in Texas.
var demonyms = map[string]string{
	"alabamian": "Alabama", "alaskan": "Alaska", "arizonan": "Arizona", "arkansan": "Arkansas", "californian": "California",
	"coloradan": "Colorado", "delawarean": "Delaware", "floridian": "Florida", "idahoan": "Idaho", "illinoisan": "Illinois",
	"hoosier": "Indiana", "iowan": "Iowa", "kansan": "Kansas", "kentuckian": "Kentucky", "louisianan": "Louisiana",
	"louisianian": "Louisiana", "mainer": "Maine", "marylander": "Maryland", "michigander": "Michigan", "minnesotan": "Minnesota",
	"mississippian": "Mississippi", "missourian": "Missouri", "montanan": "Montana", "nebraskan": "Nebraska", "nevadan": "Nevada",
	"new yorker": "New York", "new jerseyan": "New Jersey", "new mexican": "New Mexico", "new hampshirite": "New Hampshire",
	"north carolinian": "North Carolina", "south carolinian": "South Carolina", "north dakotan": "North Dakota",
	"south dakotan": "South Dakota", "ohioan": "Ohio", "oklahoman": "Oklahoma", "oregonian": "Oregon",
	"pennsylvanian": "Pennsylvania", "rhode islander": "Rhode Island", "tennessean": "Tennessee", "texan": "Texas",
	"utahn": "Utah", "vermonter": "Vermont", "virginian": "Virginia", "west virginian": "West Virginia",
	"washingtonian": "Washington", "wisconsinite": "Wisconsin", "wyomingite": "Wyoming",
}

// nicknames are the states' best-known nicknames ("the Sunshine State").
var nicknames = map[string]string{
	"yellowhammer state": "Alabama", "heart of dixie": "Alabama", "last frontier": "Alaska", "grand canyon state": "Arizona",
	"natural state": "Arkansas", "golden state": "California", "centennial state": "Colorado", "constitution state": "Connecticut",
	"nutmeg state": "Connecticut", "first state": "Delaware", "diamond state": "Delaware", "sunshine state": "Florida",
	"peach state": "Georgia", "empire state of the south": "Georgia", "aloha state": "Hawaii", "gem state": "Idaho",
	"prairie state": "Illinois", "land of lincoln": "Illinois", "hoosier state": "Indiana", "hawkeye state": "Iowa",
	"sunflower state": "Kansas", "bluegrass state": "Kentucky", "pelican state": "Louisiana", "pine tree state": "Maine",
	"old line state": "Maryland", "bay state": "Massachusetts", "great lakes state": "Michigan", "wolverine state": "Michigan",
	"north star state": "Minnesota", "gopher state": "Minnesota", "magnolia state": "Mississippi", "show me state": "Missouri",
	"treasure state": "Montana", "big sky country": "Montana", "cornhusker state": "Nebraska", "silver state": "Nevada",
	"battle born state": "Nevada", "granite state": "New Hampshire", "garden state": "New Jersey", "land of enchantment": "New Mexico",
	"empire state": "New York", "tar heel state": "North Carolina", "old north state": "North Carolina", "peace garden state": "North Dakota",
	"buckeye state": "Ohio", "sooner state": "Oklahoma", "beaver state": "Oregon", "keystone state": "Pennsylvania",
	"ocean state": "Rhode Island", "palmetto state": "South Carolina", "mount rushmore state": "South Dakota",
	"volunteer state": "Tennessee", "lone star state": "Texas", "beehive state": "Utah", "green mountain state": "Vermont",
	"old dominion": "Virginia", "evergreen state": "Washington", "mountain state": "West Virginia", "badger state": "Wisconsin",
	"equality state": "Wyoming", "cowboy state": "Wyoming",
}

// alternation is a regexp alternation of m's keys, quoted, longest first
// so that a longer name wins over one it contains ("West Virginian" over
// "Virginian", "Green Mountain State" over "Mountain State"); sep is what
// matches a space of a key.
func alternation(m map[string]string, sep string) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, strings.ReplaceAll(regexp.QuoteMeta(k), " ", sep))
	}
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	return strings.Join(names, "|")
}

var (
	// nicknameRE finds a nickname, with or without "the".
	nicknameRE = regexp.MustCompile(`(?i)\b(?:the\s+)?(?:` + alternation(nicknames, `[\s-]+`) + `)\b`)
	// demonymRE finds a demonym in the plural ("Texans").
	demonymRE = regexp.MustCompile(`(?i)\b(?:` + alternation(demonyms, " ") + `)s\b`)
)

// The words that ask for each figure, for questions asking several.
var figureWords = []struct {
	attr string
	re   *regexp.Regexp
}{
	{"population", regexp.MustCompile(`\b(population|people|residents|inhabitants|live|lives|living|folks|pop)\b`)},
	{"land area", regexp.MustCompile(`\bland\b`)},
	{"area", regexp.MustCompile(`\b(area|size|big|large|square miles)\b`)},
	{"capital", regexp.MustCompile(`\bcapit[ao]l\b`)},
}

// figuresAsked lists the figures text asks for, in the order it asks
// them ("land area" rather than "area" when it says land).
func figuresAsked(text string) []string {
	type found struct {
		attr string
		at   int
	}
	var fs []found
	land := false
	for _, f := range figureWords {
		loc := f.re.FindStringIndex(text)
		if loc == nil || f.attr == "area" && land {
			continue
		}
		land = land || f.attr == "land area"
		fs = append(fs, found{f.attr, loc[0]})
	}
	slices.SortFunc(fs, func(a, b found) int { return a.at - b.at })
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.attr
	}
	return out
}

// stateGroups are the names of pairs of states people ask about together.
var stateGroups = map[string]string{
	"dakotas": "North Dakota and South Dakota", "carolinas": "North Carolina and South Carolina", "virginias": "Virginia and West Virginia",
}

var stateGroupRE = regexp.MustCompile(`(?i)\b(?:the )?(?:dakotas|carolinas|virginias)\b`)

// keywords are the long words a question turns on, which people mistype.
var keywords = []string{"population", "populations", "populated", "populous", "density", "residents", "inhabitants", "capital", "square"}

// keyword is the keyword w is a small typo of ("populaton"), or "".
func keyword(w string) string {
	if len(w) < 6 {
		return ""
	}
	limit := 1
	if len(w) >= 9 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, k := range keywords {
		if d := tools.EditDistance(w, k, limit); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// Read understands q, or reports false with the reason it cannot.
// compassRE matches a state name whose North, South or West is cut to its
// initial.
var compassRE = regexp.MustCompile(`(?i)(^|[\s(,])([nsw])(?:\.\s*|\s+)(dakota|carolina|virginia)\b`)

var compass = map[string]string{"ndakota": "North", "sdakota": "South", "ncarolina": "North", "scarolina": "South", "wvirginia": "West"}

func (n *Normalizer) Read(q string) (Question, string, bool) {
	q = strings.TrimSpace(q)
	if q == "" {
		return Question{}, "empty question", false
	}
	// A question typed in capitals is read in lower case: "IN", "OR" and
	// "ME" are words there, not postal codes.
	if strings.ToUpper(q) == q && strings.ToLower(q) != q {
		q = strings.ToLower(q)
	}
	// "N. Dakota", "S Carolina", "W. Va" name the states written out.
	q = compassRE.ReplaceAllStringFunc(q, func(m string) string {
		sub := compassRE.FindStringSubmatch(m)
		if c, ok := compass[strings.ToLower(sub[2]+sub[3])]; ok {
			return sub[1] + c + " " + sub[3]
		}
		return m
	})
	for _, y := range yearRE.FindAllString(q, -1) {
		if y != "2020" {
			return Question{}, "asks about " + y + ", not the 2020 census", false
		}
	}
	// A number besides the census year is arithmetic or a fact the model
	// was not trained to apply ("divided by 2", "top 5", "in 1 word").
	if digitRE.MatchString(yearRE.ReplaceAllString(q, "")) {
		return Question{}, "has a number the model cannot use", false
	}
	q = washingtonDC.ReplaceAllString(q, "District of Columbia")
	// "Texas + Florida" adds; "per-square-mile" is "per square mile";
	// "total area including water" is the total area.
	q = strings.NewReplacer(" + ", " plus ", "+", " plus ", " & ", " and ").Replace(q)
	q = hyphenRE.ReplaceAllString(q, "$1 $2")
	q = withWaterRE.ReplaceAllString(q, " ")
	q = stateGroupRE.ReplaceAllStringFunc(q, func(m string) string {
		return stateGroups[strings.TrimPrefix(strings.ToLower(m), "the ")]
	})
	// "The Sunshine State" is Florida.
	q = nicknameRE.ReplaceAllStringFunc(q, func(m string) string {
		key := strings.Join(strings.FieldsFunc(strings.ToLower(m), func(r rune) bool { return r == ' ' || r == '-' || r == '\t' }), " ")
		return nicknames[strings.TrimPrefix(key, "the ")]
	})
	// "How many Texans are there?" asks how many people live in Texas.
	q = demonymRE.ReplaceAllStringFunc(q, func(m string) string {
		return "people in " + demonyms[strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(m, "s"), "S"))]
	})
	places := n.Places.Find(q)
	if len(places) == 0 {
		return Question{}, "names no US state", false
	}
	lower := strings.ToLower(q)
	// The words around the places: "Fort Plos Bay" names a place, where
	// "bay" alone would be a landmark.
	rest := lower
	for _, p := range places {
		rest = strings.ReplaceAll(rest, strings.ToLower(p), " ")
	}
	words := map[string]bool{}
	for _, w := range wordRE.FindAllString(rest, -1) {
		words[w] = true
		if k := keyword(w); k != "" {
			words[k] = true // "populaton" reads as "population"
		}
	}
	phrase := func(ps ...string) bool { return containsAny(lower, ps...) }
	// What the question asks about.
	var attr string
	density := hasAny(words, "density", "densely", "dense", "denser", "densest", "crowded") || phrase("per square mile", "per sq", "a square mile", "each square mile")
	switch {
	case density:
		attr = "density"
	case hasAny(words, "population", "populations", "populous", "people", "residents", "inhabitants", "persons", "citizens", "live", "lives", "living", "populated", "folks", "pop", "headcount", "ppl", "census", "count", "populace"):
		attr = "population"
	case words["land"]:
		attr = "land area"
	case hasAny(words, "area", "areas", "square", "sq", "miles", "mi", "big", "bigger", "biggest", "large", "larger", "largest", "size", "sizes", "sized", "huge", "small", "smaller") || phrase(" fit in", " fits in", " fit inside"):
		attr = "area"
	case hasAny(words, "capital", "capitol", "capitals", "capitols"):
		attr = "capital"
	default:
		return Question{}, "asks about something other than population, area or the capital", false
	}
	// Several figures of one place, joined by "and", are asked one by one.
	var several []string
	if len(places) == 1 && attr != "density" && strings.Contains(lower, " and ") && !phrase("of the capital", "capital's", "capital city") {
		several = figuresAsked(rest)
	}
	if len(several) < 2 && phrase("population and area", "area and population", "population and size", "size and population", "population and land", "land area and population") {
		return Question{}, "asks for two figures at once", false
	}
	if len(several) < 2 && attr != "capital" && hasAny(words, "capital", "capitol", "capitals", "capitols") {
		return Question{}, "asks about a capital city's figures", false
	}
	// Other units and other kinds of area are not what the corpus states.
	if hasAny(words, "km", "kilometers", "kilometres", "kilometer", "kilometre", "hectares", "acres", "acreage", "water", "coastline", "shoreline", "metric") {
		return Question{}, "asks in units or for an area the corpus does not state", false
	}
	// "Kansas City", "Oklahoma City", "New York City" are cities named
	// after a state, not the state.
	for _, p := range places {
		if strings.Contains(lower, strings.ToLower(p)+" city") {
			return Question{}, "asks about a city named after a state", false
		}
	}
	// Other facts about a place are not what the model knows, even when
	// the question also says "people" ("how many people work in ...").
	if attr == "capital" {
		delete(words, "city") // "the capital city of Maine"
		delete(words, "cities")
	}
	// "A's population divided by B's" is their ratio: the one division
	// the model was trained to do.
	dividedRatio := len(places) == 2 && phrase("divided by") && !phrase("divided by its", "divided by the", "divided by their", "divided by two", "divided by 2")
	if dividedRatio {
		delete(words, "divided")
		words["ratio"] = true
	}
	if hasAny(words, "governor", "gdp", "country", "nation", "countries", "income", "salary", "weather", "bird", "flower", "tallest", "counties", "cities", "city", "unemployment", "rate", "growth", "grow", "grew", "born", "die", "died", "vote", "voted", "work", "speak", "spoken", "tax", "taxes", "crime", "founded", "admitted", "became", "elevation", "highest", "rain", "temperature", "team", "won", "percent", "percentage", "average", "median", "per",
		// change over time and arithmetic on the figure
		"growing", "grows", "increase", "increased", "increasing", "decrease", "decreased", "declining", "decline", "change", "changed", "projected", "projection", "forecast", "future", "history", "historical",
		"share", "fraction", "proportion", "portion", "half", "double", "twice", "triple", "divided", "divide", "multiplied", "squared", "rounded", "million", "millions", "billion", "thousand", "thousands",
		// places inside or beside a state, not the state
		"beach", "springs", "river", "lake", "lakes", "county", "falls", "bay", "valley", "mountain", "mountains", "park", "university", "college", "airport", "keys", "panhandle", "gulf", "desert", "forest", "town", "towns", "village", "metro", "metropolitan", "suburb", "suburbs", "downtown", "borough") && !density {
		return Question{}, "asks about another fact", false
	}
	// The census is a count of 2020, not a forecast.
	if phrase("will be", "will have", "will it be", "going to be", "next year", "next decade", "in the future", "years from now") {
		return Question{}, "asks about the future", false
	}
	// "Are Vermont and New Hampshire combined bigger than Maine?" weighs a
	// sum against a place: a comparison the model was not trained on.
	if len(places) > 2 && phrase(" than ") {
		return Question{}, "compares more than two places", false
	}
	if len(several) >= 2 {
		return Question{Kind: Lookup, Attr: several[0], Attrs: several, Place: places, Parts: true}, "", true
	}
	if attr == "capital" {
		// Several places' capitals are asked place by place.
		return Question{Kind: Capital, Attr: "capital", Place: places, Parts: len(places) > 1}, "", true
	}
	ratio := hasAny(words, "times", "ratio", "factor", "fold", "multiple", "relative")
	sum := hasAny(words, "combined", "together", "plus", "sum", "both", "altogether", "add", "added", "total") && len(places) >= 2
	fewer := hasAny(words, "fewer", "less", "smaller")
	diff := fewer || hasAny(words, "more", "difference", "bigger", "larger", "exceed", "exceeds", "greater", "than", "subtract", "minus", "gap")
	yesNo := asksYesNo(lower) && !words["how"]
	which := hasAny(words, "which", "whether", "compare", "compared", "comparison", "versus", "vs", "rank", "order", "sort") || strings.Contains(lower, " or ") || yesNo

	// A list of places with nothing relating them asks for each.
	list := !ratio && !sum && !diff && !which && (strings.Contains(lower, " and ") || strings.Contains(lower, ","))
	switch {
	case attr == "density" && len(places) == 1:
		return Question{Kind: Density, Attr: "population", Place: places}, "", true
	case len(places) == 1:
		if ratio || sum || which && !yesNo || phrase(" than ", "compared") {
			return Question{}, "compares with a place it does not know", false
		}
		// "Is Alaska the biggest state?" ranks one place among all.
		if hasAny(words, "biggest", "largest", "smallest", "fewest", "most", "least", "rank", "ranked", "ranking", "ranks") && !words["recent"] {
			return Question{}, "ranks a place among all the states", false
		}
		return Question{Kind: Lookup, Attr: attr, Place: places}, "", true
	case attr == "density":
		attr = "population density"
	}
	if len(places) > 2 || attr == "population density" || attr == "land area" || list {
		// Answered place by place: the model was trained on two places
		// related by population or total area.
		switch {
		case list && attr != "population density":
			return Question{Kind: Lookup, Attr: attr, Place: places, Parts: true}, "", true
		case len(places) > 2 && sum && attr != "population density":
			return Question{Kind: Sum, Attr: attr, Place: places, Parts: true}, "", true
		case len(places) > 2 && which && !ratio:
			// "Which of Texas, Ohio and Utah is biggest?": each looked
			// up, the largest (or smallest) named.
			return Question{Kind: Comparison, Attr: attr, Place: places, Parts: true}, "", true
		case len(places) > 2:
			return Question{}, "relates more than two places other than by a sum", false
		}
		q, reason, ok := relateTwo(attr, places, lower, ratio, sum, diff, fewer, which)
		if !ok || q.Kind == Sum && attr == "population density" {
			return Question{}, cmp.Or(reason, "adds densities"), false
		}
		q.Parts = true
		return q, "", true
	}
	return relateTwo(attr, places, lower, ratio, sum, diff, fewer, which)
}

// relateTwo reads how a question relates two places' figures.
func relateTwo(attr string, places []string, lower string, ratio, sum, diff, fewer, which bool) (Question, string, bool) {
	phrase := func(ps ...string) bool { return containsAny(lower, ps...) }
	switch {
	case !ratio && !sum && phrase("how many more", "how much more", "how many fewer", "how much less", "how much bigger", "how much larger", "how much smaller", "difference"):
		// "How many more residents does Illinois have compared to Ohio?"
		// asks for a difference, whatever else it says.
		p := places
		if fewer {
			p = []string{places[1], places[0]}
		}
		return Question{Kind: Difference, Attr: attr, Place: p}, "", true
	case which && !ratio && !sum:
		return Question{Kind: Comparison, Attr: attr, Place: places}, "", true
	case ratio:
		return Question{Kind: Ratio, Attr: attr, Place: places}, "", true
	case phrase(" fit in", " fits in", " fit inside"):
		// "How many Rhode Islands fit in Alaska?" is Alaska's area over
		// Rhode Island's.
		return Question{Kind: Ratio, Attr: "area", Place: []string{places[1], places[0]}}, "", true
	case sum:
		return Question{Kind: Sum, Attr: attr, Place: places}, "", true
	case diff:
		p := places
		if fewer {
			p = []string{places[1], places[0]}
		}
		return Question{Kind: Difference, Attr: attr, Place: p}, "", true
	}
	return Question{}, "names two places without saying how to relate them", false
}

// Rewrite is a react.Agent.Rewrite: the question in the trained wording,
// or false.
func (n *Normalizer) Rewrite(q string) (string, bool) {
	if noToolRE.MatchString(q) {
		return q, true // the trained question that needs no tool
	}
	r, _, ok := n.Read(q)
	if !ok || r.Parts {
		return "", false
	}
	return r.Canonical(), true
}

// Decompose is a react.Agent.Decompose: a question Read marks Parts is
// asked place by place in the trained wording ("What is the population
// density of Ohio?"), and the figures the runs found are related here:
// the ratio, sum, difference or comparison the question asked for, from
// the exact figures (a density as the calculator gave it, a lookup as
// the corpus states it).
func (n *Normalizer) Decompose(question string) ([]string, func([]*react.Result) (string, bool), bool) {
	if n.Places == nil {
		return nil, nil, false
	}
	q, _, ok := n.Read(question)
	if !ok || !q.Parts {
		return nil, nil, false
	}
	if len(q.Attrs) > 1 || q.Kind == Capital {
		// Several figures of one place, or several places' capitals: each
		// asked, the answers together.
		var parts []string
		for _, a := range q.Attrs {
			kind := Lookup
			if a == "capital" {
				kind = Capital
			}
			parts = append(parts, Question{Kind: kind, Attr: a, Place: q.Place}.Canonical())
		}
		if q.Kind == Capital {
			for _, p := range q.Place {
				parts = append(parts, Question{Kind: Capital, Attr: "capital", Place: []string{p}}.Canonical())
			}
		}
		return parts, func(rs []*react.Result) (string, bool) {
			if len(rs) != len(parts) {
				return "", false
			}
			answers := make([]string, len(rs))
			for i, r := range rs {
				answers[i] = strings.TrimSpace(r.Answer)
			}
			return strings.Join(answers, " "), true
		}, true
	}
	parts := make([]string, len(q.Place))
	for i, p := range q.Place {
		if q.Attr == "population density" {
			parts[i] = Question{Kind: Density, Attr: "population", Place: []string{p}}.Canonical()
		} else {
			parts[i] = Question{Kind: Lookup, Attr: q.Attr, Place: []string{p}}.Canonical()
		}
	}
	join := func(rs []*react.Result) (string, bool) {
		if len(rs) != len(q.Place) {
			return "", false
		}
		vals := make([]float64, len(rs))
		for i, r := range rs {
			v, ok := partFigure(q.Attr, r)
			if !ok {
				return "", false
			}
			vals[i] = v
		}
		total := 0.0
		for _, v := range vals {
			total += v
		}
		switch q.Kind {
		case Lookup:
			var b strings.Builder
			for i, r := range rs {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(strings.TrimSpace(r.Answer))
			}
			if q.Attr != "population density" {
				fmt.Fprintf(&b, " Combined, their %s is %s%s.", q.Attr, corpus.Group(total, 2), unit(q.Attr))
			}
			return b.String(), true
		case Sum:
			return fmt.Sprintf("The combined %s of %s is %s%s.", q.Attr, listNames(q.Place), corpus.Group(total, 2), unit(q.Attr)), true
		case Ratio:
			if vals[1] == 0 {
				return "", false
			}
			return fmt.Sprintf("%s's %s is about %s times %s's.", q.Place[0], q.Attr, round1(vals[0]/vals[1]), q.Place[1]), true
		case Difference:
			d := vals[0] - vals[1]
			a := q.Place[0]
			if d < 0 {
				a, d = q.Place[1], -d
			}
			return fmt.Sprintf("The %s of %s is larger by %s%s.", q.Attr, a, corpus.Group(d, 2), unit(q.Attr)), true
		case Comparison:
			if len(vals) > 2 {
				return extremeAnswer(question, q, vals), true
			}
			if vals[1] == 0 {
				return "", false
			}
			return compareAnswer(question, q, vals[0]/vals[1]), true
		}
		return "", false
	}
	return parts, join, true
}

// partFigure is the figure a part's run found: a density as the
// calculator computed it, a lookup's first number as the corpus states it.
func partFigure(attr string, r *react.Result) (float64, bool) {
	if attr == "population density" {
		v, ok := lastCalculation(r.Steps)
		return v, ok && v > 0
	}
	v, ok := tools.ParseWrittenNumber(tools.WrittenNumber.FindString(r.Answer))
	return v, ok && v > 0
}

// listNames writes "A, B and C".
func listNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// Finish is a react.Agent.Finish for the bundled model: a one-decimal
// figure copied from the calculator is rounded, not truncated (the model
// copies the digits it sees: 430.898 would read "430.8"), a comparison is
// answered with the place that is larger, and a lookup or capital whose
// answer lacks what the model's own search found is answered from it.
func (n *Normalizer) Finish(question, answer string, steps []react.Step) string {
	answer = groupDigits(roundFromCalculator(answer, steps), steps)
	if n.Places == nil {
		return answer
	}
	q, _, ok := n.Read(question)
	if ok && q.Kind == Capital {
		// The capital as the passage the model found states it, in the
		// trained sentence: where the model's copy went wrong, and where
		// it wrote the right name among repeated words ("Raleigh total is
		// Raleigh my is Raleigh").
		if c, found := capitalIn(steps, q.Place[0]); found {
			return fmt.Sprintf("The capital of %s is %s.", q.Place[0], c)
		}
		return answer
	}
	if ok && q.Kind == Lookup && !q.Parts && len(q.Place) == 1 {
		// The figure as the passage the model found states it, in the
		// trained sentence: where the model answered something else (a
		// density for "the population of Massachusetts", having gone on
		// to divide), and where it wrapped the right figure in repeated
		// words.
		if v, found := figureIn(steps, q.Place[0], q.Attr); found {
			return lookupAnswer(q.Place[0], q.Attr, v)
		}
		return answer
	}
	v, calculated := lastCalculation(steps)
	if !ok || !calculated {
		return answer
	}
	switch q.Kind {
	case Difference:
		if v < 0 {
			// The model copies the digits without the sign: say which
			// place is larger.
			answer = fmt.Sprintf("The %s of %s is larger by %s.", q.Attr, q.Place[1], corpus.Group(-v, 2))
		}
	case Comparison:
		return compareAnswer(question, q, v)
	}
	if (q.Kind == Difference || q.Kind == Sum) && strings.HasSuffix(q.Attr, "area") && !strings.Contains(answer, "square mile") {
		// "larger by 397,125.85" of what: the corpus's unit.
		answer = trailingNumberRE.ReplaceAllString(answer, "$1 square miles.")
	}
	return answer
}

// capitalIn finds the capital of place in the search passages of steps
// ("[1] Kansas: ... Its capital is Topeka, with ...").
func capitalIn(steps []react.Step, place string) (string, bool) {
	for _, s := range steps {
		if s.Action != "search" {
			continue
		}
		for _, m := range capitalRE.FindAllStringSubmatch(s.Observation, -1) {
			if m[1] == place {
				return strings.TrimSpace(m[2]), true
			}
		}
	}
	return "", false
}

// figureIn finds place's attr in the search passages of steps, as the
// passage writes it.
func figureIn(steps []react.Step, place, attr string) (string, bool) {
	for _, s := range steps {
		if s.Action != "search" {
			continue
		}
		if v, err := extract(s.Observation, place, attr); err == nil {
			return v, true
		}
	}
	return "", false
}

// capitalRE finds a search passage's place and the capital it states.
var capitalRE = regexp.MustCompile(`\[\d+\] ([^:\[]+):[^\[]*?Its capital is ([A-Z][^,.\[]*?)(?:,|\.|$)`)

// unit is what a figure of attr is counted in, as the corpus writes it
// after the number.
func unit(attr string) string {
	if strings.HasSuffix(attr, "area") {
		return " square miles"
	}
	return ""
}

var trailingNumberRE = regexp.MustCompile(`(\d)\.?$`)

// groupDigits writes the calculator's last result, where the answer
// copies it, with thousands separators as the corpus writes figures
// (2005436 reads 2,005,436).
func groupDigits(answer string, steps []react.Step) string {
	v, ok := lastCalculation(steps)
	if !ok || math.Abs(v) < 10000 {
		return answer
	}
	plain := tools.FormatNumber(v)
	re := regexp.MustCompile(`(^|[^\d.,])` + regexp.QuoteMeta(strings.TrimPrefix(plain, "-")) + `($|[^\d,]|\.($|\D))`)
	return re.ReplaceAllStringFunc(answer, func(m string) string {
		return strings.Replace(m, strings.TrimPrefix(plain, "-"), corpus.Group(math.Abs(v), 2), 1)
	})
}

// containsAny reports whether s contains any of ps.
func containsAny(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// asksYesNo reports a question that opens as a yes/no one ("is", "does",
// "has" ...).
func asksYesNo(lower string) bool {
	// The question's first word, or its last sentence's ("My friend says
	// Texas has more people than California. Is that true?").
	sentences := strings.FieldsFunc(lower, func(r rune) bool { return r == '.' || r == '?' || r == '!' })
	firsts := []string{wordRE.FindString(lower)}
	if len(sentences) > 1 {
		firsts = append(firsts, wordRE.FindString(sentences[len(sentences)-1]))
	}
	for _, w := range firsts {
		switch w {
		case "is", "are", "does", "do", "has", "have":
			return true
		}
	}
	return containsAny(lower, "is that true", "is it true", "is this true", "true or false", "right?", "correct?")
}

// compareAnswer answers a comparison of q's two places whose figures stand
// in ratio v: the place the question asks for (the larger, or the smaller
// for "which is smaller"), with "Yes." or "No." for "Is A larger than B?".
func compareAnswer(question string, q Question, v float64) string {
	a, b := q.Place[0], q.Place[1]
	lower := strings.ToLower(question)
	words := questionWords(lower)
	smaller := asksSmaller(words)
	// "Is A bigger than B?" asks yes or no; "Are there more people in A
	// or B?" asks which.
	yesNo := asksYesNo(lower) && (words["than"] || !words["or"])
	if !smaller && hasAny(words, smallWords...) {
		// "Is A bigger or smaller than B?" asks which is larger.
		yesNo = false
	}
	var out string
	switch {
	case smaller && v >= 1:
		out = fmt.Sprintf("%s has a smaller %s: %s's %s is only about %s times %s's.", b, q.Attr, b, q.Attr, roundRatio(1/v), a)
	case smaller:
		out = fmt.Sprintf("%s has a smaller %s: %s's %s is only about %s times %s's.", a, q.Attr, a, q.Attr, roundRatio(v), b)
	case v >= 1:
		out = fmt.Sprintf("%s has a larger %s: %s's %s is about %s times %s's.", a, q.Attr, a, q.Attr, roundRatio(v), b)
	default:
		out = fmt.Sprintf("%s has a larger %s: %s's %s is only about %s times %s's.", b, q.Attr, a, q.Attr, roundRatio(v), b)
	}
	if yesNo {
		// "Is A bigger than B?" claims A is the larger one; "Is A
		// smaller ...?" that it is the smaller.
		if (v >= 1) != smaller {
			return "Yes. " + out
		}
		return "No. " + out
	}
	return out
}

func questionWords(lower string) map[string]bool {
	words := map[string]bool{}
	for _, w := range wordRE.FindAllString(lower, -1) {
		words[w] = true
	}
	return words
}

// The words that ask for the smaller or the larger of places.
var (
	smallWords = []string{"smaller", "smallest", "fewer", "fewest", "less", "least", "tinier", "tiniest"}
	bigWords   = []string{"bigger", "larger", "greater", "more", "biggest", "largest"}
)

// asksSmaller reports a question asking for the smaller place ("Which is
// smaller, A or B?"), not one asking "bigger or smaller".
func asksSmaller(words map[string]bool) bool {
	return hasAny(words, smallWords...) && !hasAny(words, bigWords...)
}

// extremeAnswer names the largest (or, asked so, the smallest) of three
// or more places by the figures their parts found, with every figure.
func extremeAnswer(question string, q Question, vals []float64) string {
	smaller := asksSmaller(questionWords(strings.ToLower(question)))
	best := 0
	for i, v := range vals {
		if smaller && v < vals[best] || !smaller && v > vals[best] {
			best = i
		}
	}
	figure := func(v float64) string {
		switch q.Attr {
		case "population density":
			return round1(v) + " people per square mile"
		case "population":
			return corpus.Group(v, 2) + " people"
		}
		return corpus.Group(v, 2) + unit(q.Attr)
	}
	var others []string
	for i, p := range q.Place {
		if i != best {
			others = append(others, p+" "+figure(vals[i]))
		}
	}
	most := "largest"
	if smaller {
		most = "smallest"
	}
	return fmt.Sprintf("%s has the %s %s of the %d: %s (%s).", q.Place[best], most, q.Attr, len(vals), figure(vals[best]), strings.Join(others, ", "))
}

// roundRatio writes a comparison's ratio to one decimal, or to as many as
// it takes not to read 1.0 ("about 1.03 times", not "about 1.0 times",
// which would not say which is larger).
func roundRatio(v float64) string {
	d, r := 1, math.Round(v*10)/10
	for ; r == 1 && d < 4; d++ {
		p := math.Pow(10, float64(d+1))
		r = math.Round(v*p) / p
	}
	return strconv.FormatFloat(r, 'f', d, 64)
}

// lastCalculation is the calculator's last result in steps.
func lastCalculation(steps []react.Step) (float64, bool) {
	var last string
	for _, s := range steps {
		if s.Action == "calculator" && s.ToolError == "" && s.Observation != "" {
			last = strings.TrimSpace(s.Observation)
		}
	}
	if last == "" {
		return 0, false
	}
	return tools.ParseWrittenNumber(last)
}

var noToolRE = regexp.MustCompile(`^Which place does this question name: .+\?$`)

var oneDecimal = regexp.MustCompile(`about (\d[\d,]*\.\d)\b`)

// roundFromCalculator replaces "about X.Y" by the calculator's last result
// rounded to one decimal, when X.Y is that result truncated.
func roundFromCalculator(answer string, steps []react.Step) string {
	v, ok := lastCalculation(steps)
	if !ok {
		return answer
	}
	return oneDecimal.ReplaceAllStringFunc(answer, func(m string) string {
		got := strings.TrimPrefix(m, "about ")
		x, ok := tools.ParseWrittenNumber(got)
		if !ok || math.Abs(x-math.Trunc(v*10)/10) > 1e-9 {
			return m
		}
		return "about " + round1(v)
	})
}
