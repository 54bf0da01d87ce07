package retrieval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestTokenize(t *testing.T) {
	assert.Equal(t, []string{"california", "population", "39538223", "alaska", "3.5"},
		Tokenize("How many times is California's population (39,538,223) than Alaska’s 3.5?"))
	assert.Empty(t, Tokenize("the of a"))
}

func TestLoaders(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.txt", "plain text")
	write(t, dir, "b.md", "intro\n# The Title\nbody")
	write(t, dir, "c.html", `<html><head><title>Page &amp; Co</title><script>var x = "hidden";</script></head><body><p>First&nbsp;para</p><div>Second <b>bold</b></div><!-- gone --></body></html>`)
	write(t, dir, "sub/d.jsonl", "{\"_id\": \"1\", \"title\": \"T1\", \"text\": \"one\"}\nnot json\n\n{\"_id\": 2, \"text\": \"two\"}\n{\"title\": \"no id\"}\n")
	write(t, dir, "e.txt", "ok \xff\xfe bad")
	write(t, dir, "f.txt", "bin\x00ary")
	write(t, dir, "g.png", "ignored by extension")

	l := &Loader{}
	docs, err := l.LoadAll(dir)
	require.NoError(t, err)
	byTitle := map[string]Document{}
	for _, d := range docs {
		byTitle[d.Title] = d
	}
	require.Len(t, docs, 6, "%+v", docs)
	assert.Equal(t, "plain text", byTitle["a"].Text)
	assert.Equal(t, "intro\n# The Title\nbody", byTitle["The Title"].Text)
	html := byTitle["Page & Co"]
	assert.Equal(t, "First\u00a0para\n\nSecond bold", html.Text)
	assert.NotContains(t, html.Text, "hidden")
	assert.Equal(t, "one", byTitle["T1"].Text)
	assert.Equal(t, "2", docs[5].ID, "directories are walked in name order")
	assert.Equal(t, "ok \uFFFD bad", byTitle["e"].Text)

	var msgs []string
	for _, w := range l.Warnings {
		msgs = append(msgs, w.String())
	}
	all := strings.Join(msgs, "\n")
	assert.Contains(t, all, "d.jsonl: offset 43: line 2 skipped")
	assert.Contains(t, all, `line 5 skipped: needs "_id" and "text"`)
	assert.Contains(t, all, "e.txt: offset 3: invalid UTF-8 replaced")
	assert.Contains(t, all, "f.txt: skipped: binary file")
	assert.Len(t, l.Warnings, 4)

	_, err = l.LoadAll(filepath.Join(dir, "missing"))
	assert.Error(t, err)
	small := &Loader{MaxFileBytes: 5}
	docs, err = small.LoadAll(filepath.Join(dir, "a.txt"))
	require.NoError(t, err)
	assert.Empty(t, docs)
	assert.Contains(t, small.Warnings[0].Msg, "larger than 5 bytes")
}

func TestFixedChunkerOverlap(t *testing.T) {
	doc := Document{ID: "d", Title: "T", Text: "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9", Source: "s"}
	chunks := FixedChunker{Size: 4, Overlap: 1}.Chunk(doc)
	var texts []string
	for _, c := range chunks {
		texts = append(texts, c.Text)
		start, end := c.Metadata[MetaStart], c.Metadata[MetaEnd]
		var s, e int
		fmt.Sscan(start, &s)
		fmt.Sscan(end, &e)
		assert.Equal(t, c.Text, doc.Text[s:e], "offsets point at the chunk")
		assert.Equal(t, ContentHash(c.Text), c.Metadata[MetaHash])
		assert.Equal(t, "s", c.Metadata[MetaSource])
	}
	assert.Equal(t, []string{"w0 w1 w2 w3", "w3 w4 w5 w6", "w6 w7 w8 w9"}, texts)
	assert.Equal(t, "d#0", chunks[0].ID)
	assert.Empty(t, FixedChunker{Size: 3}.Chunk(Document{Text: "   "}))
	// Overlap >= size is clamped, never an endless loop.
	assert.Len(t, FixedChunker{Size: 2, Overlap: 5}.Chunk(doc), 9)
}

