package constrain

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Vocab is what masking needs of a tokenizer.
type Vocab interface {
	VocabSize() int
	Token(id int32) []byte
}

// Index is a vocabulary sorted by token bytes, built once per tokenizer, so
// mask computation can walk it like a trie: tokens sharing a prefix share
// the automaton steps over it, and a dead prefix skips them all.
type Index struct {
	size   int
	maxLen int      // longest token in bytes
	order  []int32  // ids sorted by bytes (special tokens left out)
	toks   [][]byte // bytes by position in order
	// skip[i] is the first position after i whose token does not start
	// with toks[i] (the end of i's subtree).
	skip []int32
	// lcp[i] is the length of the prefix toks[i] shares with toks[i-1]:
	// the bytes of the walk's state path a mask can keep (see Mask).
	lcp []int32
	// special[id] marks the ids left out (special tokens and empty ones).
	special []bool
}

// NewIndex builds the index, leaving out the special token ids given.
func NewIndex(v Vocab, special ...int32) *Index {
	sp := map[int32]bool{}
	for _, s := range special {
		sp[s] = true
	}
	ix := &Index{size: v.VocabSize(), special: make([]bool, v.VocabSize())}
	for id := int32(0); int(id) < v.VocabSize(); id++ {
		if !sp[id] && len(v.Token(id)) > 0 {
			ix.order = append(ix.order, id)
		} else {
			ix.special[id] = true
		}
	}
	sort.Slice(ix.order, func(a, b int) bool { return bytes.Compare(v.Token(ix.order[a]), v.Token(ix.order[b])) < 0 })
	ix.toks = make([][]byte, len(ix.order))
	for i, id := range ix.order {
		ix.toks[i] = v.Token(id)
		ix.maxLen = max(ix.maxLen, len(ix.toks[i]))
	}
	ix.lcp = make([]int32, len(ix.order))
	for i := 1; i < len(ix.order); i++ {
		a, b := ix.toks[i-1], ix.toks[i]
		l := 0
		for l < len(a) && l < len(b) && a[l] == b[l] {
			l++
		}
		ix.lcp[i] = int32(l)
	}
	ix.skip = make([]int32, len(ix.order))
	for i := len(ix.order) - 1; i >= 0; i-- {
		j := i + 1
		for j < len(ix.order) && bytes.HasPrefix(ix.toks[j], ix.toks[i]) {
			j = int(ix.skip[j])
		}
		ix.skip[i] = int32(j)
	}
	return ix
}

// Matcher is a lazily built DFA over a Program with a token mask cached per
// state. Safe for concurrent use.
type Matcher struct {
	prog *Program
	ix   *Index
	eot  int32 // end-of-text id (-1: none)

	mu     sync.Mutex
	states []*dstate
	// next[s][b] is state s's transition on byte b (-2: not built yet),
	// apart from the states: the mask walk follows hundreds of thousands
	// of them a mask.
	next  []*[256]int32
	byKey map[string]int32
	// Scratch of step, closure and state.
	stack, set, seed []int32
	key              []byte
	// bytes approximates the memory the lazy DFA holds; past budget new
	// states fail with ErrTooComplex (reported by Err).
	bytes, budget int64
	err           error
}

// DefaultBudget bounds one matcher's lazily built states and masks.
const DefaultBudget = 64 << 20

// Dead is the state after a byte the constraint cannot accept.
const Dead = -1

type dstate struct {
	set    []int32
	accept bool
	dist   int32 // fewest bytes to acceptance
	mask   []uint64
	// maxNextDist is the largest dist of a state an allowed token leads
	// to; within caches masks for a remaining budget below it.
	maxNextDist int32
	within      map[int32][]uint64
	forced      []byte
	fDone       bool
}

// NewMatcher prepares matching p over the indexed vocabulary; eot is the
// end-of-text token, allowed exactly when the output so far is complete.
func NewMatcher(p *Program, ix *Index, eot int32) *Matcher {
	m := &Matcher{prog: p, ix: ix, eot: eot, byKey: map[string]int32{}, budget: DefaultBudget}
	m.state(m.closure([]int32{int32(p.start)}))
	return m
}

// closure adds epsilon moves and drops states that cannot reach
// acceptance. The result is scratch, valid until the next call.
func (m *Matcher) closure(seed []int32) []int32 {
	n := m.prog.n
	mk, _ := m.prog.marks.Get().(*marks)
	if mk == nil {
		mk = &marks{mark: make([]uint32, len(n.trans))}
	}
	defer m.prog.marks.Put(mk)
	if mk.stamp++; mk.stamp == 0 { // wrapped: old marks could match
		clear(mk.mark)
		mk.stamp = 1
	}
	out := m.set[:0]
	stack := append(m.stack[:0], seed...)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if mk.mark[s] == mk.stamp || !m.prog.alive[s] {
			continue
		}
		mk.mark[s] = mk.stamp
		out = append(out, s)
		for _, t := range n.eps[s] {
			stack = append(stack, int32(t))
		}
	}
	slices.Sort(out)
	m.set, m.stack = out, stack
	return out
}

