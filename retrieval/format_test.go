package retrieval

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/philippgille/chromem-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var formatDocs = []Document{
	{ID: "ak", Title: "Alaska", Text: "Alaska had a population of 733,391 in the 2020 census. Its capital is Juneau.", Source: "ak.txt", Metadata: map[string]string{"region": "West"}},
	{ID: "ca", Title: "California", Text: "California had a population of 39,538,223 in the 2020 census. Its capital is Sacramento.", Source: "ca.txt", Metadata: map[string]string{"region": "West"}},
	{ID: "vt", Title: "Vermont", Text: "Vermont had 643,077 people. Montpelier is its capital.", Source: "vt.txt", Metadata: map[string]string{"region": "Northeast"}},
}

func ingestAll(t *testing.T, s *Store) {
	t.Helper()
	_, err := s.Ingest(context.Background(), formatDocs, nil, nil)
	require.NoError(t, err)
}

func top(t *testing.T, r Retriever, q string) string {
	t.Helper()
	res, err := r.Retrieve(context.Background(), q, 1)
	require.NoError(t, err)
	require.NotEmpty(t, res, q)
	id, _, _ := strings.Cut(res[0].ID, "#") // chunk ids are source#n
	return id
}

// A store saved in Ponder's format reopens with the same chunks, vectors,
// BM25 and manifest, and can be changed after reopening.
func TestStoreFormatRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, &HashEmbedder{})
	require.NoError(t, err)
	ingestAll(t, s)
	require.NoError(t, s.Save())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, isStoreFile(data))

	r, err := Open(path, &HashEmbedder{})
	require.NoError(t, err)
	assert.Equal(t, s.Count(), r.Count())
	assert.Equal(t, s.Sources(), r.Sources())
	for _, q := range []string{"capital of Vermont", "Sacramento", "population of Alaska"} {
		assert.Equal(t, top(t, s.Hybrid(), q), top(t, r.Hybrid(), q), q)
		assert.Equal(t, top(t, s.Lexical(), q), top(t, r.Lexical(), q), q)
		assert.Equal(t, top(t, s.Vector(), q), top(t, r.Vector(), q), q)
	}
	v := r.Vector()
	v.Where = map[string]string{"region": "Northeast"}
	assert.Equal(t, "vt", top(t, v, "population"))
	// Change a source after reopening (its old vectors view the file).
	changed := []Document{{ID: "ak", Title: "Alaska", Text: "Alaska's capital is Juneau; Anchorage is its largest city.", Source: "ak.txt"}}
	st, err := r.Ingest(context.Background(), changed, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Replaced)
	require.NoError(t, r.Save())
	r2, err := Open(path, &HashEmbedder{})
	require.NoError(t, err)
	assert.Equal(t, "ak", top(t, r2.Lexical(), "Anchorage"))
	assert.Equal(t, 3, r2.Count())
}

// writeChromemStore writes a store the way earlier versions did: a
// chromem-go export with a chunks and a manifest collection.
func writeChromemStore(t *testing.T, path string, docs []Document) {
	t.Helper()
	emb := &HashEmbedder{}
	db := chromem.NewDB()
	ef := func(ctx context.Context, text string) ([]float32, error) {
		v, err := emb.Embed(ctx, []string{text})
		return v[0], err
	}
	col, err := db.CreateCollection(chunkCollection, nil, ef)
	require.NoError(t, err)
	man := manifest{Version: 1, Sources: map[string]SourceEntry{}}
	for _, d := range docs {
		v, err := emb.Embed(context.Background(), []string{d.Title + "\n" + d.Text})
		require.NoError(t, err)
		require.NoError(t, col.AddDocument(context.Background(), chromem.Document{ID: d.ID, Content: d.Text, Embedding: v[0],
			Metadata: map[string]string{MetaSource: d.Source, MetaTitle: d.Title}}))
		man.Sources[d.Source] = SourceEntry{Hash: "h-" + d.ID, Chunks: []string{d.ID}}
	}
	mc, err := db.CreateCollection(manifestCollection, nil, ef)
	require.NoError(t, err)
	b, _ := json.Marshal(man)
	require.NoError(t, mc.AddDocument(context.Background(), chromem.Document{ID: manifestID, Content: string(b), Embedding: []float32{1}}))
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, db.ExportToWriter(f, true, ""))
	require.NoError(t, f.Close())
}

// Stores of the earlier format open (and query the same), and are written
// in the new format at the next save.
func TestLegacyStoreMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	writeChromemStore(t, path, formatDocs)
	s, err := Open(path, &HashEmbedder{})
	require.NoError(t, err)
	assert.Equal(t, 3, s.Count())
	assert.True(t, s.Dirty(), "a legacy store is rewritten at the next save")
	assert.Equal(t, "vt", top(t, s.Hybrid(), "Montpelier"))
	require.NoError(t, s.Save())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, isStoreFile(data))
	r, err := Open(path, &HashEmbedder{})
	require.NoError(t, err)
	assert.False(t, r.Dirty())
	assert.Equal(t, "vt", top(t, r.Hybrid(), "Montpelier"))
}

