package retrieval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/philippgille/chromem-go"

	"github.com/ponder-go/ponder/internal/clip"
	"github.com/ponder-go/ponder/llm"
)

// Store is a persistent chunk store on chromem-go with a BM25 index beside
// it. It fixes chromem's sharp edges:
//   - every collection gets an explicit embedding function (chromem falls
//     back to the OpenAI API silently when given none): ours embeds with the
//     Store's Embedder, and vectors are always computed here first;
//   - persistence is one file written with chromem's export, atomically
//     (temp file, fsync, rename, fsync of the directory), not
//     NewPersistentDB, whose 32-bit file-name hashes collide at scale;
//   - all mutations hold the Store's lock (chromem's Delete races with
//     AddDocument);
//   - empty collections and k larger than the collection return what exists;
//   - zero or NaN vectors are rejected before they reach chromem.
type Store struct {
	// TitleWeight mixes a chunk's title vector into its text vector
	// (default 0.5; 0 turns it off). It applies to chunks ingested after it
	// is set.
	TitleWeight float64

	mu       sync.RWMutex
	path     string
	embedder llm.Embedder
	db       *chromem.DB
	col      *chromem.Collection
	bm25     *BM25
	vix      *vindex
	man      manifest
	lock     *fileLock // held by a store opened with OpenWriter
}

// manifest records, per source, the hash of its content and its chunk IDs,
// so re-ingesting an unchanged source adds nothing and a changed one
// replaces its chunks. It is saved in its own collection in the same file.
type manifest struct {
	Version int                    `json:"version"`
	Sources map[string]sourceEntry `json:"sources"`
}

type sourceEntry struct {
	Hash   string   `json:"hash"`
	Chunks []string `json:"chunks"`
}

const (
	chunkCollection    = "chunks"
	manifestCollection = "ponder_manifest"
	manifestID         = "manifest"
)

// Open opens the store saved at path, or an empty one if the file does not
// exist. path "" makes an in-memory store (Save fails).
func Open(path string, embedder llm.Embedder) (*Store, error) {
	if embedder == nil {
		return nil, errors.New("retrieval: Open needs an Embedder (use &HashEmbedder{} for the local one)")
	}
	s := &Store{TitleWeight: 0.5, path: path, embedder: embedder, db: chromem.NewDB(), bm25: NewBM25(), vix: newVindex(), man: manifest{Version: 1, Sources: map[string]sourceEntry{}}}
	if path != "" {
		f, err := os.Open(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("retrieval: %w", err)
		default:
			err = s.db.ImportFromReader(f, "")
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("retrieval: reading %s: %w", path, err)
			}
		}
	}
	var err error
	s.col, err = s.db.GetOrCreateCollection(chunkCollection, nil, s.embedFunc())
	if err != nil {
		return nil, fmt.Errorf("retrieval: %w", err)
	}
	if err := s.loadManifest(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) embedFunc() chromem.EmbeddingFunc {
	return func(ctx context.Context, text string) ([]float32, error) {
		v, err := s.embedder.Embed(ctx, []string{text})
		if err != nil {
			return nil, err
		}
		if len(v) != 1 || !nonZero(v[0]) {
			return nil, fmt.Errorf("retrieval: embedder returned a zero or invalid vector for %q", clip.String(text, 40))
		}
		return v[0], nil
	}
}