func TestRecursiveChunkerPrefersBoundaries(t *testing.T) {
	para1 := "Alpha one. Alpha two. Alpha three."
	para2 := "Beta one. Beta two."
	long := strings.Repeat("gamma ", 12)
	doc := Document{ID: "d", Text: para1 + "\n\n" + para2 + "\n\n" + long}
	chunks := RecursiveChunker{MaxTokens: 6}.Chunk(doc)
	var texts []string
	for _, c := range chunks {
		texts = append(texts, c.Text)
		var s, e int
		fmt.Sscan(c.Metadata[MetaStart], &s)
		fmt.Sscan(c.Metadata[MetaEnd], &e)
		assert.Equal(t, c.Text, doc.Text[s:e])
		assert.LessOrEqual(t, len(strings.Fields(c.Text)), 6)
	}
	assert.Equal(t, []string{"Alpha one. Alpha two. Alpha three.", "Beta one. Beta two.", strings.TrimSpace(strings.Repeat("gamma ", 6)), strings.TrimSpace(strings.Repeat("gamma ", 6))}, texts)

	// Small paragraphs merge up to the limit.
	merged := RecursiveChunker{MaxTokens: 100}.Chunk(doc)
	require.Len(t, merged, 1)
	assert.Equal(t, strings.TrimSpace(doc.Text), merged[0].Text)
}

func TestHashEmbedder(t *testing.T) {
	e := &HashEmbedder{Dim: 64}
	v, err := e.Embed(context.Background(), []string{"population of California", "population of California", "", "California population figures", "area of Texas"})
	require.NoError(t, err)
	assert.Equal(t, v[0], v[1], "deterministic")
	for _, x := range v {
		var n float64
		for _, y := range x {
			n += float64(y) * float64(y)
		}
		assert.InDelta(t, 1, n, 1e-5, "unit length")
		assert.True(t, nonZero(x))
	}
	assert.Greater(t, cosine(v[0], v[3]), cosine(v[0], v[4]))
}

func TestBM25AddRemove(t *testing.T) {
	ix := NewBM25(Document{ID: "a", Text: "red apple"}, Document{ID: "b", Text: "green apple"}, Document{ID: "c", Text: "red car"})
	r, err := ix.Retrieve(context.Background(), "red apple", 10)
	require.NoError(t, err)
	require.Len(t, r, 3)
	assert.Equal(t, "a", r[0].ID)
	ix.Remove("a")
	r, _ = ix.Retrieve(context.Background(), "red apple", 10)
	assert.Equal(t, 2, ix.Len())
	for _, x := range r {
		assert.NotEqual(t, "a", x.ID)
	}
	ix.Add(Document{ID: "b", Text: "blue boat"}) // replaces b
	r, _ = ix.Retrieve(context.Background(), "green", 10)
	assert.Empty(t, r)
	r, _ = ix.RetrieveFiltered(context.Background(), "red car boat", 10, func(d Document) bool { return d.ID == "b" })
	require.Len(t, r, 1)
	assert.Equal(t, "b", r[0].ID)
}

func corpusDocs() []Document {
	return []Document{
		{ID: "ca", Title: "California", Text: "California had a population of 39,538,223 in 2020.", Source: "ca.txt", Metadata: map[string]string{"region": "West"}},
		{ID: "ak", Title: "Alaska", Text: "Alaska had a population of 733,391 in 2020.", Source: "ak.txt", Metadata: map[string]string{"region": "West"}},
		{ID: "tx", Title: "Texas", Text: "Texas has a total area of 268,599 square miles.", Source: "tx.txt", Metadata: map[string]string{"region": "South"}},
	}
}

// zeroEmbedder returns a zero vector: the store must refuse it.
type zeroEmbedder struct{}

func (zeroEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return make([][]float32, len(texts)), nil
}

func TestStoreRejectsZeroVectors(t *testing.T) {
	s, err := Open("", zeroEmbedder{})
	require.NoError(t, err)
	_, err = s.Ingest(context.Background(), corpusDocs(), nil, nil)
	assert.ErrorContains(t, err, "zero or invalid vector")
	assert.Equal(t, 0, s.Count())
	_, err = Open("", nil)
	assert.Error(t, err)
}

