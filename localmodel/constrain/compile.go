package constrain

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ponder-go/ponder/llm"
)

// Program is a compiled constraint: a byte NFA whose dead states are pruned.
type Program struct {
	n     *nfa
	alive []bool // states from which an accepting state is reachable
	// dist is, per state, the fewest bytes from it to acceptance.
	dist  []int32
	start int
	// marks lends closure computations a mark per NFA state (*marks), so
	// that a new matcher does not clear one of its own.
	marks sync.Pool
}

// marks flags NFA states: those whose mark equals stamp are flagged.
type marks struct {
	mark  []uint32
	stamp uint32
}

// computeDistance finds, for every state, the fewest bytes that complete
// the output (0-1 BFS backwards from the accepting states: epsilon moves
// cost nothing, byte edges one).
func (p *Program) computeDistance() {
	n := p.n
	const inf = int32(1 << 30)
	p.dist = make([]int32, len(n.trans))
	rev := make([][]int32, len(n.trans)) // byte edges backwards
	revEps := make([][]int32, len(n.trans))
	for s := range n.trans {
		p.dist[s] = inf
		for _, e := range n.trans[s] {
			rev[e.to] = append(rev[e.to], int32(s))
		}
		for _, t := range n.eps[s] {
			revEps[t] = append(revEps[t], int32(s))
		}
	}
	// Level by level: a level's epsilon predecessors join it, its byte
	// predecessors form the next one.
	var cur []int32
	for st, a := range n.accept {
		if a {
			p.dist[st] = 0
			cur = append(cur, int32(st))
		}
	}
	for level := int32(0); len(cur) > 0; level++ {
		var next []int32
		for i := 0; i < len(cur); i++ {
			st := cur[i]
			if p.dist[st] != level {
				continue // reached more cheaply already
			}
			for _, t := range revEps[st] {
				if p.dist[t] > level {
					p.dist[t] = level
					cur = append(cur, t)
				}
			}
			for _, t := range rev[st] {
				if p.dist[t] > level+1 {
					p.dist[t] = level + 1
					next = append(next, t)
				}
			}
		}
		cur = next
	}
}

// MinBytes is the fewest bytes of output that satisfy the constraint.
func (p *Program) MinBytes() int { return int(p.dist[p.start]) }

// Compile turns a constraint into a Program.
func Compile(c *llm.Constraint) (*Program, error) {
	n := &nfa{}
	f, err := n.constraint(c, "")
	if err == nil && n.full {
		err = fmt.Errorf("%w: the automaton needs more than %d states (a long repetition of a large character class?)", ErrTooComplex, MaxNFAStates)
	}
	if err != nil {
		return nil, err
	}
	n.accept[f.out] = true
	p := &Program{n: n, start: f.in}
	p.computeAlive()
	p.computeDistance()
	if !p.alive[p.start] {
		return nil, fmt.Errorf("constrain: the constraint accepts no output at all")
	}
	return p, nil
}

// CompileRegex is Compile for a regular expression.
func CompileRegex(pattern string) (*Program, error) {
	return Compile(&llm.Constraint{Kind: llm.ConstraintRegex, Regex: pattern})
}

func (n *nfa) constraint(c *llm.Constraint, where string) (frag, error) {
	if c == nil {
		return frag{}, fmt.Errorf("constrain: empty constraint%s", where)
	}
	switch c.Kind {
	case llm.ConstraintRegex:
		re, err := parseRegex(c.Regex)
		if err != nil {
			return frag{}, err
		}
		return n.regex(re)
	case llm.ConstraintChoice:
		if len(c.Choices) == 0 {
			return frag{}, fmt.Errorf("constrain: choice constraint%s has no choices", where)
		}
		fs := make([]frag, len(c.Choices))
		for i, s := range c.Choices {
			fs[i] = n.literal([]byte(s))
		}
		return n.alt(fs...), nil
	case llm.ConstraintJSONSchema:
		return n.schemaNFA(c.Schema)
	case llm.ConstraintTemplate:
		var fs []frag
		for i, seg := range c.Segments {
			if seg.Hole == nil {
				fs = append(fs, n.literal([]byte(seg.Text)))
				continue
			}
			f, err := n.constraint(seg.Hole, fmt.Sprintf("%s in template hole %d", where, i))
			if err != nil {
				return frag{}, err
			}
			fs = append(fs, f)
		}
		return n.concat(fs...), nil
	case llm.ConstraintAnyOf:
		if len(c.AnyOf) == 0 {
			return frag{}, fmt.Errorf("constrain: any_of%s has no alternatives", where)
		}
		fs := make([]frag, len(c.AnyOf))
		for i, a := range c.AnyOf {
			f, err := n.constraint(a, fmt.Sprintf("%s in any_of %d", where, i))
			if err != nil {
				return frag{}, err
			}
			fs[i] = f
		}
		return n.alt(fs...), nil
	case llm.ConstraintSpan:
		if c.Words {
			return n.words(c.Source)
		}
		if c.NumbersOnly {
			nums := Numbers(c.Source)
			if len(nums) == 0 {
				return frag{}, fmt.Errorf("constrain: numbers-only span%s: the source has no numbers", where)
			}
			fs := make([]frag, len(nums))
			for i, s := range nums {
				fs[i] = n.literal([]byte(s))
			}
			return n.alt(fs...), nil
		}
		return n.span([]byte(c.Source))
	case llm.ConstraintGrammar:
		return frag{}, fmt.Errorf("%w: grammar constraints%s (use regex, json_schema, choice, template or span)", ErrUnsupported, where)
	}
	return frag{}, fmt.Errorf("%w: constraint kind %q%s", ErrUnsupported, c.Kind, where)
}

