// Package tot implements Tree of Thought search (Yao et al. 2023): keep
// several partial solutions, score them, expand the promising ones and drop
// the rest, so a model that commits to every token it samples can still back
// out of a blind alley.
//
// A Problem is an initial state, a Generator (state -> candidate next
// states), an Evaluator (states -> values) and a solution test. Generators
// and evaluators can be model-backed (Sample, Propose, Value, Vote) or plain
// Go functions, so a model proposer can be mixed with a programmatic checker.
// Strategies: BFS, DFS, Beam and MCTS. Every search returns the whole tree.
package tot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ponder-go/ponder/llm"
)

// Thought is one candidate next state.
type Thought struct {
	State  string // the new partial solution
	Text   string // the step that led there (shown in the tree)
	Prompt string // the prompt that produced it, if model-backed
	Output string // the raw model output, if model-backed
}

// Generator turns a state into candidate next states.
type Generator interface {
	Generate(ctx context.Context, state string) ([]Thought, error)
}

// GeneratorFunc adapts a function.
type GeneratorFunc func(ctx context.Context, state string) ([]Thought, error)

// Generate calls f.
func (f GeneratorFunc) Generate(ctx context.Context, state string) ([]Thought, error) {
	return f(ctx, state)
}

// Evaluation scores one state.
type Evaluation struct {
	Value  float64   // higher is better
	Values []float64 // individual samples averaged into Value
	Votes  int       // votes received (vote mode)
	Prompt string
	Output string
}

// Evaluator scores several sibling states at once (vote mode needs to see
// them together; value mode scores each alone).
type Evaluator interface {
	Evaluate(ctx context.Context, states []string) ([]Evaluation, error)
}

// EvaluatorFunc scores one state at a time.
type EvaluatorFunc func(ctx context.Context, state string) (float64, error)

// Evaluate implements Evaluator.
func (f EvaluatorFunc) Evaluate(ctx context.Context, states []string) ([]Evaluation, error) {
	out := make([]Evaluation, len(states))
	for i, s := range states {
		v, err := f(ctx, s)
		if err != nil {
			return nil, err
		}
		out[i] = Evaluation{Value: v}
	}
	return out, nil
}

// Problem is what to search.
type Problem struct {
	Initial    string
	Generate   Generator
	Evaluate   Evaluator
	IsSolution func(state string) bool
	// Answer extracts the final answer from a solution (optional).
	Answer func(state string) string
}

// Budget bounds a search; zero fields are unlimited. When a budget runs out
// the search stops cleanly and returns the best state so far.
type Budget struct {
	Calls   int           // model calls
	Tokens  int           // model tokens
	Time    time.Duration // wall time
	Workers int           // concurrent generator/evaluator calls (default 4)
}

// Node is one state in the search tree.
type Node struct {
	ID         int           `json:"id"`
	Parent     int           `json:"parent"` // -1 for the root
	Depth      int           `json:"depth"`
	State      string        `json:"state"`
	Thought    string        `json:"thought,omitempty"`
	Value      float64       `json:"value"`
	Values     []float64     `json:"values,omitempty"`
	Votes      int           `json:"votes,omitempty"`
	Score      float64       `json:"score"` // what the strategy ranks by (value, path sum, UCT mean)
	Visits     int           `json:"visits,omitempty"`
	Pruned     bool          `json:"pruned"`
	Expanded   bool          `json:"expanded"`
	Solution   bool          `json:"solution"`
	Cached     bool          `json:"cached,omitempty"` // value taken from the cache
	GenPrompt  string        `json:"gen_prompt,omitempty"`
	GenOutput  string        `json:"gen_output,omitempty"`
	EvalPrompt string        `json:"eval_prompt,omitempty"`
	EvalOutput string        `json:"eval_output,omitempty"`
	GenTime    time.Duration `json:"gen_time"`
	EvalTime   time.Duration `json:"eval_time"`
}

// Result is a finished search.
type Result struct {
	Strategy string        `json:"strategy"`
	Best     *Node         `json:"best"`
	Solved   bool          `json:"solved"`
	Answer   string        `json:"answer,omitempty"`
	Nodes    []*Node       `json:"nodes"`
	Calls    int           `json:"calls"`
	Tokens   int           `json:"tokens"`
	Duration time.Duration `json:"duration"`
	Stopped  string        `json:"stopped,omitempty"` // why the search ended early
}

// Path returns the nodes from the root to n.
func (r *Result) Path(n *Node) []*Node {
	var path []*Node
	for n != nil {
		path = append([]*Node{n}, path...)
		if n.Parent < 0 {
			break
		}
		n = r.Nodes[n.Parent]
	}
	return path
}

// ErrBudget is returned (wrapped) by model calls once a budget is spent.
var ErrBudget = errors.New("search budget exhausted")

// tree is the shared state of one search.
type tree struct {
	p      Problem
	budget Budget
	mu     sync.Mutex
	nodes  []*Node
	cache  map[string]Evaluation
	calls  atomic.Int64
	tokens atomic.Int64
	start  time.Time
}

type treeKey struct{}