func (s *Store) loadManifest() error {
	mc := s.db.GetCollection(manifestCollection, s.embedFunc())
	if mc == nil {
		return nil
	}
	doc, err := mc.GetByID(context.Background(), manifestID)
	if err != nil {
		return fmt.Errorf("retrieval: store %s has no manifest: %w", s.path, err)
	}
	if err := json.Unmarshal([]byte(doc.Content), &s.man); err != nil {
		return fmt.Errorf("retrieval: store %s: corrupt manifest: %w", s.path, err)
	}
	if s.man.Sources == nil {
		s.man.Sources = map[string]sourceEntry{}
	}
	// Rebuild the lexical and vector indexes. One exhaustive chromem query
	// enumerates every chunk with the slices chromem holds (GetByID would
	// clone each vector: a second copy of every embedding).
	n := s.col.Count()
	want := 0
	for _, e := range s.man.Sources {
		want += len(e.Chunks)
	}
	if n != want {
		return fmt.Errorf("retrieval: store %s: the manifest lists %d chunks but the collection holds %d", s.path, want, n)
	}
	if n == 0 {
		return nil
	}
	var first string
	for _, e := range s.man.Sources {
		if len(e.Chunks) > 0 {
			first = e.Chunks[0]
			break
		}
	}
	probe, err := s.col.GetByID(context.Background(), first)
	if err != nil {
		return fmt.Errorf("retrieval: store %s: chunk %q listed in the manifest is missing: %w", s.path, first, err)
	}
	// A store built with another embedder (or another HashEmbedder.Dim)
	// cannot be searched with this one: say so instead of ranking garbage.
	if v, err := s.embedFunc()(context.Background(), "dimension probe"); err != nil {
		return fmt.Errorf("retrieval: store %s: embedding a probe: %w", s.path, err)
	} else if len(v) != len(probe.Embedding) {
		return fmt.Errorf("retrieval: store %s holds %d-dimensional embeddings but the embedder gives %d: reopen it with the embedder that built it, or ingest again into a new file",
			s.path, len(probe.Embedding), len(v))
	}
	all, err := s.col.QueryEmbedding(context.Background(), probe.Embedding, n, nil, nil)
	if err != nil {
		return fmt.Errorf("retrieval: store %s: %w", s.path, err)
	}
	byID := make(map[string]int, len(all))
	for i, r := range all {
		byID[r.ID] = i
	}
	docs := make([]Document, 0, n)
	for _, src := range sortedKeys(s.man.Sources) {
		for _, id := range s.man.Sources[src].Chunks {
			i, ok := byID[id]
			if !ok {
				return fmt.Errorf("retrieval: store %s: chunk %q listed in the manifest is missing", s.path, id)
			}
			d := fromChromem(all[i].ID, all[i].Content, all[i].Metadata)
			docs = append(docs, d)
			// Move the vector into the arena and hand chromem that copy, so
			// the decoded one is garbage and one copy remains.
			emb := s.vix.add(d, all[i].Embedding)
			if err := s.col.AddDocument(context.Background(), chromem.Document{ID: d.ID, Metadata: all[i].Metadata, Embedding: emb, Content: all[i].Content}); err != nil {
				return fmt.Errorf("retrieval: store %s: %w", s.path, err)
			}
		}
	}
	s.bm25.Add(docs...)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func fromChromem(id, content string, meta map[string]string) Document {
	return Document{ID: id, Title: meta[MetaTitle], Text: content, Source: meta[MetaSource], Metadata: meta}
}

// IngestStats says what an Ingest did.
type IngestStats struct {
	Sources, Unchanged, Replaced, Added int // sources seen / skipped / replaced / new
	Chunks                              int // chunks written
}

// Ingest chunks and stores documents. Documents are grouped by Source (ID
// when Source is empty); a source whose content hash is unchanged is
// skipped, a changed one has its old chunks replaced. progress, if set, is
// called after each source.
func (s *Store) Ingest(ctx context.Context, docs []Document, chunker Chunker, progress func(IngestStats)) (IngestStats, error) {
	if chunker == nil {
		chunker = RecursiveChunker{}
	}
	bySource := map[string][]Document{}
	var order []string
	for _, d := range docs {
		src := d.Source
		if src == "" {
			src = d.ID
			d.Source = src
		}
		if _, ok := bySource[src]; !ok {
			order = append(order, src)
		}
		bySource[src] = append(bySource[src], d)
	}
	var st IngestStats
	for _, src := range order {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		group := bySource[src]
		var h strings.Builder
		for _, d := range group {
			h.WriteString(d.ID + "\x00" + d.Title + "\x00" + d.Text + "\x00")
		}
		hash := ContentHash(h.String())
		st.Sources++
		s.mu.RLock()
		old, exists := s.man.Sources[src]
		s.mu.RUnlock()
		if exists && old.Hash == hash {
			st.Unchanged++
			if progress != nil {
				progress(st)
			}
			continue
		}
		var chunks []Document
		for _, d := range group {
			chunks = append(chunks, chunker.Chunk(d)...)
		}
		texts := make([]string, len(chunks))
		for i, c := range chunks {
			texts[i] = joinTitle(c)
		}
		vecs, err := s.embedder.Embed(ctx, texts)
		if err != nil {
			return st, fmt.Errorf("retrieval: embedding %s: %w", src, err)
		}
		if err := s.addTitles(ctx, chunks, vecs); err != nil {
			return st, err
		}
		if len(vecs) != len(chunks) {
			return st, fmt.Errorf("retrieval: embedding %s: %d vectors for %d chunks", src, len(vecs), len(chunks))
		}
		if err := s.replace(ctx, src, hash, old.Chunks, chunks, vecs); err != nil {
			return st, err
		}
		if exists {
			st.Replaced++
		} else {
			st.Added++
		}
		st.Chunks += len(chunks)
		if progress != nil {
			progress(st)
		}
	}
	return st, nil
}

// addTitles mixes each chunk's title vector into its text vector with
// weight TitleWeight: a title is a dense summary of its passage, and
// questions often name it. On the HotpotQA dev set this took vector
// recall@5 from 0.670 to 0.715 and hybrid from 0.730 to 0.770.
func (s *Store) addTitles(ctx context.Context, chunks []Document, vecs [][]float32) error {
	if s.TitleWeight <= 0 {
		return nil
	}
	titles := make([]string, len(chunks))
	for i, c := range chunks {
		titles[i] = c.Title
	}
	tv, err := s.embedder.Embed(ctx, titles)
	if err != nil {
		return fmt.Errorf("retrieval: embedding titles: %w", err)
	}
	for i := range vecs {
		if chunks[i].Title == "" || len(tv[i]) != len(vecs[i]) {
			continue
		}
		var n float64
		for j := range vecs[i] {
			x := float64(vecs[i][j]) + s.TitleWeight*float64(tv[i][j])
			n += x * x
		}
		n = math.Sqrt(n)
		if n == 0 {
			continue
		}
		for j := range vecs[i] {
			vecs[i][j] = float32((float64(vecs[i][j]) + s.TitleWeight*float64(tv[i][j])) / n)
		}
	}
	return nil
}

// replace swaps a source's chunks under the lock.
func (s *Store) replace(ctx context.Context, src, hash string, oldIDs []string, chunks []Document, vecs [][]float32) error {
	cdocs := make([]chromem.Document, len(chunks))
	ids := make([]string, len(chunks))
	for i, c := range chunks {
		if !nonZero(vecs[i]) {
			return fmt.Errorf("retrieval: chunk %s: embedder returned a zero or invalid vector", c.ID)
		}
		meta := map[string]string{}
		for k, v := range c.Metadata {
			meta[k] = v
		}
		meta[MetaSource], meta[MetaTitle] = c.Source, c.Title
		cdocs[i] = chromem.Document{ID: c.ID, Metadata: meta, Embedding: unit(vecs[i]), Content: c.Text}
		ids[i] = c.ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(oldIDs) > 0 {
		if err := s.col.Delete(ctx, nil, nil, oldIDs...); err != nil {
			return fmt.Errorf("retrieval: deleting old chunks of %s: %w", src, err)
		}
		s.bm25.Remove(oldIDs...)
		for _, id := range oldIDs {
			s.vix.remove(id)
		}
	}
	bdocs := make([]Document, len(cdocs))
	for i, d := range cdocs {
		bdocs[i] = fromChromem(d.ID, d.Content, d.Metadata)
		d.Embedding = s.vix.add(bdocs[i], d.Embedding) // chromem shares the arena copy
		if err := s.col.AddDocument(ctx, d); err != nil {
			s.vix.remove(d.ID)
			return fmt.Errorf("retrieval: adding chunk %s: %w", d.ID, err)
		}
	}
	s.bm25.Add(bdocs...)
	s.man.Sources[src] = sourceEntry{Hash: hash, Chunks: ids}
	return nil
}

// unit returns v scaled to length 1 (in float64, so chromem's own check
// passes and it keeps this slice rather than a normalised copy).
func unit(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if math.Abs(math.Sqrt(n)-1) < 1e-7 {
		return v
	}
	inv := 1 / math.Sqrt(n)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// Count is the number of stored chunks.
func (s *Store) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.col.Count()
}

// Sources lists the ingested sources.
func (s *Store) Sources() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedKeys(s.man.Sources)
}

// saveHook, when set by tests, wraps the file writer (to simulate a crash).
var saveHook func(io.Writer) io.Writer

// Save writes the store to its file atomically: a crash at any point leaves
// either the old file or the new one, never a mix.
func (s *Store) Save() error {
	if s.path == "" {
		return errors.New("retrieval: in-memory store has no file to save to")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(s.man)
	if err != nil {
		return err
	}
	if err := s.db.DeleteCollection(manifestCollection); err != nil {
		return fmt.Errorf("retrieval: %w", err)
	}
	mc, err := s.db.CreateCollection(manifestCollection, nil, s.embedFunc())
	if err != nil {
		return fmt.Errorf("retrieval: %w", err)
	}
	if err := mc.AddDocument(context.Background(), chromem.Document{ID: manifestID, Content: string(b), Embedding: []float32{1}}); err != nil {
		return fmt.Errorf("retrieval: %w", err)
	}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("retrieval: save: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	mode := os.FileMode(0o644)
	if st, err := os.Stat(s.path); err == nil {
		mode = st.Mode().Perm() // a save keeps the file's mode
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("retrieval: save %s: %w", s.path, err)
	}
	var w io.Writer = tmp
	if saveHook != nil {
		w = saveHook(tmp)
	}
	if err := s.db.ExportToWriter(w, true, ""); err != nil {
		tmp.Close()
		return fmt.Errorf("retrieval: save %s: %w", s.path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("retrieval: save %s: %w", s.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("retrieval: save %s: %w", s.path, err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("retrieval: save %s: %w", s.path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Vector returns a retriever by embedding similarity.
func (s *Store) Vector() *VectorRetriever { return &VectorRetriever{store: s} }

// Lexical returns the BM25 retriever over the same chunks.
func (s *Store) Lexical() *LexicalRetriever { return &LexicalRetriever{store: s} }

// Hybrid returns reciprocal rank fusion of vector and BM25 retrieval with
// equal weights and K=60 (the textbook setting), the default for RAG.
// Measured with the 1024-dimensional HashEmbedder (ponder rag eval -mode all):
// recall@5 on HotpotQA-100 0.765 (BM25 0.760, vector 0.745) and on
// states-dev 0.998 (BM25 0.993, vector 0.990). Set Fusion to RelativeScore,
// or Weights to {0.5, 1}, to favour recall@1 over recall@5.
func (s *Store) Hybrid() *Hybrid {
	return &Hybrid{Retrievers: []Retriever{s.Vector(), s.Lexical()}}
}

// VectorRetriever searches by cosine similarity, optionally filtered by
// metadata (exact match on every key of Where) and by a minimum score
// (MinScore 0 means no threshold: cosine similarity can be negative).
type VectorRetriever struct {
	store    *Store
	Where    map[string]string
	MinScore float64
	// PlainQuery turns off the IDF weighting of queries that the local
	// HashEmbedder gets by default.
	PlainQuery bool
}

// Retrieve implements Retriever.
func (v *VectorRetriever) Retrieve(ctx context.Context, query string, k int) ([]Result, error) {
	if strings.TrimSpace(query) == "" || k <= 0 {
		return nil, nil
	}
	var vecs [][]float32
	var err error
	if he, ok := v.store.embedder.(*HashEmbedder); ok && !v.PlainQuery {
		vecs = [][]float32{he.WeightedVector(query, v.store.bm25.IDF)}
	} else {
		vecs, err = v.store.embedder.Embed(ctx, []string{query})
	}
	if err != nil {
		return nil, fmt.Errorf("retrieval: embedding the query: %w", err)
	}
	if len(vecs) != 1 || !nonZero(vecs[0]) {
		return nil, fmt.Errorf("retrieval: embedder returned a zero or invalid vector for the query")
	}
	return v.store.queryVector(ctx, vecs[0], k, v.Where, v.MinScore)
}

func (s *Store) queryVector(ctx context.Context, vec []float32, k int, where map[string]string, minScore float64) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var keep func(Document) bool
	if len(where) > 0 {
		keep = func(d Document) bool { return matches(d.Metadata, where) }
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.vix.search(vec, k, keep, minScore), nil
}

// LexicalRetriever is BM25 over the store's chunks, with the same filters.
type LexicalRetriever struct {
	store    *Store
	Where    map[string]string
	MinScore float64
}

// Retrieve implements Retriever.
func (l *LexicalRetriever) Retrieve(ctx context.Context, query string, k int) ([]Result, error) {
	var filter func(Document) bool
	if len(l.Where) > 0 {
		filter = func(d Document) bool { return matches(d.Metadata, l.Where) }
	}
	rs, err := l.store.bm25.RetrieveFiltered(ctx, query, k, filter)
	if err != nil {
		return nil, err
	}
	out := rs[:0]
	for _, r := range rs {
		if l.MinScore == 0 || r.Score >= l.MinScore {
			out = append(out, r)
		}
	}
	return out, nil
}

func matches(meta, where map[string]string) bool {
	for k, v := range where {
		if meta[k] != v {
			return false
		}
	}
	return true
}

// Embeddings returns stored vectors by chunk ID (missing IDs are skipped):
// the vectors the index scans, not copies. Do not modify them.
func (s *Store) Embeddings(ctx context.Context, ids []string) map[string][]float32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string][]float32{}
	for _, id := range ids {
		if i, ok := s.vix.pos[id]; ok {
			out[id] = s.vix.vecs[i]
		}
	}
	return out
}