// span adds a fragment matching any run of whole words of src: it starts at
// a word start and ends at a word end, and copies the bytes in between.
func (n *nfa) span(src []byte) (frag, error) {
	if len(strings.TrimSpace(string(src))) == 0 {
		return frag{}, fmt.Errorf("constrain: span source is empty")
	}
	in, out := n.add(), n.add()
	pos := make([]int, len(src)+1)
	for i := range pos {
		pos[i] = n.add()
	}
	for i := 0; i < len(src); i++ {
		n.edge(pos[i], src[i], src[i], pos[i+1])
	}
	isWord := func(i int) bool {
		if i < 0 || i >= len(src) {
			return false
		}
		r, _ := utf8.DecodeRune(src[i:])
		return unicode.IsLetter(r) || unicode.IsDigit(r) || src[i] >= 0x80
	}
	for i := 0; i < len(src); i++ {
		if isWord(i) && !isWord(i-1) {
			n.epsilon(in, pos[i])
		}
		if isWord(i) && !isWord(i+1) {
			n.epsilon(pos[i+1], out)
		}
	}
	return frag{in, out}, nil
}

var (
	wordRE = regexp.MustCompile(`[\p{L}][\p{L}\p{N}]*`)
	// A name run may join capitalised words with "of" ("District of
	// Columbia", "Isle of Man").
	nameRunRE = regexp.MustCompile(`\p{Lu}[\p{L}\p{N}]*(?: (?:of )?\p{Lu}[\p{L}\p{N}]*)+`)
)