func newTree(ctx context.Context, p Problem, b Budget) (*tree, context.Context, context.CancelFunc, error) {
	if p.Generate == nil || p.Evaluate == nil {
		return nil, nil, nil, errors.New("tot: problem needs a Generate and an Evaluate")
	}
	if b.Workers <= 0 {
		b.Workers = 4
	}
	t := &tree{p: p, budget: b, cache: map[string]Evaluation{}, start: time.Now()}
	cancel := context.CancelFunc(func() {})
	if b.Time > 0 {
		ctx, cancel = context.WithTimeout(ctx, b.Time)
	}
	ctx = context.WithValue(ctx, treeKey{}, t)
	root := t.add(-1, 0, p.Initial, "")
	root.Solution = t.solved(p.Initial)
	return t, ctx, cancel, nil
}

func (t *tree) add(parent, depth int, state, thought string) *Node {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := &Node{ID: len(t.nodes), Parent: parent, Depth: depth, State: state, Thought: thought}
	t.nodes = append(t.nodes, n)
	return n
}

func (t *tree) solved(state string) bool {
	return t.p.IsSolution != nil && t.p.IsSolution(state)
}

// Call is how model-backed generators and evaluators call models: it
// enforces the search's budget (from ctx) and counts calls and tokens.
// Outside a search it is llm.Generate.
func Call(ctx context.Context, m llm.Model, req llm.Request) (*llm.Response, error) {
	t, _ := ctx.Value(treeKey{}).(*tree)
	if t == nil {
		return llm.Generate(ctx, m, req)
	}
	if n := t.calls.Add(1); t.budget.Calls > 0 && n > int64(t.budget.Calls) {
		return nil, fmt.Errorf("tot: %w: %d model calls", ErrBudget, t.budget.Calls)
	}
	if t.budget.Tokens > 0 && t.tokens.Load() >= int64(t.budget.Tokens) {
		return nil, fmt.Errorf("tot: %w: %d tokens", ErrBudget, t.budget.Tokens)
	}
	resp, err := llm.Generate(ctx, m, req)
	if resp != nil {
		t.tokens.Add(int64(resp.Usage.TotalTokens))
	}
	return resp, err
}

// stopReason reports why the search must stop, or "".
func (t *tree) stopReason(ctx context.Context, err error) string {
	switch {
	case err != nil && errors.Is(err, ErrBudget):
		return err.Error()
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "tot: time budget exhausted"
	case ctx.Err() != nil:
		return "tot: " + ctx.Err().Error()
	case t.budget.Tokens > 0 && t.tokens.Load() >= int64(t.budget.Tokens):
		return fmt.Sprintf("tot: %v: %d tokens", ErrBudget, t.budget.Tokens)
	}
	return ""
}

// expand generates the children of n (not yet evaluated).
func (t *tree) expand(ctx context.Context, n *Node) ([]*Node, error) {
	t0 := time.Now()
	thoughts, err := t.p.Generate.Generate(ctx, n.State)
	dt := time.Since(t0)
	t.mu.Lock()
	n.Expanded = true
	n.GenTime = dt
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	kids := make([]*Node, 0, len(thoughts))
	for _, th := range thoughts {
		c := t.add(n.ID, n.Depth+1, th.State, th.Text)
		c.GenPrompt, c.GenOutput = th.Prompt, th.Output
		c.Solution = t.solved(th.State)
		kids = append(kids, c)
	}
	return kids, nil
}

// evaluate scores nodes (siblings), using the cache for states seen before.
func (t *tree) evaluate(ctx context.Context, nodes []*Node) error {
	var todo []*Node
	t.mu.Lock()
	for _, n := range nodes {
		if e, ok := t.cache[n.State]; ok {
			n.Value, n.Values, n.Votes, n.Cached = e.Value, e.Values, e.Votes, true
			continue
		}
		todo = append(todo, n)
	}
	t.mu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	states := make([]string, len(todo))
	for i, n := range todo {
		states[i] = n.State
	}
	t0 := time.Now()
	evals, err := t.p.Evaluate.Evaluate(ctx, states)
	dt := time.Since(t0)
	if err != nil {
		return err
	}
	if len(evals) != len(todo) {
		return fmt.Errorf("tot: evaluator returned %d evaluations for %d states", len(evals), len(todo))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, n := range todo {
		e := evals[i]
		n.Value, n.Values, n.Votes = e.Value, e.Values, e.Votes
		n.EvalPrompt, n.EvalOutput, n.EvalTime = e.Prompt, e.Output, dt
		if _, vote := t.p.Evaluate.(*Vote); !vote {
			t.cache[n.State] = e
		}
	}
	return nil
}

func (t *tree) result(strategy string, stopped string) *Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &Result{Strategy: strategy, Nodes: t.nodes, Calls: int(t.calls.Load()), Tokens: int(t.tokens.Load()), Duration: time.Since(t.start), Stopped: stopped}
	if t.budget.Calls > 0 && r.Calls > t.budget.Calls {
		r.Calls = t.budget.Calls
	}
	// Best: a solution if any (highest score), else the highest-scoring
	// non-root node, else the root.
	for _, n := range t.nodes {
		if r.Best == nil || better(n, r.Best) {
			r.Best = n
		}
	}
	if r.Best != nil && r.Best.Solution {
		r.Solved = true
		if t.p.Answer != nil {
			r.Answer = t.p.Answer(r.Best.State)
		}
	}
	return r
}

func better(a, b *Node) bool {
	if a.Solution != b.Solution {
		return a.Solution
	}
	if (a.Parent < 0) != (b.Parent < 0) {
		return b.Parent < 0
	}
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if a.Depth != b.Depth {
		return a.Depth > b.Depth
	}
	return a.ID < b.ID
}
