package tot

import (
	"context"
	"math"
	"sort"

	"github.com/ponder-go/ponder/internal/par"
)

// Strategy searches a problem.
type Strategy interface {
	Search(ctx context.Context, p Problem, b Budget) (*Result, error)
}

// BFS keeps the Breadth best states at each depth (the ToT paper's BFS).
// Each level's expansions run concurrently, then all its evaluations.
type BFS struct {
	Breadth int // default 5
	Depth   int // levels (default 3)
	// KeepGoing searches all Depth levels even after a solution appears.
	KeepGoing bool
}

// Beam is BFS ranking states by the sum of values along their path rather
// than by their own value alone.
type Beam struct {
	Width, Depth int
	KeepGoing    bool
}

// Search implements Strategy.
func (s BFS) Search(ctx context.Context, p Problem, b Budget) (*Result, error) {
	return levelSearch(ctx, p, b, "bfs", def(s.Breadth, 5), def(s.Depth, 3), s.KeepGoing, false)
}

// Search implements Strategy.
func (s Beam) Search(ctx context.Context, p Problem, b Budget) (*Result, error) {
	return levelSearch(ctx, p, b, "beam", def(s.Width, 5), def(s.Depth, 3), s.KeepGoing, true)
}

func levelSearch(ctx context.Context, p Problem, b Budget, name string, breadth, depth int, keepGoing, cumulative bool) (*Result, error) {
	t, ctx, cancel, err := newTree(ctx, p, b)
	if err != nil {
		return nil, err
	}
	defer cancel()
	frontier := []*Node{t.nodes[0]}
	if frontier[0].Solution && !keepGoing {
		return t.result(name, ""), nil
	}
	for d := 1; d <= depth; d++ {
		kids, err := t.expandAll(ctx, frontier)
		if stop := t.stopReason(ctx, err); stop != "" {
			return t.result(name, stop), nil
		} else if err != nil {
			return t.result(name, err.Error()), err
		}
		if err := t.evaluateAll(ctx, kids); err != nil {
			if stop := t.stopReason(ctx, err); stop != "" {
				return t.result(name, stop), nil
			}
			return t.result(name, err.Error()), err
		}
		var all []*Node
		for _, group := range kids {
			all = append(all, group...)
		}
		t.mu.Lock()
		for _, n := range all {
			n.Score = n.Value
			if cumulative {
				n.Score += t.nodes[n.Parent].Score
			}
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].Score > all[j].Score })
		for i, n := range all {
			n.Pruned = i >= breadth
		}
		t.mu.Unlock()
		frontier = all[:min(breadth, len(all))]
		if len(frontier) == 0 {
			return t.result(name, "tot: no candidates left"), nil
		}
		if !keepGoing {
			for _, n := range frontier {
				if n.Solution {
					return t.result(name, ""), nil
				}
			}
		}
	}
	return t.result(name, ""), nil
}

// expandAll expands nodes concurrently and returns their children by parent.
func (t *tree) expandAll(ctx context.Context, nodes []*Node) ([][]*Node, error) {
	kids := make([][]*Node, len(nodes))
	err := par.Do(ctx, len(nodes), t.budget.Workers, func(ctx context.Context, i int) error {
		k, err := t.expand(ctx, nodes[i])
		kids[i] = k
		return err
	})
	return kids, err
}

// evaluateAll evaluates sibling groups: per group for vote evaluators, per
// state otherwise, all concurrently within the worker bound.
func (t *tree) evaluateAll(ctx context.Context, groups [][]*Node) error {
	var units [][]*Node
	if _, vote := t.p.Evaluate.(*Vote); vote {
		units = groups
	} else {
		for _, g := range groups {
			for _, n := range g {
				units = append(units, []*Node{n})
			}
		}
	}
	return par.Do(ctx, len(units), t.budget.Workers, func(ctx context.Context, i int) error {
		return t.evaluate(ctx, units[i])
	})
}

// DFS explores the most promising child first, prunes children valued
// below Threshold, and backtracks when a branch dies out.
type DFS struct {
	Threshold float64
	MaxDepth  int // default 3
	// MaxExpansions bounds the nodes expanded (0: unlimited).
	MaxExpansions int
}

