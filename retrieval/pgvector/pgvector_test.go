package pgvector_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/retrieval"
	"github.com/ponder-go/ponder/retrieval/pgvector"
	"github.com/ponder-go/ponder/retrieval/pgvector/pgvectortest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgvectortest.Stop()
	os.Exit(code)
}

const dim = 64

func open(t *testing.T, table string) *pgvector.Index {
	t.Helper()
	ix, err := pgvector.Open(context.Background(), pgvectortest.URL(t), pgvector.Options{Dim: dim, Table: table})
	require.NoError(t, err)
	t.Cleanup(ix.Close)
	return ix
}

func randomUnit(r *rand.Rand) []float32 {
	v := make([]float32, dim)
	var n float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		n += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(sqrt(n))
	}
	return v
}

func sqrt(x float64) float64 {
	z := x
	for range 30 {
		z = (z + x/z) / 2
	}
	return z
}

// The HNSW search agrees with Ponder's exhaustive index on the same
// vectors, metadata filters run in SQL, and Remove and Len do what they
// say.
func TestIndexAgainstExhaustiveSearch(t *testing.T) {
	ctx := context.Background()
	table := pgvectortest.Table(t)
	ix := open(t, table)
	r := rand.New(rand.NewPCG(1, 2))
	const n = 600
	docs := make([]retrieval.Document, n)
	vecs := make([][]float32, n)
	for i := range docs {
		docs[i] = retrieval.Document{ID: fmt.Sprintf("d%03d", i), Source: fmt.Sprintf("s%d", i%10), Text: fmt.Sprintf("document %d", i),
			Metadata: map[string]string{"parity": []string{"even", "odd"}[i%2]}}
		vecs[i] = randomUnit(r)
	}
	require.NoError(t, ix.Add(ctx, docs, vecs))
	require.ErrorContains(t, ix.Add(ctx, docs[:1], [][]float32{make([]float32, dim-1)}), "dimensional")
	assert.Equal(t, n, ix.Len())

	var agree, total int
	for q := 0; q < 20; q++ {
		qv := randomUnit(r)
		got, err := ix.Search(ctx, qv, 10, nil, 0)
		require.NoError(t, err)
		require.Len(t, got, 10)
		want := bruteForce(docs, vecs, qv, 10, nil)
		set := map[string]bool{}
		for _, w := range want {
			set[w] = true
		}
		for _, g := range got {
			if set[g.ID] {
				agree++
			}
		}
		total += 10
		assert.InDelta(t, dot(vecs[idx(got[0].ID)], qv), got[0].Score, 1e-4, "score is cosine similarity")

		// Filters: in SQL (SearchWhere) and through a keep function.
		odd, err := ix.SearchWhere(ctx, qv, 5, map[string]string{"parity": "odd"}, 0)
		require.NoError(t, err)
		require.Len(t, odd, 5)
		kept, err := ix.Search(ctx, qv, 5, func(d retrieval.Document) bool { return d.Metadata["parity"] == "odd" }, 0)
		require.NoError(t, err)
		require.Len(t, kept, 5)
		for i := range odd {
			assert.Equal(t, "odd", odd[i].Metadata["parity"])
			assert.Equal(t, odd[i].ID, kept[i].ID)
		}
	}
	// The query can use the HNSW index (on 600 rows the planner would
	// rather scan the table, so scans are turned off to see it).
	conn, err := pgx.Connect(ctx, pgvectortest.URL(t))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "SET enable_seqscan = off")
	require.NoError(t, err)
	var plan strings.Builder
	rows, err := conn.Query(ctx, fmt.Sprintf("EXPLAIN SELECT id FROM %s ORDER BY embedding <=> '%s' LIMIT 10", table, vecText(vecs[0])))
	require.NoError(t, err)
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		plan.WriteString(line + "\n")
	}
	rows.Close()
	_, err = conn.Exec(ctx, "RESET enable_seqscan")
	require.NoError(t, err)
	conn.Close(ctx)
	assert.Contains(t, plan.String(), table+"_hnsw", plan.String())

	recall := float64(agree) / float64(total)
	t.Logf("recall@10 against exhaustive search: %.3f", recall)
	assert.GreaterOrEqual(t, recall, 0.9)

	require.NoError(t, ix.Remove(ctx, "d000", "d001", "missing"))
	assert.Equal(t, n-2, ix.Len())
	got, err := ix.Search(ctx, vecs[0], 1, nil, 0)
	require.NoError(t, err)
	assert.NotEqual(t, "d000", got[0].ID)
	got, err = ix.Search(ctx, vecs[5], 1, nil, 0.99)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "d005", got[0].ID)

	// Wrong dimensions are errors, not silent garbage.
	_, err = ix.Search(ctx, make([]float32, dim+1), 1, nil, 0)
	assert.ErrorContains(t, err, "dimensional")
}