// The suite (TestFileStoreSuite) covers the round trip; a file that is
// not a store is an error naming it.
func TestStoreGarbageFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.gob")
	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o644))
	_, err := Open(path, &HashEmbedder{Dim: 64})
	assert.ErrorContains(t, err, "reading")
}

type failingWriter struct {
	w    io.Writer
	left int
}

var errCrash = errors.New("simulated crash")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n, _ := f.w.Write(p[:f.left])
		f.left = 0
		return n, errCrash
	}
	f.left -= len(p)
	return f.w.Write(p)
}

func TestSaveCrashLeavesPreviousFileIntact(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "db.gob")
	s, err := Open(path, &HashEmbedder{Dim: 64})
	require.NoError(t, err)
	_, err = s.Ingest(ctx, corpusDocs()[:2], nil, nil)
	require.NoError(t, err)
	require.NoError(t, s.Save())
	good, err := os.ReadFile(path)
	require.NoError(t, err)

	_, err = s.Ingest(ctx, corpusDocs()[2:], nil, nil)
	require.NoError(t, err)
	saveHook = func(w io.Writer) io.Writer { return &failingWriter{w: w, left: 100} }
	err = s.Save()
	saveHook = nil
	require.ErrorIs(t, err, errCrash)

	now, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, good, now, "the previous file is untouched")
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temp file left behind")
	s2, err := Open(path, &HashEmbedder{Dim: 64})
	require.NoError(t, err)
	assert.Equal(t, 2, s2.Count())
}