// state interns a state set and returns its id (Dead for the empty set).
func (m *Matcher) state(set []int32) int32 {
	if len(set) == 0 {
		return Dead
	}
	key := m.key[:0]
	for _, s := range set {
		key = binary.LittleEndian.AppendUint32(key, uint32(s))
	}
	m.key = key
	if id, ok := m.byKey[string(key)]; ok {
		return id
	}
	if m.budget > 0 && m.bytes > m.budget {
		if m.err == nil {
			m.err = fmt.Errorf("%w: its automaton outgrew %d MB while matching", ErrTooComplex, m.budget>>20)
		}
		return Dead
	}
	d := &dstate{set: slices.Clone(set), dist: 1 << 30}
	for _, s := range set {
		if m.prog.n.accept[s] {
			d.accept = true
		}
		d.dist = min(d.dist, m.prog.dist[s])
	}
	m.bytes += int64(len(key)) + int64(len(set))*4 + 1100
	id := int32(len(m.states))
	m.states = append(m.states, d)
	unbuilt := new([256]int32)
	for i := range unbuilt {
		unbuilt[i] = -2
	}
	m.next = append(m.next, unbuilt)
	m.byKey[string(key)] = id
	return id
}

// SetBudget bounds the memory of the states and masks this matcher builds
// (0: no bound).
func (m *Matcher) SetBudget(bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.budget = bytes
}

// Err reports why matching stopped (ErrTooComplex), or nil.
func (m *Matcher) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Size approximates the memory the matcher holds, in bytes.
func (m *Matcher) Size() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes + int64(len(m.prog.n.trans))*64
}

// MinBytes is the fewest bytes that complete an output from state s.
func (m *Matcher) MinBytes(s int32) int {
	if s < 0 {
		return 1 << 30
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return int(m.states[s].dist)
}

// MaxTokenBytes is the longest token of the vocabulary.
func (m *Matcher) MaxTokenBytes() int { return m.ix.maxLen }

// Start is the initial state.
func (m *Matcher) Start() int32 { return 0 }

// Accepting reports whether the text that led to s is a complete output.
func (m *Matcher) Accepting(s int32) bool {
	if s < 0 {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.states[s].accept
}

// Step follows one byte.
func (m *Matcher) Step(s int32, b byte) int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.step(s, b)
}

func (m *Matcher) step(s int32, b byte) int32 {
	if s < 0 {
		return Dead
	}
	if nx := m.next[s][b]; nx != -2 {
		return nx
	}
	seed := m.seed[:0]
	for _, st := range m.states[s].set {
		for _, e := range m.prog.n.trans[st] {
			if b >= e.lo && b <= e.hi {
				seed = append(seed, int32(e.to))
			}
		}
	}
	m.seed = seed
	nx := m.state(m.closure(seed))
	m.next[s][b] = nx
	return nx
}

// Advance follows a byte string.
func (m *Matcher) Advance(s int32, bs []byte) int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range bs {
		if s = m.step(s, b); s < 0 {
			return Dead
		}
	}
	return s
}

// Mask returns the tokens allowed in state s, one bit per token id: tokens
// whose bytes keep the automaton alive, and end-of-text when s accepts. The
// mask is computed once per state and cached; do not modify it.
func (m *Matcher) Mask(s int32) []uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.states[s]
	if d.mask != nil {
		return d.mask
	}
	mask := make([]uint64, (m.ix.size+63)/64)
	ix := m.ix
	depthState := make([]int32, 1, 64) // depthState[k]: state after k bytes of the current token
	depthState[0] = s
	states, next := m.states, m.next // refreshed when step adds states
	maxNextDist := d.maxNextDist
	for i := 0; i < len(ix.order); {
		t := ix.toks[i]
		// Reuse the states along the prefix shared with the previous
		// token walked: in sorted order that is lcp[i], also after a
		// skipped subtree (every token between shares more with it).
		l := min(int(ix.lcp[i]), len(depthState)-1)
		depthState = depthState[:l+1]
		cur := depthState[l]
		dead := false
		for k := l; k < len(t); k++ {
			if nx := next[cur][t[k]]; nx != -2 {
				cur = nx // a transition already built (the common case)
			} else {
				cur = m.step(cur, t[k])
				states, next = m.states, m.next
			}
			if cur < 0 {
				dead = true
				break
			}
			depthState = append(depthState, cur)
		}
		if dead {
			// Every token extending the dead prefix is dead too: they sort
			// right after and, when the dead byte is t's last, form its subtree.
			if len(depthState)-1 == len(t)-1 {
				i = int(ix.skip[i])
			} else {
				i++
			}
			continue
		}
		id := ix.order[i]
		mask[id/64] |= 1 << (id % 64)
		maxNextDist = max(maxNextDist, states[cur].dist)
		i++
	}
	d.maxNextDist = maxNextDist
	if d.accept && m.eot >= 0 {
		mask[m.eot/64] |= 1 << (m.eot % 64)
	}
	d.mask = mask
	m.bytes += int64(len(mask)) * 8
	return mask
}