func idx(id string) int {
	var i int
	fmt.Sscanf(id, "d%d", &i)
	return i
}

func vecText(v []float32) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func bruteForce(docs []retrieval.Document, vecs [][]float32, q []float32, k int, keep func(retrieval.Document) bool) []string {
	type sc struct {
		id string
		s  float64
	}
	var all []sc
	for i, d := range docs {
		if keep == nil || keep(d) {
			all = append(all, sc{d.ID, dot(vecs[i], q)})
		}
	}
	for i := 0; i < k && i < len(all); i++ {
		for j := i + 1; j < len(all); j++ {
			if all[j].s > all[i].s {
				all[i], all[j] = all[j], all[i]
			}
		}
	}
	var out []string
	for i := 0; i < k && i < len(all); i++ {
		out = append(out, all[i].id)
	}
	return out
}

func TestDimensionMismatch(t *testing.T) {
	table := pgvectortest.Table(t)
	open(t, table)
	_, err := pgvector.Open(context.Background(), pgvectortest.URL(t), pgvector.Options{Dim: dim + 1, Table: table})
	assert.ErrorContains(t, err, fmt.Sprintf("holds %d-dimensional embeddings but the embedder gives %d", dim, dim+1))
	_, err = pgvector.Open(context.Background(), pgvectortest.URL(t), pgvector.Options{Dim: dim, Table: "bad name; drop table x"})
	assert.ErrorContains(t, err, "table name")
	_, err = pgvector.Open(context.Background(), "postgres://127.0.0.1:1/none?connect_timeout=2", pgvector.Options{Dim: dim})
	assert.Error(t, err)
}

// poison embeds like the HashEmbedder but returns a vector of the wrong
// size for any text containing POISON: the database rejects it mid-ingest.
type poison struct{ retrieval.HashEmbedder }

func (p *poison) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	vs, err := p.HashEmbedder.Embed(ctx, texts)
	for i, t := range texts {
		if strings.Contains(t, "POISON") {
			vs[i] = append(vs[i], 0.5)
		}
	}
	return vs, err
}

// A Store over Postgres: the same ingest semantics as a file store
// (unchanged adds nothing, changed replaces), reopened from the database,
// each source replaced in one transaction, hybrid retrieval with BM25 or
// Postgres full-text search.
func TestStoreOverPostgres(t *testing.T) {
	ctx := context.Background()
	table := pgvectortest.Table(t)
	emb := &poison{retrieval.HashEmbedder{Dim: dim}}
	ix := open(t, table)
	s, err := retrieval.OpenCatalog(ctx, emb, ix)
	require.NoError(t, err)
	docs := []retrieval.Document{
		{ID: "go", Source: "go.txt", Title: "Go", Text: "Goroutines are lightweight threads. Channels connect goroutines.", Metadata: map[string]string{"lang": "go"}},
		{ID: "rust", Source: "rust.txt", Title: "Rust", Text: "Rust checks ownership and borrowing at compile time.", Metadata: map[string]string{"lang": "rust"}},
		{ID: "zig", Source: "zig.txt", Title: "Zig", Text: "Zig has comptime and no hidden control flow.", Metadata: map[string]string{"lang": "zig"}},
	}
	st, err := s.Ingest(ctx, docs, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Added)
	st, err = s.Ingest(ctx, docs, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Unchanged, "unchanged sources add nothing")
	assert.Zero(t, st.Chunks)
	require.NoError(t, s.Save(), "nothing left to save")

	res, err := s.Hybrid().Retrieve(ctx, "goroutines and channels", 1)
	require.NoError(t, err)
	require.NotEmpty(t, res)
	assert.Equal(t, "go.txt", res[0].Source)
	v := s.Vector()
	v.Where = map[string]string{"lang": "rust"}
	res, err = v.Retrieve(ctx, "goroutines and channels", 3)
	require.NoError(t, err)
	require.Len(t, res, 1, "the filter ran in SQL")
	assert.Equal(t, "rust.txt", res[0].Source)
	ft, err := ix.FullText().Retrieve(ctx, "borrowing ownership", 3)
	require.NoError(t, err)
	require.NotEmpty(t, ft)
	assert.Equal(t, "rust.txt", ft[0].Source)
	hy := &retrieval.Hybrid{Retrievers: []retrieval.Retriever{s.Vector(), ix.FullText()}}
	res, err = hy.Retrieve(ctx, "compile-time ownership", 1)
	require.NoError(t, err)
	assert.Equal(t, "rust.txt", res[0].Source)

	// A changed source is replaced; the old chunk is gone.
	docs[2].Text = "Zig cross-compiles to many targets out of the box."
	st, err = s.Ingest(ctx, docs, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Replaced)
	ft, err = ix.FullText().Retrieve(ctx, "comptime", 3)
	require.NoError(t, err)
	assert.Empty(t, ft, "the old text of zig.txt is gone")

	// A failure inside a source's replacement rolls the whole source back:
	// the old rust.txt chunk survives a rejected new version.
	before := ix.Len()
	bad := []retrieval.Document{{ID: "rust", Source: "rust.txt", Title: "Rust", Text: "POISON rewrite of the Rust page."}}
	_, err = s.Ingest(ctx, bad, nil, nil)
	require.Error(t, err)
	assert.Equal(t, before, ix.Len())
	ft, err = ix.FullText().Retrieve(ctx, "borrowing", 3)
	require.NoError(t, err)
	require.Len(t, ft, 1)
	assert.Contains(t, ft[0].Text, "ownership and borrowing", "the old version is intact")

	// Reopened from the database: sources, chunks and BM25 are back.
	ix2 := open(t, table)
	s2, err := retrieval.OpenCatalog(ctx, emb, ix2)
	require.NoError(t, err)
	assert.Equal(t, []string{"go.txt", "rust.txt", "zig.txt"}, s2.Sources())
	assert.Equal(t, 3, s2.Count())
	lex, err := s2.Lexical().Retrieve(ctx, "cross-compiles targets", 1)
	require.NoError(t, err)
	require.Len(t, lex, 1)
	assert.Equal(t, "zig.txt", lex[0].Source)
	st, err = s2.Ingest(ctx, docs, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Unchanged, "the manifest came back from the database")
}