func TestHundredThousandIDsSurviveReload(t *testing.T) {
	if testing.Short() {
		t.Skip("100k documents")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.gob")
	s, err := Open(path, &HashEmbedder{Dim: 8, MinGram: 3, MaxGram: 3})
	require.NoError(t, err)
	const n = 100_000
	docs := make([]Document, n)
	for i := range docs {
		docs[i] = Document{ID: fmt.Sprintf("doc-%06d", i), Text: fmt.Sprintf("item %d", i)}
	}
	_, err = s.Ingest(ctx, docs, FixedChunker{Size: 10}, nil)
	require.NoError(t, err)
	require.NoError(t, s.Save())
	s2, err := Open(path, &HashEmbedder{Dim: 8, MinGram: 3, MaxGram: 3})
	require.NoError(t, err)
	require.Equal(t, n, s2.Count())
	require.Len(t, s2.Sources(), n)
	for i := 0; i < n; i += 997 {
		res, err := s2.Lexical().Retrieve(ctx, fmt.Sprintf("item %d", i), 1)
		require.NoError(t, err)
		require.Len(t, res, 1)
		assert.Equal(t, fmt.Sprintf("doc-%06d#0", i), res[0].ID)
	}
}

type fixed []Result

func (f fixed) Retrieve(ctx context.Context, q string, k int) ([]Result, error) {
	return []Result(f)[:min(k, len(f))], nil
}

func res(ids ...string) fixed {
	var out fixed
	for i, id := range ids {
		out = append(out, Result{Document: Document{ID: id}, Score: float64(len(ids) - i)})
	}
	return out
}

func TestHybridRRF(t *testing.T) {
	h := &Hybrid{Retrievers: []Retriever{res("a", "b", "c"), res("c", "a", "d")}}
	out, err := h.Retrieve(context.Background(), "q", 4)
	require.NoError(t, err)
	require.Len(t, out, 4)
	// a: 1/61 + 1/62; c: 1/63 + 1/61; b: 1/62; d: 1/63.
	assert.Equal(t, []string{"a", "c", "b", "d"}, []string{out[0].ID, out[1].ID, out[2].ID, out[3].ID})
	assert.InDelta(t, 1.0/61+1.0/62, out[0].Score, 1e-12)
	assert.InDelta(t, 1.0/63, out[3].Score, 1e-12)

	w := &Hybrid{Retrievers: []Retriever{res("a", "b"), res("b", "a")}, Weights: []float64{0.5, 1}}
	out, _ = w.Retrieve(context.Background(), "q", 2)
	assert.Equal(t, "b", out[0].ID, "the heavier list wins a tie of ranks")
}

func TestHybridRelativeScore(t *testing.T) {
	// List 1 is sure of "a" (10 against 1 and 0); list 2 barely prefers
	// "b" (5.0 against 4.9 and 0). Min-max scaling: a = 1 + 0.98, b = 0.1 +
	// 1, c = 0 + 0: the confident list's pick wins, where RRF would tie.
	sure := fixed{{Document: Document{ID: "a"}, Score: 10}, {Document: Document{ID: "b"}, Score: 1}, {Document: Document{ID: "c"}, Score: 0}}
	unsure := fixed{{Document: Document{ID: "b"}, Score: 5}, {Document: Document{ID: "a"}, Score: 4.9}, {Document: Document{ID: "c"}, Score: 0}}
	h := &Hybrid{Retrievers: []Retriever{sure, unsure}, Fusion: RelativeScore}
	out, err := h.Retrieve(context.Background(), "q", 3)
	require.NoError(t, err)
	require.Len(t, out, 3)
	assert.Equal(t, []string{"a", "b", "c"}, []string{out[0].ID, out[1].ID, out[2].ID})
	assert.InDelta(t, 1+4.9/5, out[0].Score, 1e-12)
	assert.InDelta(t, 0.1+1, out[1].Score, 1e-12)
	assert.InDelta(t, 0, out[2].Score, 1e-12)
	// A list whose scores are all equal counts fully for each of them.
	flat := fixed{{Document: Document{ID: "x"}, Score: 2}}
	out, _ = (&Hybrid{Retrievers: []Retriever{flat}, Fusion: RelativeScore}).Retrieve(context.Background(), "q", 1)
	assert.InDelta(t, 1, out[0].Score, 1e-12)
}

func TestMMRPrefersDiversity(t *testing.T) {
	cands := fixed{
		{Document: Document{ID: "a"}, Score: 1.0, Embedding: []float32{1, 0}},
		{Document: Document{ID: "a2"}, Score: 0.95, Embedding: []float32{1, 0.01}},
		{Document: Document{ID: "b"}, Score: 0.9, Embedding: []float32{0, 1}},
	}
	out, err := (&MMR{Base: cands, Lambda: 0.5}).Retrieve(context.Background(), "q", 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, []string{out[0].ID, out[1].ID})
	out, _ = (&MMR{Base: cands, Lambda: 1}).Retrieve(context.Background(), "q", 2)
	assert.Equal(t, []string{"a", "a2"}, []string{out[0].ID, out[1].ID}, "lambda 1 is plain relevance")
}

func TestMetricsHandComputed(t *testing.T) {
	rel := map[string]int{"a": 1, "b": 1}
	ranked := []string{"x", "a", "y", "b"}
	assert.Equal(t, 0.0, RecallAt(ranked, rel, 1))
	assert.Equal(t, 0.5, RecallAt(ranked, rel, 2))
	assert.Equal(t, 1.0, RecallAt(ranked, rel, 4))
	assert.Equal(t, 0.5, ReciprocalRank(ranked, rel, 10))
	assert.Equal(t, 0.0, ReciprocalRank(ranked, rel, 1))
	// DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3).
	want := (1/math.Log2(3) + 1/math.Log2(5)) / (1 + 1/math.Log2(3))
	assert.InDelta(t, want, NDCG(ranked, rel, 10), 1e-12)
	assert.InDelta(t, 1.0, NDCG([]string{"a", "b"}, rel, 10), 1e-12)
	graded := map[string]int{"a": 2, "b": 1}
	// DCG = 1 + 2/log2(3); IDCG = 2 + 1/log2(3).
	assert.InDelta(t, (1+2/math.Log2(3))/(2+1/math.Log2(3)), NDCG([]string{"b", "a"}, graded, 10), 1e-12)
}

func TestEvaluateOnStatesDev(t *testing.T) {
	l := &Loader{}
	docs, err := l.LoadAll("testdata/states-dev/corpus.jsonl")
	require.NoError(t, err)
	require.Len(t, docs, 255)
	qs, err := LoadQueries("testdata/states-dev/queries.jsonl")
	require.NoError(t, err)
	qr, err := LoadQrels("testdata/states-dev/qrels.tsv")
	require.NoError(t, err)
	assert.Len(t, qr, len(qs), "the header line is skipped")
	s, err := Open("", &HashEmbedder{})
	require.NoError(t, err)
	_, err = s.Ingest(context.Background(), docs, nil, nil)
	require.NoError(t, err)
	// Floors a little under the measured values (README), so a regression
	// in any mode fails.
	floors := map[string]float64{"bm25": 0.99, "hybrid": 0.995, "vector": 0.98}
	at5 := map[string]float64{}
	for name, r := range map[string]Retriever{"bm25": s.Lexical(), "hybrid": s.Hybrid(), "vector": s.Vector()} {
		m, err := Evaluate(context.Background(), r, qs, qr, []int{1, 5}, nil)
		require.NoError(t, err)
		assert.Equal(t, len(qs), m.Queries)
		assert.GreaterOrEqual(t, m.Recall[5], floors[name], name)
		at5[name] = m.Recall[5]
		t.Logf("%s recall@1 %.3f recall@5 %.3f", name, m.Recall[1], m.Recall[5])
	}
	assert.Greater(t, at5["hybrid"], at5["bm25"], "hybrid beats BM25 at recall@5")
	assert.Greater(t, at5["hybrid"], at5["vector"], "hybrid beats vector at recall@5")
}

func TestLoadQrelsErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadQrels(write(t, dir, "q.tsv", "q1\td1\t1\nq2\td2\n"))
	assert.ErrorContains(t, err, "line 2: want 3 tab-separated columns, got 2")
	_, err = LoadQrels(write(t, dir, "r.tsv", "q1\td1\t1\nq2\td2\tx\n"))
	assert.ErrorContains(t, err, `line 2: score "x"`)
	_, err = LoadQueries(write(t, dir, "q.jsonl", "{\"_id\":\"1\",\"text\":\"a\"}\n{\"text\":\"b\"}\n"))
	assert.ErrorContains(t, err, `line 2: needs "_id"`)
}

