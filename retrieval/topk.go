package retrieval

import "container/heap"

// topK keeps the k best (score, index) pairs seen: a min-heap on score, ties
// broken toward the lower index so results are deterministic.
type topK struct {
	k     int
	items []scored
}

type scored struct {
	score float64
	idx   int32
}

func (t *topK) Len() int { return len(t.items) }
func (t *topK) Less(i, j int) bool {
	a, b := t.items[i], t.items[j]
	if a.score != b.score {
		return a.score < b.score
	}
	return a.idx > b.idx
}
func (t *topK) Swap(i, j int) { t.items[i], t.items[j] = t.items[j], t.items[i] }
func (t *topK) Push(x any)    { t.items = append(t.items, x.(scored)) }
func (t *topK) Pop() any {
	x := t.items[len(t.items)-1]
	t.items = t.items[:len(t.items)-1]
	return x
}

// offer considers one candidate.
func (t *topK) offer(score float64, idx int32) {
	if len(t.items) < t.k {
		heap.Push(t, scored{score, idx})
		return
	}
	worst := t.items[0]
	if score > worst.score || score == worst.score && idx < worst.idx {
		t.items[0] = scored{score, idx}
		heap.Fix(t, 0)
	}
}

// sorted returns the kept items best first.
func (t *topK) sorted() []scored {
	out := make([]scored, len(t.items))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(t).(scored)
	}
	return out
}
