package constrain

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// Numbers with bounds compile to automata over their decimal digits: an
// integer in [lo, hi] is a choice over digit counts, and per count the
// classic digit-by-digit range (first digit above lo's, then any digits;
// equal to lo's, then the rest of the range). Numbers with a fraction are
// split into whole values and strictly fractional ones (i < x < i+1), so
// integer bounds stay exact; exponents are left out when bounded.

// maxBoundDigits bounds the size of a numeric bound's automaton.
const maxBoundDigits = 40

// bound is one side of a range: nil is unbounded.
type bound = *big.Int

func (n *nfa) number(integer bool, s map[string]any, path string) (frag, error) {
	var lo, hi bound
	var loEx, hiEx bool
	read := func(key string) (*big.Rat, bool, error) {
		v, ok := s[key]
		if !ok {
			return nil, false, nil
		}
		if b, isBool := v.(bool); isBool { // draft 4: a flag on minimum/maximum
			return nil, b, nil
		}
		num, isNum := v.(json.Number)
		r, ok2 := new(big.Rat).SetString(string(num))
		if !isNum || !ok2 {
			return nil, false, fmt.Errorf("constrain: %s at %s must be a number, got %v", key, path, v)
		}
		return r, false, nil
	}
	minimum, _, err1 := read("minimum")
	maximum, _, err2 := read("maximum")
	exMin, exMinFlag, err3 := read("exclusiveMinimum")
	exMax, exMaxFlag, err4 := read("exclusiveMaximum")
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return frag{}, err
		}
	}
	if exMin != nil {
		minimum, exMinFlag = exMin, true
	}
	if exMax != nil {
		maximum, exMaxFlag = exMax, true
	}
	if minimum == nil && maximum == nil {
		if integer {
			return n.regexString(`-?(?:0|[1-9][0-9]*)`)
		}
		return n.regexString(`-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?`)
	}
	toInt := func(r *big.Rat, up bool, key string) (bound, error) {
		if r == nil {
			return nil, nil
		}
		if !r.IsInt() && !integer {
			return nil, fmt.Errorf("%w: a non-integer %s (%s) at %s on a number", ErrUnsupported, key, r.RatString(), path)
		}
		q := new(big.Int).Quo(r.Num(), r.Denom()) // truncates toward zero
		if !r.IsInt() {
			if up && r.Sign() > 0 {
				q.Add(q, big.NewInt(1))
			}
			if !up && r.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			}
		}
		if len(new(big.Int).Abs(q).String()) > maxBoundDigits {
			return nil, fmt.Errorf("%w: %s at %s has more than %d digits", ErrUnsupported, key, path, maxBoundDigits)
		}
		return q, nil
	}
	var err error
	if lo, err = toInt(minimum, true, "minimum"); err != nil {
		return frag{}, err
	}
	if hi, err = toInt(maximum, false, "maximum"); err != nil {
		return frag{}, err
	}
	// A non-integer exclusive bound on an integer was rounded inward already.
	if minimum != nil && !minimum.IsInt() {
		loEx = false
	} else {
		loEx = exMinFlag
	}
	if maximum != nil && !maximum.IsInt() {
		hiEx = false
	} else {
		hiEx = exMaxFlag
	}
	one := big.NewInt(1)
	// Whole values: v in [loW, hiW].
	loW, hiW := lo, hi
	if loW != nil && loEx {
		loW = new(big.Int).Add(loW, one)
	}
	if hiW != nil && hiEx {
		hiW = new(big.Int).Sub(hiW, one)
	}
	var fs []frag
	if f, ok := n.intRange(loW, hiW); ok {
		if !integer { // "3" or "3.0"
			f = n.concat(f, n.optional(n.must(n.regexString(`\.0+`))))
		}
		fs = append(fs, f)
	}
	if !integer {
		frac := func() frag { return n.must(n.regexString(`\.[0-9]*[1-9][0-9]*`)) }
		// Positive: i < x < i+1 with i in [lo, hi-1], i >= 0.
		pLo := maxBig(lo, big.NewInt(0))
		var pHi bound
		if hi != nil {
			pHi = new(big.Int).Sub(hi, one)
		}
		if f, ok := n.natRange(pLo, pHi); ok {
			fs = append(fs, n.concat(f, frac()))
		}
		// Negative: -(i+1) < x < -i with i in [-hi, -lo-1], i >= 0.
		var nLo, nHi bound = big.NewInt(0), nil
		if hi != nil {
			nLo = maxBig(new(big.Int).Neg(hi), big.NewInt(0))
		}
		if lo != nil {
			nHi = new(big.Int).Sub(new(big.Int).Neg(lo), one)
		}
		if f, ok := n.natRange(nLo, nHi); ok {
			fs = append(fs, n.concat(n.literal([]byte("-")), f, frac()))
		}
	}
	if len(fs) == 0 {
		return frag{}, fmt.Errorf("constrain: the bounds at %s leave no number", path)
	}
	return n.alt(fs...), nil
}