// A store file that lies about its sizes fails with an error, never a
// panic or a huge allocation.
func TestStoreFileLiesFail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	s, err := Open(path, &HashEmbedder{})
	require.NoError(t, err)
	ingestAll(t, s)
	require.NoError(t, s.Save())
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	hl := int(le64(good[8:]))
	header := good[16 : 16+hl]
	for name, bad := range map[string][]byte{
		"truncated": good[:len(good)-10],
		"short":     good[:12],
		"count":     bytes.Replace(good, []byte(`"count":3`), []byte(`"count":9`), 1),
		"dim":       bytes.Replace(good, []byte(`"dim":1024`), []byte(`"dim":9999`), 1),
		"version":   bytes.Replace(good, []byte(`"version":2`), []byte(`"version":7`), 1),
		"header":    append(append(append([]byte{}, good[:16]...), bytes.Repeat([]byte("x"), hl)...), good[16+hl:]...),
	} {
		if bytes.Equal(bad, good) {
			t.Fatalf("%s: nothing replaced in %s", name, header)
		}
		p := filepath.Join(dir, name+".db")
		require.NoError(t, os.WriteFile(p, bad, 0o644))
		_, err := Open(p, &HashEmbedder{})
		assert.Error(t, err, name)
	}
}

func le64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// FuzzStoreFile: any file content opens as a store or fails with an error.
func FuzzStoreFile(f *testing.F) {
	path := filepath.Join(f.TempDir(), "s.db")
	s, _ := Open(path, &HashEmbedder{Dim: 16})
	_, _ = s.Ingest(context.Background(), formatDocs, nil, nil)
	_ = s.Save()
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &Store{bm25: NewBM25(), vix: newVindex(), embedder: &HashEmbedder{Dim: 16}}
		s.index = s.vix
		if err := s.load(data); err == nil {
			_, _ = s.Hybrid().Retrieve(context.Background(), "capital", 2)
		}
	})
}

// mapIndex is a custom Index: vectors in a map (a stand-in for a database).
type mapIndex struct {
	docs map[string]Document
	vecs map[string][]float32
}

func (m *mapIndex) Add(ctx context.Context, docs []Document, vecs [][]float32) error {
	for i, d := range docs {
		m.docs[d.ID], m.vecs[d.ID] = d, vecs[i]
	}
	return nil
}
func (m *mapIndex) Remove(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		delete(m.docs, id)
		delete(m.vecs, id)
	}
	return nil
}
func (m *mapIndex) Search(ctx context.Context, q []float32, k int, keep func(Document) bool, minScore float64) ([]Result, error) {
	var out []Result
	for id, v := range m.vecs {
		if keep == nil || keep(m.docs[id]) {
			out = append(out, Result{Document: m.docs[id], Score: float64(dot(q, v))})
		}
	}
	sortResults(out)
	return out[:min(k, len(out))], nil
}
func (m *mapIndex) Len() int { return len(m.docs) }

// Other backends plug in through the Index seam: ingest, manifest and BM25
// stay the Store's, vectors go to the index.
func TestCustomIndex(t *testing.T) {
	ix := &mapIndex{docs: map[string]Document{}, vecs: map[string][]float32{}}
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := OpenWithIndex(path, &HashEmbedder{}, ix)
	require.NoError(t, err)
	ingestAll(t, s)
	assert.Equal(t, 3, ix.Len())
	assert.Equal(t, "vt", top(t, s.Vector(), "Montpelier capital"))
	require.NoError(t, s.Save())
	r, err := OpenWithIndex(path, &HashEmbedder{}, ix)
	require.NoError(t, err)
	assert.Equal(t, "ca", top(t, r.Lexical(), "Sacramento"))
	assert.Equal(t, "ca", top(t, r.Hybrid(), "Sacramento"))
	_, err = Open(path, &HashEmbedder{})
	assert.ErrorContains(t, err, "OpenWithIndex")
}

// The loader reads .gz text, counts skipped files by reason, and skips
// files unchanged since the last ingest without reading them.
func TestLoaderSkipsAndDecompresses(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("Compressed notes about Juneau."))
	zw.Close()
	write("notes.txt.gz", gz.Bytes())
	write("a.txt", []byte("Plain text about Alaska."))
	write("b.bin", []byte{0, 1, 2, 3})
	write("c.tar.xz", []byte("xz"))
	write("d.txt", []byte{0, 0, 0, 1, 2, 3, 0, 0})
	l := &Loader{}
	docs, err := l.LoadAll(dir)
	require.NoError(t, err)
	var titles []string
	for _, d := range docs {
		titles = append(titles, d.Title)
	}
	assert.ElementsMatch(t, []string{"a", "notes"}, titles)
	assert.Equal(t, map[string]int{"unsupported extension": 1, "compressed": 1, "binary": 1}, l.Skipped)

	s, err := Open("", &HashEmbedder{})
	require.NoError(t, err)
	_, err = s.Ingest(context.Background(), docs, nil, nil)
	require.NoError(t, err)
	l2 := &Loader{Unchanged: s.SourceUnchanged}
	docs2, err := l2.LoadAll(dir)
	require.NoError(t, err)
	assert.Empty(t, docs2)
	assert.Equal(t, 2, l2.Skipped["unchanged"])
	// A newer modification time is read again.
	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(dir, "a.txt"), later, later))
	l3 := &Loader{Unchanged: s.SourceUnchanged}
	docs3, err := l3.LoadAll(dir)
	require.NoError(t, err)
	assert.Len(t, docs3, 1)
}
