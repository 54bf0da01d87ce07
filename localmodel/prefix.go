package localmodel

import "sync"

// Prompt-prefix reuse: the KV state after a prompt is kept, and a later
// prompt that starts with the same tokens resumes from it instead of
// prefilling them again. A ReAct run re-sends its growing transcript every
// step, and self-consistency samples and Tree of Thought siblings share
// their prompt; with the cache their time to first token stays flat.

// Truncater is a State that can forget its positions from n on (so a
// cached state serves a prompt that shares only part of its tokens).
type Truncater interface {
	Truncate(n int)
}

// Sizer is a State that reports the memory it holds.
type Sizer interface {
	Bytes() int64
}

// DefaultPrefixCache is the memory the prefix cache may hold by default.
const DefaultPrefixCache = 256 << 20

// prefixCache is an LRU of prefilled states, bounded in bytes.
type prefixCache struct {
	mu      sync.Mutex
	entries []*prefixEntry // least recently used first
	bytes   int64
}

type prefixEntry struct {
	tokens []int32
	state  State
	logits []float32 // after the last token
	bytes  int64
}

// lookup returns a private copy of the cached state sharing the longest
// prefix with prompt, positioned at that prefix (at most len(prompt)-1
// tokens, so there is always a token left to forward for fresh logits),
// or nil. When a cached entry is exactly the prompt, its logits come back
// too and the state is at the full prompt.
func (c *prefixCache) lookup(prompt []int32) (State, []float32, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	best, bestLen := -1, 0
	for i, e := range c.entries {
		n := commonPrefix(e.tokens, prompt)
		if n > bestLen {
			if _, ok := e.state.(Truncater); !ok && n < len(e.tokens) {
				continue // can only resume from the whole entry
			}
			best, bestLen = i, n
		}
	}
	if best < 0 {
		return nil, nil, 0
	}
	e := c.entries[best]
	c.entries = append(append(c.entries[:best:best], c.entries[best+1:]...), e) // most recent
	st := e.state.Fork()
	if bestLen == len(prompt) && bestLen == len(e.tokens) {
		return st, append([]float32(nil), e.logits...), bestLen
	}
	if bestLen == len(prompt) {
		bestLen-- // forward the last token again for its logits
	}
	if bestLen == 0 {
		return nil, nil, 0
	}
	if bestLen < len(e.tokens) {
		st.(Truncater).Truncate(bestLen)
	}
	return st, nil, bestLen
}

// store keeps a copy of the state after prompt, evicting the least
// recently used entries past budget.
func (c *prefixCache) store(prompt []int32, st State, logits []float32, budget int64) {
	sz, ok := st.(Sizer)
	if !ok || budget <= 0 {
		return
	}
	n := sz.Bytes() + int64(len(logits))*4 + int64(len(prompt))*4
	if n > budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.entries {
		if commonPrefix(e.tokens, prompt) == len(prompt) && len(e.tokens) == len(prompt) {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			return // already there
		}
	}
	c.entries = append(c.entries, &prefixEntry{tokens: append([]int32(nil), prompt...), state: st.Fork(), logits: append([]float32(nil), logits...), bytes: n})
	c.bytes += n
	for len(c.entries) > 1 && c.bytes > budget {
		c.bytes -= c.entries[0].bytes
		c.entries = c.entries[1:]
	}
}

func commonPrefix(a, b []int32) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