// MaskWithin is Mask for an output that must be complete within budget
// more tokens (this one included): it allows only tokens after which the
// constraint can still be completed, counting one token per byte (every
// byte is a token of a byte-level vocabulary), so the output is whole
// whenever max_tokens allowed any complete value. Where no token keeps that
// guarantee it allows those that bring completion closest: the shortest
// way to a complete value.
func (m *Matcher) MaskWithin(s int32, budget int) []uint64 {
	full := m.Mask(s)
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.states[s]
	left := int32(min(budget-1, 1<<29))
	if left >= d.maxNextDist {
		return full
	}
	if w, ok := d.within[left]; ok {
		return w
	}
	ix := m.ix
	mask := make([]uint64, len(full))
	best := int32(1 << 30)
	var bestIDs []int32
	for i := 0; i < len(ix.order); i++ {
		id := ix.order[i]
		if !Allowed(full, id) {
			continue
		}
		cur := s
		for _, b := range ix.toks[i] {
			if cur = m.step(cur, b); cur < 0 {
				break
			}
		}
		if cur < 0 {
			continue
		}
		dist := m.states[cur].dist
		if dist <= left {
			mask[id/64] |= 1 << (id % 64)
		}
		switch {
		case dist < best:
			best, bestIDs = dist, append(bestIDs[:0], id)
		case dist == best:
			bestIDs = append(bestIDs, id)
		}
	}
	empty := true
	for _, w := range mask {
		if w != 0 {
			empty = false
			break
		}
	}
	if empty && !d.accept {
		for _, id := range bestIDs {
			mask[id/64] |= 1 << (id % 64)
		}
	}
	if d.accept && m.eot >= 0 {
		mask[m.eot/64] |= 1 << (m.eot % 64)
	}
	if d.within == nil {
		d.within = map[int32][]uint64{}
	}
	d.within[left] = mask
	m.bytes += int64(len(mask)) * 8
	return mask
}

// AllowsWithin reports whether token id (with bytes tok) keeps the
// constraint completable within budget more tokens from s, by walking only
// its bytes: a few automaton steps instead of a mask over the vocabulary.
// A token it allows is in MaskWithin(s, budget) too, so a greedy decoder
// whose best token passes needs no mask at all (the mask is computed only
// when the best token fails). End-of-text is allowed when s accepts.
func (m *Matcher) AllowsWithin(s, id int32, tok []byte, budget int) bool {
	if s < 0 {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if id == m.eot {
		return m.states[s].accept
	}
	if len(tok) == 0 || int(id) >= m.ix.size || m.ix.special[id] {
		return false
	}
	cur := s
	for _, b := range tok {
		if cur = m.step(cur, b); cur < 0 {
			return false
		}
	}
	return m.states[cur].dist <= int32(min(budget-1, 1<<29))
}

// Allowed reports whether mask allows token id.
func Allowed(mask []uint64, id int32) bool { return mask[id/64]&(1<<(id%64)) != 0 }

// Forced returns the bytes the constraint forces from s: while s is not
// accepting and exactly one byte keeps it alive, that byte. Templates use it
// to fast-forward fixed text without sampling.
func (m *Matcher) Forced(s int32) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.states[s]
	if d.fDone {
		return d.forced
	}
	var out []byte
	cur := s
	for len(out) < 4096 {
		if m.states[cur].accept {
			break
		}
		only, nx := -1, int32(Dead)
		for b := 0; b < 256; b++ {
			if t := m.step(cur, byte(b)); t >= 0 {
				if only >= 0 {
					only = -2
					break
				}
				only, nx = b, t
			}
		}
		if only < 0 {
			break
		}
		out = append(out, byte(only))
		cur = nx
	}
	d.forced, d.fDone = out, true
	return out
}

// MatchString reports whether p accepts s (for tests and validation).
func MatchString(p *Program, s string) bool {
	m := &Matcher{prog: p, byKey: map[string]int32{}, eot: -1}
	m.state(m.closure([]int32{int32(p.start)}))
	st := m.Advance(m.Start(), []byte(s))
	return st >= 0 && m.Accepting(st)
}
