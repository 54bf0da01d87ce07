package retrieval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Query is an evaluation query.
type Query struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

// Qrels maps query ID -> document ID -> relevance grade (> 0 is relevant).
type Qrels map[string]map[string]int

// LoadQueries reads BEIR queries.jsonl ({"_id","text"} per line).
func LoadQueries(path string) ([]Query, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("retrieval: %w", err)
	}
	defer f.Close()
	var out []Query
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var raw struct {
			ID   any    `json:"_id"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			return nil, fmt.Errorf("retrieval: %s line %d: %w", path, line, err)
		}
		if raw.ID == nil || raw.Text == "" {
			return nil, fmt.Errorf("retrieval: %s line %d: needs \"_id\" and \"text\"", path, line)
		}
		out = append(out, Query{ID: fmt.Sprint(raw.ID), Text: raw.Text})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("retrieval: %s: %w", path, err)
	}
	return out, nil
}

// LoadQrels reads a BEIR qrels TSV: query-id, corpus-id, score, with an
// optional header line.
func LoadQrels(path string) (Qrels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("retrieval: %w", err)
	}
	defer f.Close()
	q := Qrels{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" {
			continue
		}
		parts := strings.Split(t, "\t")
		if len(parts) != 3 {
			return nil, fmt.Errorf("retrieval: %s line %d: want 3 tab-separated columns, got %d", path, line, len(parts))
		}
		score, err := strconv.Atoi(strings.TrimSpace(parts[2]))
		if err != nil {
			if line == 1 {
				continue // header
			}
			return nil, fmt.Errorf("retrieval: %s line %d: score %q: %w", path, line, parts[2], err)
		}
		if q[parts[0]] == nil {
			q[parts[0]] = map[string]int{}
		}
		q[parts[0]][parts[1]] = score
	}
	return q, sc.Err()
}

// Metrics are averaged over the queries that have relevant documents.
type Metrics struct {
	Queries    int                `json:"queries"`
	Recall     map[int]float64    `json:"recall"` // k -> recall@k
	MRR10      float64            `json:"mrr@10"`
	NDCG10     float64            `json:"ndcg@10"`
	LatencyP50 time.Duration      `json:"latency_p50"`
	LatencyP95 time.Duration      `json:"latency_p95"`
	PerQuery   map[string]float64 `json:"-"` // recall@5 per query, for inspection
}

// RecallAt is the fraction of a query's relevant documents among ranked[:k].
func RecallAt(ranked []string, rel map[string]int, k int) float64 {
	total := 0
	for _, g := range rel {
		if g > 0 {
			total++
		}
	}
	if total == 0 {
		return 0
	}
	found := 0
	for i, id := range ranked {
		if i >= k {
			break
		}
		if rel[id] > 0 {
			found++
		}
	}
	return float64(found) / float64(total)
}

// ReciprocalRank is 1/rank of the first relevant document in ranked[:k], or 0.
func ReciprocalRank(ranked []string, rel map[string]int, k int) float64 {
	for i, id := range ranked {
		if i >= k {
			break
		}
		if rel[id] > 0 {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// NDCG is normalised discounted cumulative gain at k with gain = grade and
// discount log2(rank+1), as in BEIR's pytrec_eval.
func NDCG(ranked []string, rel map[string]int, k int) float64 {
	dcg := 0.0
	for i, id := range ranked {
		if i >= k {
			break
		}
		if g := rel[id]; g > 0 {
			dcg += float64(g) / math.Log2(float64(i+2))
		}
	}
	var grades []int
	for _, g := range rel {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(grades)))
	idcg := 0.0
	for i, g := range grades {
		if i >= k {
			break
		}
		idcg += float64(g) / math.Log2(float64(i+2))
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// Evaluate runs every query through r (top 10 plus the largest recall k)
// and averages the metrics. docOf maps a retrieved chunk to the corpus
// document ID the qrels use (default: the chunk's doc_id metadata, else its
// ID); several chunks of one document count once.
func Evaluate(ctx context.Context, r Retriever, queries []Query, qrels Qrels, ks []int, docOf func(Result) string) (Metrics, error) {
	if docOf == nil {
		docOf = func(res Result) string {
			if id := res.Metadata[MetaDocID]; id != "" {
				return id
			}
			return res.ID
		}
	}
	depth := 10
	for _, k := range ks {
		depth = max(depth, k)
	}
	m := Metrics{Recall: map[int]float64{}, PerQuery: map[string]float64{}}
	var lat []time.Duration
	for _, q := range queries {
		rel := qrels[q.ID]
		if len(rel) == 0 {
			continue
		}
		t0 := time.Now()
		res, err := r.Retrieve(ctx, q.Text, depth*3)
		lat = append(lat, time.Since(t0))
		if err != nil {
			return m, fmt.Errorf("retrieval: query %s: %w", q.ID, err)
		}
		var ranked []string
		seen := map[string]bool{}
		for _, x := range res {
			id := docOf(x)
			if !seen[id] {
				seen[id] = true
				ranked = append(ranked, id)
			}
		}
		m.Queries++
		for _, k := range ks {
			m.Recall[k] += RecallAt(ranked, rel, k)
		}
		m.PerQuery[q.ID] = RecallAt(ranked, rel, 5)
		m.MRR10 += ReciprocalRank(ranked, rel, 10)
		m.NDCG10 += NDCG(ranked, rel, 10)
	}
	if m.Queries == 0 {
		return m, fmt.Errorf("retrieval: no query has relevance judgements")
	}
	n := float64(m.Queries)
	for k := range m.Recall {
		m.Recall[k] /= n
	}
	m.MRR10 /= n
	m.NDCG10 /= n
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	m.LatencyP50 = lat[len(lat)/2]
	m.LatencyP95 = lat[min(len(lat)-1, len(lat)*95/100)]
	return m, nil
}