func maxBig(a, b bound) bound {
	if a == nil || a.Cmp(b) < 0 {
		return b
	}
	return a
}

// must unwraps a fragment of a fixed regex.
func (n *nfa) must(f frag, err error) frag {
	if err != nil {
		panic(err)
	}
	return f
}

// regexString adds a regex fragment.
func (n *nfa) regexString(pattern string) (frag, error) {
	re, err := parseRegex(pattern)
	if err != nil {
		return frag{}, err
	}
	return n.regex(re)
}

// intRange adds the canonical integers in [lo, hi] (nil: unbounded);
// false when the range is empty.
func (n *nfa) intRange(lo, hi bound) (frag, bool) {
	var fs []frag
	zero := big.NewInt(0)
	// Non-negative part.
	if hi == nil || hi.Sign() >= 0 {
		if f, ok := n.natRange(maxBig(lo, zero), hi); ok {
			fs = append(fs, f)
		}
	}
	// Negative part: -v for v in [max(1, -hi), -lo].
	if lo == nil || lo.Sign() < 0 {
		vLo := big.NewInt(1)
		if hi != nil && hi.Sign() < 0 {
			vLo = new(big.Int).Neg(hi)
		}
		var vHi bound
		if lo != nil {
			vHi = new(big.Int).Neg(lo)
		}
		if f, ok := n.natRange(vLo, vHi); ok {
			fs = append(fs, n.concat(n.literal([]byte("-")), f))
		}
	}
	if len(fs) == 0 {
		return frag{}, false
	}
	return n.alt(fs...), true
}

// natRange adds the canonical decimals of the naturals in [lo, hi] (hi nil:
// unbounded); false when empty.
func (n *nfa) natRange(lo, hi bound) (frag, bool) {
	if hi != nil && lo.Cmp(hi) > 0 {
		return frag{}, false
	}
	a := lo.String()
	if hi == nil {
		// Same digit count as lo and at least lo, or more digits.
		first, _ := n.sameLen(a, strings.Repeat("9", len(a)))
		longer := n.must(n.regexString(fmt.Sprintf(`[1-9][0-9]{%d,}`, len(a))))
		return n.alt(first, longer), true
	}
	b := hi.String()
	var fs []frag
	for L := len(a); L <= len(b); L++ {
		x, y := a, b
		if L > len(a) {
			x = "1" + strings.Repeat("0", L-1)
		}
		if L < len(b) {
			y = strings.Repeat("9", L)
		}
		if f, ok := n.sameLen(x, y); ok {
			fs = append(fs, f)
		}
	}
	return n.alt(fs...), true
}

// sameLen adds the digit strings s with x <= s <= y, all of x's length.
func (n *nfa) sameLen(x, y string) (frag, bool) {
	if x > y {
		return frag{}, false
	}
	if x == y {
		return n.literal([]byte(x)), true
	}
	if strings.Trim(x, "0") == "" && strings.Trim(y, "9") == "" {
		// Every digit string of this length. Built directly: recursing
		// would branch three ways a digit, 3^len fragments (1e20 as a
		// bound took minutes and all memory).
		digits := make([]frag, len(x))
		for i := range digits {
			digits[i] = n.runeRanges([]rune{'0', '9'})
		}
		return n.concat(digits...), true
	}
	if x[0] == y[0] {
		rest, _ := n.sameLen(x[1:], y[1:])
		return n.concat(n.literal([]byte(x[:1])), rest), true
	}
	var fs []frag
	nines, zeros := strings.Repeat("9", len(x)-1), strings.Repeat("0", len(x)-1)
	low, _ := n.sameLen(x[1:], nines)
	fs = append(fs, n.concat(n.literal([]byte(x[:1])), low))
	if x[0]+1 <= y[0]-1 {
		mid := n.runeRanges([]rune{rune(x[0] + 1), rune(y[0] - 1)})
		if len(x) > 1 {
			any, _ := n.sameLen(zeros, nines)
			mid = n.concat(mid, any)
		}
		fs = append(fs, mid)
	}
	high, _ := n.sameLen(zeros, y[1:])
	fs = append(fs, n.concat(n.literal([]byte(y[:1])), high))
	return n.alt(fs...), true
}
