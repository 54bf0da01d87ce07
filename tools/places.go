package tools

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Places recognises the places a search corpus knows in a query as people
// type them: any case ("texas"), postal codes written in capitals ("TX"),
// possessives ("Ohio's") and small typos ("Pennsylvnia", "Missisippi").
// A search that knows its places answers "No results" for a query that
// names none, instead of its corpus's best lexical match.
type Places struct {
	names   []string          // canonical names
	lower   []string          // the names in lower case
	aliases map[string]string // exact aliases (postal codes) -> name
	folded  map[string]string // aliases in any case ("calif", "fla") -> name
	// byShape lists the names (indexes) of each word count and length in
	// runes: a typo within two edits changes the length by at most two,
	// so Find compares a candidate with a few names, not all of them.
	byShape  map[[2]int][]int
	maxWords int
}

// NewPlaces indexes place names with their codes (code may be "").
func NewPlaces(names, codes []string) *Places {
	p := &Places{aliases: map[string]string{}, folded: map[string]string{}, byShape: map[[2]int][]int{}}
	for i, n := range names {
		p.names = append(p.names, n)
		l := strings.ToLower(n)
		p.lower = append(p.lower, l)
		nw := len(strings.Fields(l))
		shape := [2]int{nw, utf8.RuneCountInString(l)}
		p.byShape[shape] = append(p.byShape[shape], i)
		p.maxWords = max(p.maxWords, nw)
		if i < len(codes) && codes[i] != "" {
			p.aliases[codes[i]] = n
		}
	}
	return p
}

// AddAliases makes each word of aliases name a place in any case, with or
// without a final period: the abbreviations people write ("Calif.",
// "fla", "ca") that are not also everyday words.
func (p *Places) AddAliases(aliases map[string]string) {
	for w, n := range aliases {
		p.folded[strings.ToLower(w)] = n
	}
}

// alias is the place word names as a code or an abbreviation.
func (p *Places) alias(w string) (string, bool) {
	if n, ok := p.aliases[w]; ok {
		return n, true
	}
	if strings.Contains(w, ".") { // "N.Y." is NY
		if n, ok := p.aliases[strings.ReplaceAll(w, ".", "")]; ok {
			return n, true
		}
	}
	n, ok := p.folded[strings.ToLower(strings.TrimSuffix(w, "."))]
	return n, ok
}

// Find returns the places named in query, in order of appearance, each
// once.
func (p *Places) Find(query string) []string {
	return p.find(query, false)
}

// find is Find; all compares every name instead of those of about the
// candidate's length (the reference the index is tested against).
func (p *Places) find(query string, all bool) []string {
	words := placeWords(query)
	type hit struct{ at, name int }
	var hits []hit
	covered := make([]bool, len(words))
	// Two passes: names written exactly (in any case) first, then small
	// typos among the words left, so that a typo never swallows a word of
	// a name written right ("of Plais" is not "Oa Plains" when Plais is a
	// place).
	for _, exact := range []bool{true, false} {
		for i := 0; i < len(words); i++ {
			if covered[i] {
				continue
			}
			// Postal codes count only in capitals: "IN", "OR", "ME" are
			// words too (AddAliases adds those that are not).
			if n, ok := p.alias(words[i]); ok {
				if exact {
					hits = append(hits, hit{i, slices.Index(p.names, n)})
					covered[i] = true
				}
				continue
			}
			best, bestLen := p.match(words, covered, i, exact, all)
			if best >= 0 {
				hits = append(hits, hit{i, best})
				for k := i; k < i+bestLen; k++ {
					covered[k] = true
				}
				i += bestLen - 1
			}
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return a.at - b.at })
	var out []string
	for _, h := range hits {
		if n := p.names[h.name]; !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// match finds the name written at words[i:] (exactly, or within the
// typos its length allows), over words not yet covered by another name:
// the closest, then the longer, then the earlier one. It returns the name's
// index and its word count, or -1.
func (p *Places) match(words []string, covered []bool, i int, exact, all bool) (best, bestLen int) {
	best, bestDist := -1, 3
	for nw := 1; nw <= p.maxWords && i+nw <= len(words) && !covered[i+nw-1]; nw++ {
		cand := strings.ToLower(strings.Join(words[i:i+nw], " "))
		l := utf8.RuneCountInString(cand)
		try := func(k int) {
			name := p.names[k]
			limit := 0
			switch {
			case exact:
			case len(name) >= 9:
				limit = 2
			case len(name) >= 5:
				limit = 1
			}
			if nl := utf8.RuneCountInString(p.lower[k]); nl-l > limit || l-nl > limit {
				return
			}
			d := EditDistance(cand, p.lower[k], 2)
			if d <= limit && (d < bestDist || d == bestDist && (nw > bestLen || nw == bestLen && k < best)) {
				best, bestLen, bestDist = k, nw, d
			}
		}
		if all {
			for k := range p.names {
				if len(strings.Fields(p.lower[k])) == nw {
					try(k)
				}
			}
			continue
		}
		for dl := -2; dl <= 2; dl++ {
			for _, k := range p.byShape[[2]int{nw, l + dl}] {
				try(k)
			}
		}
	}
	return best, bestLen
}

// Words people use for what the corpus calls population and area.
var (
	populationWords = map[string]bool{"people": true, "residents": true, "inhabitants": true, "populous": true, "live": true, "lives": true, "living": true, "populated": true, "persons": true, "citizens": true}
	areaWords       = map[string]bool{"big": true, "bigger": true, "biggest": true, "size": true, "large": true, "larger": true, "square": true, "miles": true, "km": true, "sq": true, "mi": true, "acreage": true}
)

// AsksForFigure reports whether search reads w (in lower case) as asking
// for a population or an area ("people", "populated", "sq", "mi").
func AsksForFigure(w string) bool {
	return populationWords[w] || strings.HasPrefix(w, "populat") || areaWords[w] || w == "area"
}

// normalize spells postal codes out and adds the corpus's word for what
// the query asks about ("how many people live in X" finds X's population).
func (p *Places) normalize(query string) string {
	words := strings.Fields(query)
	pop, area := false, false
	for i, w := range words {
		bare := strings.Trim(w, ",;:?!'\"")
		if n, ok := p.alias(bare); ok {
			words[i] = n
		}
		bare = strings.Trim(bare, ".")
		lw := strings.ToLower(bare)
		pop = pop || populationWords[lw] || strings.HasPrefix(lw, "populat")
		area = area || areaWords[lw] || lw == "area"
	}
	q := strings.Join(words, " ")
	switch {
	case pop && !strings.Contains(strings.ToLower(q), "population"):
		q += " population"
	case area && !pop && !strings.Contains(strings.ToLower(q), "area"):
		q += " area"
	}
	return q
}

// placeWords splits a query into words without punctuation or a
// possessive 's.
func placeWords(q string) []string {
	f := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '.' })
	out := f[:0]
	for _, w := range f {
		w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
		w = strings.Trim(w, "'.")
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

// EditDistance is the Damerau-Levenshtein distance (adjacent swaps count
// one), or limit+1 once it exceeds limit.
func EditDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