// MMR over a Postgres store reads the candidates' vectors back.
func TestEmbeddingsForMMR(t *testing.T) {
	ctx := context.Background()
	ix := open(t, pgvectortest.Table(t))
	s, err := retrieval.OpenCatalog(ctx, &retrieval.HashEmbedder{Dim: dim}, ix)
	require.NoError(t, err)
	_, err = s.Ingest(ctx, []retrieval.Document{
		{ID: "a", Text: "apples and pears"}, {ID: "b", Text: "apples and pears, again"}, {ID: "c", Text: "oranges"},
	}, nil, nil)
	require.NoError(t, err)
	all, err := s.Lexical().Retrieve(ctx, "apples oranges", 3)
	require.NoError(t, err)
	require.Len(t, all, 3)
	embs := s.Embeddings(ctx, []string{all[0].ID, all[2].ID, "missing"})
	require.Len(t, embs, 2)
	assert.Len(t, embs[all[0].ID], dim)
	res, err := (&retrieval.MMR{Base: s.Hybrid(), Store: s}).Retrieve(ctx, "apples", 2)
	require.NoError(t, err)
	assert.Len(t, res, 2)
}

// Recall@10 of the HNSW index against exact search on 10,000 random
// 64-dimensional unit vectors (the planner uses the index at this size).
func TestRecallAt10On10000Vectors(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 10,000 vectors (about 20 s on PGlite)")
	}
	ctx := context.Background()
	ix := open(t, pgvectortest.Table(t))
	r := rand.New(rand.NewPCG(3, 4))
	const n = 10000
	docs := make([]retrieval.Document, n)
	vecs := make([][]float32, n)
	for i := range docs {
		docs[i] = retrieval.Document{ID: fmt.Sprintf("v%05d", i), Text: "x"}
		vecs[i] = randomUnit(r)
	}
	start := time.Now()
	require.NoError(t, ix.Add(ctx, docs, vecs))
	t.Logf("inserted %d vectors with the HNSW index in place in %v", n, time.Since(start).Round(time.Millisecond))
	var agree, total int
	start = time.Now()
	const queries = 50
	for q := 0; q < queries; q++ {
		qv := randomUnit(r)
		got, err := ix.Search(ctx, qv, 10, nil, 0)
		require.NoError(t, err)
		want := map[string]bool{}
		for _, id := range bruteForce(docs, vecs, qv, 10, nil) {
			want[id] = true
		}
		for _, g := range got {
			if want[g.ID] {
				agree++
			}
		}
		total += 10
	}
	recall := float64(agree) / float64(total)
	t.Logf("recall@10 over %d queries: %.3f (ef_search 100), %v per query", queries, recall, (time.Since(start) / queries).Round(time.Microsecond))
	assert.GreaterOrEqual(t, recall, 0.8)
}