// words adds a fragment for a sequence of the words (with letters) and
// exact numbers of src, separated by spaces and simple punctuation. A number
// never touches a comma or period separator, so digits cannot be glued into
// a number that is not in src ("1" "," "1" must not make "1,1").
func (n *nfa) words(src string) (frag, error) {
	wordSet, numSet := map[string]bool{}, map[string]bool{}
	// Proper names are copied whole: a word that occurs in src only inside
	// runs of capitalised words ("Rhode Island", "New York") is not an item
	// on its own, the run is; so a copy cannot stop at "Rhode" or graft
	// "New" onto another name.
	inRun := make([]bool, len(src))
	for _, r := range nameRunRE.FindAllStringIndex(src, -1) {
		run := src[r[0]:r[1]]
		wordSet[run] = true
		// At a sentence start the first word may be an ordinary word
		// capitalised ("Is Rhode Island..."; "is" occurs in lower case
		// elsewhere): then the rest of the run is a name as well.
		first, rest, _ := strings.Cut(run, " ")
		if before := strings.TrimRight(src[:r[0]], " "); (before == "" || strings.ContainsAny(before[len(before)-1:], ".?!:\n\"")) &&
			lowerWord(src, strings.ToLower(first)) {
			wordSet[rest] = true
		}
		for i := r[0]; i < r[1]; i++ {
			inRun[i] = true
		}
	}
	for _, r := range wordRE.FindAllStringIndex(src, -1) {
		if !inRun[r[0]] {
			wordSet[src[r[0]:r[1]]] = true
		}
	}
	// Numbers as written only: a copy keeps its thousands separators, so
	// "39538223" cannot stand in for "733,391"'s neighbour by accident.
	for _, num := range numberRE.FindAllString(src, -1) {
		num = strings.TrimRight(num, ",")
		numSet[num] = true
		// Shorter decimals of a number: "53.911519" also gives "53.9" and
		// "53.91", so an answer can round the way people write it.
		if i := strings.IndexByte(num, '.'); i >= 0 {
			for j := i + 2; j < len(num); j++ {
				numSet[num[:j]] = true
			}
		}
	}
	if len(wordSet)+len(numSet) == 0 {
		return frag{}, fmt.Errorf("constrain: words span: the source has no words")
	}
	word, number := n.trie(wordSet), n.trie(numSet)
	soft := []rune{' ', ' ', '\'', '\'', '(', '+', '-', '-', '/', '/', '%', '%', ':', ';', '?', '?'}
	hard := []rune{',', ',', '.', '.'}
	in := n.add()
	afterWord, afterNum, anyNext, wordNext, end := n.add(), n.add(), n.add(), n.add(), n.add()
	n.epsilon(in, word.in)
	n.epsilon(in, number.in)
	n.epsilon(word.out, afterWord)
	n.epsilon(number.out, afterNum)
	link := func(from int, class []rune, to int) {
		f := n.runeRanges(class)
		n.epsilon(from, f.in)
		n.epsilon(f.out, to)
	}
	link(afterWord, soft, anyNext)
	link(afterWord, hard, wordNext)
	link(afterNum, soft, anyNext)
	link(anyNext, soft, anyNext)
	link(anyNext, hard, wordNext)
	link(wordNext, soft, anyNext)
	link(wordNext, hard, wordNext)
	n.epsilon(anyNext, word.in)
	n.epsilon(anyNext, number.in)
	n.epsilon(wordNext, word.in)
	// A line may end after an item or with punctuation (a closing "." or ")").
	for _, s := range []int{afterWord, afterNum, anyNext, wordNext} {
		n.epsilon(s, end)
	}
	// A period after a number ends the line or a sentence: "had 941,474.
	// Now I..." (a space must follow, so no decimals can be glued on).
	numPeriod := n.add()
	link(afterNum, []rune{'.', '.'}, numPeriod)
	n.epsilon(numPeriod, end)
	link(numPeriod, []rune{' ', ' '}, anyNext)
	return frag{in, end}, nil
}

// lowerWord reports whether w occurs in src as a whole word.
func lowerWord(src, w string) bool {
	for _, m := range wordRE.FindAllString(src, -1) {
		if m == w {
			return true
		}
	}
	return false
}

// trie adds a fragment matching exactly one of the strings, sharing prefixes.
func (n *nfa) trie(set map[string]bool) frag {
	f := frag{n.add(), n.add()}
	items := make([]string, 0, len(set))
	for s := range set {
		items = append(items, s)
	}
	sort.Strings(items)
	children := map[[2]int]int{}
	for _, w := range items {
		cur := f.in
		for i := 0; i < len(w); i++ {
			k := [2]int{cur, int(w[i])}
			nx, ok := children[k]
			if !ok {
				nx = n.add()
				n.edge(cur, w[i], w[i], nx)
				children[k] = nx
			}
			cur = nx
		}
		n.epsilon(cur, f.out)
	}
	return f
}

var numberRE = regexp.MustCompile(`\d[\d,]*(?:\.\d+)?`)

// Numbers lists the numbers in text, as written and without thousands
// separators ("39,538,223" gives both "39,538,223" and "39538223").
func Numbers(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range numberRE.FindAllString(text, -1) {
		m = strings.TrimRight(m, ",")
		for _, v := range []string{m, strings.ReplaceAll(m, ",", "")} {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.Strings(out)
	return out
}

// computeAlive marks states that can reach an accepting state.
func (p *Program) computeAlive() {
	n := p.n
	rev := make([][]int, len(n.trans))
	for s := range n.trans {
		for _, e := range n.trans[s] {
			rev[e.to] = append(rev[e.to], s)
		}
		for _, t := range n.eps[s] {
			rev[t] = append(rev[t], s)
		}
	}
	p.alive = make([]bool, len(n.trans))
	var stack []int
	for s, a := range n.accept {
		if a {
			p.alive[s] = true
			stack = append(stack, s)
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, r := range rev[s] {
			if !p.alive[r] {
				p.alive[r] = true
				stack = append(stack, r)
			}
		}
	}
}

// Describe is a short human description, for errors.
func Describe(c *llm.Constraint) string {
	b, _ := json.Marshal(c)
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}