// Search implements Strategy.
func (s DFS) Search(ctx context.Context, p Problem, b Budget) (*Result, error) {
	t, ctx, cancel, err := newTree(ctx, p, b)
	if err != nil {
		return nil, err
	}
	defer cancel()
	maxDepth := def(s.MaxDepth, 3)
	expansions := 0
	var stopped string
	var visit func(n *Node) (bool, error)
	visit = func(n *Node) (bool, error) {
		if n.Solution {
			return true, nil
		}
		if n.Depth >= maxDepth {
			return false, nil
		}
		if s.MaxExpansions > 0 && expansions >= s.MaxExpansions {
			stopped = "tot: expansion limit reached"
			return false, nil
		}
		expansions++
		kids, err := t.expand(ctx, n)
		if err == nil {
			err = t.evaluateAll(ctx, [][]*Node{kids})
		}
		if err != nil {
			if stop := t.stopReason(ctx, err); stop != "" {
				stopped = stop
				return false, nil
			}
			return false, err
		}
		sort.SliceStable(kids, func(i, j int) bool { return kids[i].Value > kids[j].Value })
		for _, k := range kids {
			k.Score = k.Value
			if k.Value < s.Threshold {
				k.Pruned = true
			}
		}
		for _, k := range kids {
			if k.Pruned {
				continue
			}
			found, err := visit(k)
			if found || err != nil || stopped != "" {
				return found, err
			}
		}
		return false, nil
	}
	_, err = visit(t.nodes[0])
	if err != nil {
		return t.result("dfs", err.Error()), err
	}
	return t.result("dfs", stopped), nil
}

// MCTS is Monte Carlo Tree Search: select a leaf by UCT, expand it with the
// generator, use the evaluator's values of its children as the rollout
// reward (normalised by the largest value seen), and back the reward up the
// path. A node's Score is its mean reward; Visits count the backups.
type MCTS struct {
	Iterations int     // default 50
	C          float64 // exploration constant (default 1.4)
	MaxDepth   int     // default 3
	KeepGoing  bool    // continue after a solution is found
}

// Search implements Strategy.
func (s MCTS) Search(ctx context.Context, p Problem, b Budget) (*Result, error) {
	t, ctx, cancel, err := newTree(ctx, p, b)
	if err != nil {
		return nil, err
	}
	defer cancel()
	c := s.C
	if c == 0 {
		c = 1.4
	}
	maxDepth := def(s.MaxDepth, 3)
	children := map[int][]*Node{}
	total := map[int]float64{}
	maxSeen := 0.0
	root := t.nodes[0]
	for it := 0; it < def(s.Iterations, 50); it++ {
		// Selection.
		n := root
		for n.Expanded && len(children[n.ID]) > 0 && !n.Solution {
			var best *Node
			bestU := math.Inf(-1)
			for _, k := range children[n.ID] {
				u := math.Inf(1)
				if k.Visits > 0 {
					u = total[k.ID]/float64(k.Visits) + c*math.Sqrt(math.Log(float64(n.Visits+1))/float64(k.Visits))
				}
				if u > bestU {
					best, bestU = k, u
				}
			}
			n = best
		}
		// Expansion and evaluation.
		reward := 0.0
		leaf := n
		switch {
		case n.Solution:
			reward = 1
		case n.Expanded || n.Depth >= maxDepth:
			reward = 0 // a dead end
		default:
			kids, err := t.expand(ctx, n)
			if err == nil {
				err = t.evaluateAll(ctx, [][]*Node{kids})
			}
			if err != nil {
				if stop := t.stopReason(ctx, err); stop != "" {
					return t.result("mcts", stop), nil
				}
				return t.result("mcts", err.Error()), err
			}
			children[n.ID] = kids
			for _, k := range kids {
				maxSeen = math.Max(maxSeen, k.Value)
			}
			// Each child gets its own value as a first visit.
			for _, k := range kids {
				r := normReward(k, maxSeen)
				k.Visits, total[k.ID], k.Score = 1, r, r
				reward = math.Max(reward, r)
			}
		}
		// Backup along the path from leaf to root.
		for x := leaf; ; x = t.nodes[x.Parent] {
			x.Visits++
			total[x.ID] += reward
			x.Score = total[x.ID] / float64(x.Visits)
			if x.Parent < 0 {
				break
			}
		}
		if !s.KeepGoing {
			for _, k := range t.nodes {
				if k.Solution {
					return t.result("mcts", ""), nil
				}
			}
		}
	}
	return t.result("mcts", ""), nil
}

func normReward(n *Node, maxSeen float64) float64 {
	if n.Solution {
		return 1
	}
	if maxSeen <= 0 {
		return 0
	}
	return n.Value / maxSeen
}