func cosine(a, b []float32) float64 {
	if n := math.Sqrt(float64(dot(a, a)) * float64(dot(b, b))); n > 0 {
		return float64(dot(a, b)) / n
	}
	return 0
}

// Hardening #8: a save keeps the file's mode; a writer that was killed
// mid-save leaves a temporary file that the next writer removes; a second
// writer waits for the first (and gives up with ErrLocked at its deadline).
func TestWriterLockOrphansAndMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store.db")
	s, err := OpenWriter(context.Background(), path, &HashEmbedder{})
	require.NoError(t, err)
	_, err = s.Ingest(context.Background(), []Document{{ID: "a", Text: "Alaska had 733,391 people."}}, nil, nil)
	require.NoError(t, err)
	require.NoError(t, s.Save())
	require.NoError(t, os.Chmod(path, 0o600))
	orphan := filepath.Join(dir, ".store.db.tmp-12345")
	require.NoError(t, os.WriteFile(orphan, []byte("half a save"), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err = OpenWriter(ctx, path, &HashEmbedder{})
	cancel()
	assert.ErrorIs(t, err, ErrLocked)
	require.NoError(t, s.Close())

	s2, err := OpenWriter(context.Background(), path, &HashEmbedder{})
	require.NoError(t, err)
	defer s2.Close()
	_, err = os.Stat(orphan)
	assert.ErrorIs(t, err, os.ErrNotExist, "the orphaned temporary file is removed")
	_, err = s2.Ingest(context.Background(), []Document{{ID: "b", Text: "Texas had 29,145,505 people."}}, nil, nil)
	require.NoError(t, err)
	require.NoError(t, s2.Save())
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.Len(t, s2.Sources(), 2)
}

func TestResultPrintsWithoutVectors(t *testing.T) {
	r := Result{Document: Document{ID: "ak#0", Title: "Alaska", Text: "Alaska had a population of 733,391."}, Score: 0.5, Embedding: make([]float32, 1024)}
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%+v", r), fmt.Sprintf("%v", []Result{r})} {
		assert.Less(t, len(s), 200, s)
		assert.Contains(t, s, "ak#0 (score 0.5000, Alaska, 1024-dim embedding): Alaska had")
	}
}
