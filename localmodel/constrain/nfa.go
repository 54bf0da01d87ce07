// Package constrain turns output constraints (regular expressions, JSON
// schemas, choices, templates with holes, grounded spans) into byte-level
// automata, and automata into masks over a tokenizer's vocabulary, so a
// local model can only produce text the constraint accepts.
//
// Everything compiles to one representation: a byte NFA. Regexes are parsed
// by regexp/syntax and their rune classes split into UTF-8 byte-range
// sequences; schemas become regexes; grounded spans are NFA fragments over
// the source text. A lazy DFA over the NFA caches, per state, the mask of
// tokens whose bytes keep the automaton alive.
package constrain

import (
	"fmt"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// nfa is a byte-level NFA with epsilon moves. State 0 is the start.
type nfa struct {
	trans  [][]edge // per state: byte-range transitions
	eps    [][]int  // per state: epsilon moves
	accept []bool
	// full is set once the NFA passes MaxNFAStates; Compile reports it.
	full bool
}

// MaxNFAStates bounds a compiled constraint (about 20 MB of automaton):
// a pattern such as (\p{L}|\p{N}){1000} is refused with ErrTooComplex
// instead of growing without limit.
const MaxNFAStates = 300_000

// ErrTooComplex is returned for a constraint whose automaton would exceed
// the compile or matching budget.
var ErrTooComplex = fmt.Errorf("constraint too complex")

type edge struct {
	lo, hi byte
	to     int
}

func (n *nfa) add() int {
	if len(n.trans) >= MaxNFAStates {
		n.full = true
		return len(n.trans) - 1 // a valid state; Compile fails anyway
	}
	n.trans = append(n.trans, nil)
	n.eps = append(n.eps, nil)
	n.accept = append(n.accept, false)
	return len(n.trans) - 1
}

func (n *nfa) edge(from int, lo, hi byte, to int) {
	n.trans[from] = append(n.trans[from], edge{lo, hi, to})
}

func (n *nfa) epsilon(from, to int) { n.eps[from] = append(n.eps[from], to) }

// frag is a piece of NFA with one entry and one exit state.
type frag struct{ in, out int }

// literal adds a fragment matching exactly s.
func (n *nfa) literal(s []byte) frag {
	in := n.add()
	cur := in
	for _, b := range s {
		nx := n.add()
		n.edge(cur, b, b, nx)
		cur = nx
	}
	return frag{in, cur}
}

func (n *nfa) concat(fs ...frag) frag {
	if len(fs) == 0 {
		s := n.add()
		return frag{s, s}
	}
	for i := 0; i+1 < len(fs); i++ {
		n.epsilon(fs[i].out, fs[i+1].in)
	}
	return frag{fs[0].in, fs[len(fs)-1].out}
}

func (n *nfa) alt(fs ...frag) frag {
	in, out := n.add(), n.add()
	for _, f := range fs {
		n.epsilon(in, f.in)
		n.epsilon(f.out, out)
	}
	return frag{in, out}
}

// runeRanges adds a fragment matching one UTF-8 encoded rune in any of the
// ranges (pairs lo, hi).
func (n *nfa) runeRanges(ranges []rune) frag {
	in, out := n.add(), n.add()
	for i := 0; i+1 < len(ranges); i += 2 {
		for _, seq := range utf8Sequences(ranges[i], ranges[i+1]) {
			cur := in
			for j, r := range seq {
				nx := out
				if j < len(seq)-1 {
					nx = n.add()
				}
				n.edge(cur, r[0], r[1], nx)
				cur = nx
			}
		}
	}
	return frag{in, out}
}

// utf8Sequences splits the rune range [lo, hi] into byte-range sequences:
// each sequence is one range per encoded byte, and together they match
// exactly the UTF-8 encodings of the runes in the range (surrogates
// excluded).
func utf8Sequences(lo, hi rune) [][][2]byte {
	var out [][][2]byte
	var split func(lo, hi rune)
	split = func(lo, hi rune) {
		if lo > hi {
			return
		}
		// Never encode surrogates.
		if lo <= 0xDFFF && hi >= 0xD800 {
			split(lo, 0xD7FF)
			split(0xE000, hi)
			return
		}
		// Split at the encoded-length boundaries.
		for _, b := range []rune{0x7F, 0x7FF, 0xFFFF} {
			if lo <= b && hi > b {
				split(lo, b)
				split(b+1, hi)
				return
			}
		}
		if hi <= 0x7F {
			out = append(out, [][2]byte{{byte(lo), byte(hi)}})
			return
		}
		n := utf8.RuneLen(lo)
		// Split until every trailing byte position covers a full or a
		// contiguous range.
		for i := 1; i < n; i++ {
			m := rune(1)<<(6*i) - 1
			if lo&^m != hi&^m {
				if lo&m != 0 {
					split(lo, lo|m)
					split((lo|m)+1, hi)
					return
				}
				if hi&m != m {
					split(lo, (hi&^m)-1)
					split(hi&^m, hi)
					return
				}
			}
		}
		var a, b [4]byte
		utf8.EncodeRune(a[:], lo)
		utf8.EncodeRune(b[:], hi)
		seq := make([][2]byte, n)
		for i := 0; i < n; i++ {
			seq[i] = [2]byte{a[i], b[i]}
		}
		out = append(out, seq)
	}
	split(lo, hi)
	return out
}

// ErrUnsupported is wrapped by errors for constraint features the engine
// does not handle (reported, never ignored).
var ErrUnsupported = fmt.Errorf("unsupported constraint feature")

// maxRepeat bounds {n,m} expansion so a pattern cannot explode.
const maxRepeat = 1000

// regex adds a fragment for a parsed regular expression (full match).
func (n *nfa) regex(re *syntax.Regexp) (frag, error) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginText, syntax.OpEndText, syntax.OpBeginLine, syntax.OpEndLine:
		s := n.add()
		return frag{s, s}, nil
	case syntax.OpLiteral:
		var fs []frag
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				fs = append(fs, n.runeRanges(foldRanges(r)))
				continue
			}
			var b [4]byte
			k := utf8.EncodeRune(b[:], r)
			fs = append(fs, n.literal(b[:k]))
		}
		return n.concat(fs...), nil
	case syntax.OpCharClass:
		return n.runeRanges(re.Rune), nil
	case syntax.OpAnyChar:
		return n.runeRanges([]rune{0, unicode.MaxRune}), nil
	case syntax.OpAnyCharNotNL:
		return n.runeRanges([]rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune}), nil
	case syntax.OpCapture:
		return n.regex(re.Sub[0])
	case syntax.OpConcat, syntax.OpAlternate:
		fs := make([]frag, 0, len(re.Sub))
		for _, s := range re.Sub {
			f, err := n.regex(s)
			if err != nil {
				return frag{}, err
			}
			fs = append(fs, f)
		}
		if re.Op == syntax.OpConcat {
			return n.concat(fs...), nil
		}
		return n.alt(fs...), nil
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		f, err := n.regex(re.Sub[0])
		if err != nil {
			return frag{}, err
		}
		in, out := n.add(), n.add()
		n.epsilon(in, f.in)
		n.epsilon(f.out, out)
		if re.Op != syntax.OpPlus {
			n.epsilon(in, out)
		}
		if re.Op != syntax.OpQuest {
			n.epsilon(f.out, f.in)
		}
		return frag{in, out}, nil
	case syntax.OpRepeat:
		if re.Min > maxRepeat || re.Max > maxRepeat {
			return frag{}, fmt.Errorf("%w: repetition {%d,%d} above %d", ErrUnsupported, re.Min, re.Max, maxRepeat)
		}
		return n.repeat(func() (frag, error) { return n.regex(re.Sub[0]) }, re.Min, re.Max, re.Max >= 0)
	case syntax.OpNoMatch:
		return frag{n.add(), n.add()}, nil
	}
	return frag{}, fmt.Errorf("%w: regex operator %v (word boundaries and lookaround cannot be decided byte by byte)", ErrUnsupported, re.Op)
}

func foldRanges(r rune) []rune {
	rs := []rune{r, r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		rs = append(rs, f, f)
	}
	return rs
}

// Regex compiles a regular expression that must match the whole output.
func parseRegex(pattern string) (*syntax.Regexp, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("constrain: regex %q: %w", pattern, err)
	}
	return re, nil // not Simplify: n.regex expands {n,m} itself, under the state budget
}
