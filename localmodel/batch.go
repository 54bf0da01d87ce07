package localmodel

import (
	"fmt"
	"sync"
	"time"

	"github.com/ponder-go/ponder/localmodel/internal/bufs"
)

// BatchNetwork is a Network that can advance several sequences in one
// forward pass: their rows multiply the weights together (one pass over
// memory for all of them) while attention stays per sequence. Decode is
// bound by reading the weights, so a batch of sequences costs little more
// than one.
type BatchNetwork interface {
	Network
	// ForwardBatch feeds states[i] its tokens[i] and returns each
	// sequence's logits for its last new position. The states must be
	// distinct. Sequence i's logits may be kept in states[i] (see
	// ForwardKeepingRows): they stay valid until that state's next ForwardBatch.
	ForwardBatch(states []State, tokens [][]int32) ([][]float32, error)
}

// batcher gathers the decode steps of concurrent generations into
// ForwardBatch calls. There is no scheduler goroutine: the first caller to
// find no batch running leads. It runs what is queued (its own step among
// it) as one batch, then the steps queued meanwhile, until its own step is
// done; then it hands the lead to the oldest step still waiting and
// returns. New generations join between steps, at the next batch.
//
// Sequences between steps (sampling, checking constraints) are still
// coming: the leader waits for every active sequence to queue its step,
// up to straggle, so that the batch does not split into halves that each
// read the weights.
type batcher struct {
	mu      sync.Mutex
	queue   []*batchStep
	leading bool
	active  int           // sequences decoding (join/leave)
	arrived chan struct{} // a step queued or a sequence left
}

// straggle is how long a leader waits for the active sequences' steps.
const straggle = 3 * time.Millisecond

// join counts a sequence as decoding until leave.
func (b *batcher) join() {
	b.mu.Lock()
	b.active++
	b.mu.Unlock()
}

func (b *batcher) leave() {
	b.mu.Lock()
	b.active--
	b.mu.Unlock()
	b.signal()
}

// signal wakes a waiting leader (without blocking when none waits).
func (b *batcher) signal() {
	select {
	case b.arrived <- struct{}{}:
	default:
	}
}

// batchStep is one sequence's decode step waiting for its logits.
type batchStep struct {
	state  State
	tokens []int32
	logits []float32
	err    error
	// done receives once: the result is set, or lead is set (the step's
	// caller runs the next batch).
	done chan struct{}
	lead bool
	ran  bool
}

// forward runs one decode step of st, batched with the concurrent steps
// of other sequences (at most limit a pass).
func (b *batcher) forward(net BatchNetwork, limit int, st State, toks []int32) ([]float32, error) {
	me := &batchStep{state: st, tokens: toks, done: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.arrived == nil {
		b.arrived = make(chan struct{}, 1)
	}
	b.queue = append(b.queue, me)
	b.signal()
	if b.leading {
		b.mu.Unlock()
		<-me.done
		if !me.lead {
			return me.logits, me.err
		}
		b.mu.Lock()
	}
	b.leading = true
	for {
		b.gather(limit)
		n := min(len(b.queue), limit)
		batch := make([]*batchStep, n)
		copy(batch, b.queue)
		b.queue = append(b.queue[:0], b.queue[n:]...)
		b.mu.Unlock()
		runBatch(net, batch)
		for _, s := range batch {
			if s != me {
				s.done <- struct{}{}
			}
		}
		b.mu.Lock()
		if me.ran {
			if len(b.queue) > 0 {
				next := b.queue[0]
				next.lead = true
				next.done <- struct{}{}
			} else {
				b.leading = false
			}
			b.mu.Unlock()
			return me.logits, me.err
		}
	}
}

// gather waits, up to straggle, until every active sequence has queued a
// step or a full batch is queued. It is called and returns with b.mu held.
func (b *batcher) gather(limit int) {
	var deadline <-chan time.Time
	for len(b.queue) < min(b.active, limit) {
		if deadline == nil {
			t := time.NewTimer(straggle)
			defer t.Stop()
			deadline = t.C
		}
		b.mu.Unlock()
		select {
		case <-b.arrived:
			b.mu.Lock()
		case <-deadline:
			b.mu.Lock()
			return
		}
	}
}

// runBatch runs the steps as one ForwardBatch; when it fails (one
// sequence's context is full, say), each step runs alone so the error
// reaches only its own caller.
func runBatch(net BatchNetwork, batch []*batchStep) {
	states := make([]State, len(batch))
	tokens := make([][]int32, len(batch))
	for i, s := range batch {
		states[i], tokens[i], s.ran = s.state, s.tokens, true
	}
	if len(batch) > 1 {
		logits, err := net.ForwardBatch(states, tokens)
		if err == nil {
			for i, s := range batch {
				s.logits = logits[i]
			}
			return
		}
	}
	for _, s := range batch {
		s.logits, s.err = net.Forward(s.state, s.tokens, false)
	}
}

// CheckBatch is the part of ForwardBatch every architecture shares: it
// checks that states and tokens pair up and that no sequence comes twice,
// and passes each pair through the architecture's own check (which
// returns its state type). Nothing is run, so a batch that fails here
// changes no state.
func CheckBatch[S comparable](arch string, states []State, tokens [][]int32, check func(State, []int32, int) (S, error)) ([]S, error) {
	if len(states) != len(tokens) {
		return nil, fmt.Errorf("%s: ForwardBatch got %d states and %d token lists", arch, len(states), len(tokens))
	}
	out := make([]S, len(states))
	seen := make(map[S]bool, len(states))
	for i, ls := range states {
		s, err := check(ls, tokens[i], i)
		if err != nil {
			return nil, err
		}
		if seen[s] {
			return nil, fmt.Errorf("%s: ForwardBatch got sequence %d twice", arch, i)
		}
		seen[s] = true
		out[i] = s
	}
	return out, nil
}

// ForwardKeepingRows runs forward into a pooled buffer of len(keep) rows
// of width floats, copies row i into *keep[i] (grown once, then reused)
// and returns the rows so kept, each capped at its end. An architecture's
// ForwardBatch keeps each sequence's logits in its state this way until
// that state's next batch: a batch of eight sequences over a 152k-token
// vocabulary would otherwise take 4.8 MB of fresh memory a step, and its
// page faults cost more than the step's attention.
func ForwardKeepingRows(keep []*[]float32, width int, forward func(flat []float32)) [][]float32 {
	flat := batchRows.Get(len(keep) * width)
	defer batchRows.Put(flat)
	forward(*flat)
	out := make([][]float32, len(keep))
	for i, k := range keep {
		if cap(*k) < width {
			*k = make([]float32, width)
		}
		*k = (*k)[:width]
		copy(*k, (*flat)[i*width:(i+1)*width])
		out[i] = (*k)[:width:width]
	}
	return out
}

// batchRows holds batched passes' rows before they go to their states.
var batchRows bufs.Pool[float32]
