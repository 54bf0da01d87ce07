// Package pgvector keeps a retrieval store in Postgres with the pgvector
// extension (through pgx and pgvector-go): chunks with their embeddings in
// one table under an HNSW index (cosine distance), the ingested sources in
// another. It is a retrieval.Catalog, so retrieval.OpenCatalog gives a
// Store with the same ingest semantics as a file store (an unchanged source
// adds nothing, a changed one is replaced) where each source's replacement
// is one transaction. Metadata filters run in SQL (jsonb containment), and
// FullText is Postgres full-text search, for hybrid retrieval next to the
// vectors (the Store's own BM25 works too).
//
//	ix, err := pgvector.Open(ctx, "postgres://user:pass@host/db", pgvector.Options{Dim: 1024})
//	store, err := retrieval.OpenCatalog(ctx, embedder, ix)
package pgvector

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgv "github.com/pgvector/pgvector-go"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"github.com/ponder-go/ponder/retrieval"
)

// Options configure the tables.
type Options struct {
	// Dim is the embedding dimension (required; it must match the table's
	// if the table exists).
	Dim int
	// Table names the chunks table (default "ponder_chunks"); the sources
	// table is Table + "_sources".
	Table string
	// EfSearch is HNSW's candidate list size at query time (default 100;
	// higher is slower and closer to exact).
	EfSearch int
	// TextSearchConfig is the Postgres text search configuration of
	// FullText (default "english").
	TextSearchConfig string
}

// Index is a retrieval store in Postgres. It implements retrieval.Index,
// retrieval.Catalog and retrieval.WhereSearcher.
type Index struct {
	pool             *pgxpool.Pool
	chunks, sources  string
	dim, efSearch    int
	textSearchConfig string
}

var (
	_ retrieval.Catalog       = (*Index)(nil)
	_ retrieval.WhereSearcher = (*Index)(nil)
	_ retrieval.Retriever     = (*FullText)(nil)
)

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`)

// Open connects to the database at url (a postgres:// URL or key=value
// string, as pgx takes), creates the vector extension, the tables and
// their indexes if they are missing, and checks the dimension.
func Open(ctx context.Context, url string, o Options) (*Index, error) {
	if o.Dim <= 0 || o.Dim > 16000 {
		return nil, fmt.Errorf("pgvector: Options.Dim %d out of range (1..16000)", o.Dim)
	}
	table := cmp.Or(o.Table, "ponder_chunks")
	if !identifier.MatchString(table) {
		return nil, fmt.Errorf("pgvector: table name %q: use lower-case letters, digits and _", table)
	}
	tsc := cmp.Or(o.TextSearchConfig, "english")
	if !identifier.MatchString(tsc) {
		return nil, fmt.Errorf("pgvector: text search configuration %q: not an identifier", tsc)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgvector: %w", err)
	}
	// The extension must exist before pgvector-go can register its types.
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("pgvector: connecting: %w", err)
	}
	_, err = conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector")
	conn.Close(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgvector: creating the vector extension: %w", err)
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error { return pgxvec.RegisterTypes(ctx, c) }
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgvector: %w", err)
	}
	ix := &Index{pool: pool, chunks: table, sources: table + "_sources", dim: o.Dim, efSearch: cmp.Or(o.EfSearch, 100), textSearchConfig: tsc}
	if err := ix.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return ix, nil
}

// migrate creates what is missing and checks what exists.
func (ix *Index) migrate(ctx context.Context) error {
	stmts := []string{
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
			id text PRIMARY KEY,
			source text NOT NULL,
			title text NOT NULL DEFAULT '',
			body text NOT NULL,
			metadata jsonb NOT NULL DEFAULT '{}',
			embedding vector(%d) NOT NULL,
			tsv tsvector GENERATED ALWAYS AS (to_tsvector('%s', title || ' ' || body)) STORED)`, ix.chunks, ix.dim, ix.textSearchConfig),
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
			source text PRIMARY KEY,
			hash text NOT NULL,
			chunks text[] NOT NULL,
			size bigint NOT NULL DEFAULT 0,
			mtime bigint NOT NULL DEFAULT 0)`, ix.sources),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s_source ON %s (source)`, ix.chunks, ix.chunks),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s_hnsw ON %s USING hnsw (embedding vector_cosine_ops)`, ix.chunks, ix.chunks),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s_meta ON %s USING gin (metadata jsonb_path_ops)`, ix.chunks, ix.chunks),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s_tsv ON %s USING gin (tsv)`, ix.chunks, ix.chunks),
	}
	for _, s := range stmts {
		if _, err := ix.pool.Exec(ctx, s); err != nil {
			return fmt.Errorf("pgvector: creating the tables: %w", err)
		}
	}
	var dim int
	err := ix.pool.QueryRow(ctx, `SELECT atttypmod FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'embedding'`, ix.chunks).Scan(&dim)
	if err != nil {
		return fmt.Errorf("pgvector: reading the dimension of %s: %w", ix.chunks, err)
	}
	if dim != ix.dim {
		return fmt.Errorf("pgvector: table %s holds %d-dimensional embeddings but the embedder gives %d: use the embedder that built it, or another table (Options.Table)", ix.chunks, dim, ix.dim)
	}
	return nil
}

// Close closes the connections.
func (ix *Index) Close() { ix.pool.Close() }

// Add implements retrieval.Index: chunks are inserted or replaced by ID,
// all in one transaction.
func (ix *Index) Add(ctx context.Context, docs []retrieval.Document, vecs [][]float32) error {
	if len(docs) != len(vecs) {
		return fmt.Errorf("pgvector: %d documents with %d vectors", len(docs), len(vecs))
	}
	return pgx.BeginFunc(ctx, ix.pool, func(tx pgx.Tx) error { return ix.insert(ctx, tx, docs, vecs) })
}

func (ix *Index) insert(ctx context.Context, tx pgx.Tx, docs []retrieval.Document, vecs [][]float32) error {
	q := fmt.Sprintf(`INSERT INTO %s (id, source, title, body, metadata, embedding) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET source = EXCLUDED.source, title = EXCLUDED.title, body = EXCLUDED.body,
		metadata = EXCLUDED.metadata, embedding = EXCLUDED.embedding`, ix.chunks)
	for start := 0; start < len(docs); start += 500 {
		var b pgx.Batch
		for i := start; i < min(start+500, len(docs)); i++ {
			d := docs[i]
			if len(vecs[i]) != ix.dim {
				return fmt.Errorf("pgvector: chunk %s has a %d-dimensional vector, the table takes %d", d.ID, len(vecs[i]), ix.dim)
			}
			meta := []byte("{}")
			if d.Metadata != nil {
				var err error
				if meta, err = json.Marshal(d.Metadata); err != nil {
					return err
				}
			}
			b.Queue(q, d.ID, cmp.Or(d.Source, d.ID), d.Title, d.Text, string(meta), pgv.NewVector(vecs[i]))
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("pgvector: inserting chunks: %w", err)
		}
	}
	return nil
}

// Remove implements retrieval.Index.
func (ix *Index) Remove(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := ix.pool.Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE id = ANY($1)`, ix.chunks), ids)
	if err != nil {
		return fmt.Errorf("pgvector: removing chunks: %w", err)
	}
	return nil
}

// Len implements retrieval.Index (0 when the database cannot be reached).
func (ix *Index) Len() int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	if err := ix.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s`, ix.chunks)).Scan(&n); err != nil {
		return 0
	}
	return n
}

// Search implements retrieval.Index through the HNSW index. A keep
// function cannot run in SQL, so candidates are fetched in growing batches
// and filtered here; use SearchWhere (or VectorRetriever.Where) for
// filters Postgres can apply.
func (ix *Index) Search(ctx context.Context, q []float32, k int, keep func(retrieval.Document) bool, minScore float64) ([]retrieval.Result, error) {
	if k <= 0 {
		return nil, nil
	}
	if keep == nil {
		return ix.search(ctx, q, k, nil, minScore)
	}
	for limit := 4 * k; ; limit *= 4 {
		rs, err := ix.search(ctx, q, limit, nil, minScore)
		if err != nil {
			return nil, err
		}
		var out []retrieval.Result
		for _, r := range rs {
			if keep(r.Document) {
				if out = append(out, r); len(out) == k {
					return out, nil
				}
			}
		}
		if len(rs) < limit || limit > 1<<20 {
			return out, nil
		}
	}
}

// SearchWhere implements retrieval.WhereSearcher: the metadata filter is a
// jsonb containment in SQL.
func (ix *Index) SearchWhere(ctx context.Context, q []float32, k int, where map[string]string, minScore float64) ([]retrieval.Result, error) {
	return ix.search(ctx, q, k, where, minScore)
}

func (ix *Index) search(ctx context.Context, q []float32, k int, where map[string]string, minScore float64) ([]retrieval.Result, error) {
	if len(q) != ix.dim {
		return nil, fmt.Errorf("pgvector: a %d-dimensional query for a %d-dimensional table", len(q), ix.dim)
	}
	filter := "TRUE"
	args := []any{pgv.NewVector(q), k}
	if len(where) > 0 {
		w, _ := json.Marshal(where)
		filter = "metadata @> $3"
		args = append(args, string(w))
	}
	sql := fmt.Sprintf(`SELECT id, source, title, body, metadata, 1 - (embedding <=> $1) AS score FROM %s
		WHERE %s ORDER BY embedding <=> $1 LIMIT $2`, ix.chunks, filter)
	var out []retrieval.Result
	err := pgx.BeginFunc(ctx, ix.pool, func(tx pgx.Tx) error {
		// SET LOCAL: the setting ends with the transaction, not the
		// pooled connection.
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL hnsw.ef_search = %d", max(ix.efSearch, k))); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		out, err = scanResults(rows, minScore)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgvector: search: %w", err)
	}
	return out, nil
}

func scanResults(rows pgx.Rows, minScore float64) ([]retrieval.Result, error) {
	defer rows.Close()
	var out []retrieval.Result
	for rows.Next() {
		var d retrieval.Document
		var meta []byte
		var score float64
		if err := rows.Scan(&d.ID, &d.Source, &d.Title, &d.Text, &meta, &score); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(meta, &d.Metadata); err != nil {
			return nil, fmt.Errorf("chunk %s: metadata: %w", d.ID, err)
		}
		if minScore != 0 && score < minScore {
			continue
		}
		out = append(out, retrieval.Result{Document: d, Score: score})
	}
	return out, rows.Err()
}

// Embeddings returns the stored vectors of ids (for MMR's diversity).
func (ix *Index) Embeddings(ctx context.Context, ids []string) (map[string][]float32, error) {
	rows, err := ix.pool.Query(ctx, fmt.Sprintf(`SELECT id, embedding FROM %s WHERE id = ANY($1)`, ix.chunks), ids)
	if err != nil {
		return nil, fmt.Errorf("pgvector: reading vectors: %w", err)
	}
	defer rows.Close()
	out := map[string][]float32{}
	for rows.Next() {
		var id string
		var v pgv.Vector
		if err := rows.Scan(&id, &v); err != nil {
			return nil, fmt.Errorf("pgvector: reading vectors: %w", err)
		}
		out[id] = v.Slice()
	}
	return out, rows.Err()
}

// Load implements retrieval.Catalog.
func (ix *Index) Load(ctx context.Context, fn func(retrieval.Document)) (map[string]retrieval.SourceEntry, error) {
	rows, err := ix.pool.Query(ctx, fmt.Sprintf(`SELECT id, source, title, body, metadata, 0::float8 FROM %s ORDER BY id`, ix.chunks))
	if err != nil {
		return nil, fmt.Errorf("pgvector: loading chunks: %w", err)
	}
	rs, err := scanResults(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("pgvector: loading chunks: %w", err)
	}
	for _, r := range rs {
		fn(r.Document)
	}
	rows, err = ix.pool.Query(ctx, fmt.Sprintf(`SELECT source, hash, chunks, size, mtime FROM %s`, ix.sources))
	if err != nil {
		return nil, fmt.Errorf("pgvector: loading sources: %w", err)
	}
	defer rows.Close()
	out := map[string]retrieval.SourceEntry{}
	for rows.Next() {
		var src string
		var e retrieval.SourceEntry
		if err := rows.Scan(&src, &e.Hash, &e.Chunks, &e.Size, &e.ModTime); err != nil {
			return nil, fmt.Errorf("pgvector: loading sources: %w", err)
		}
		out[src] = e
	}
	return out, rows.Err()
}

// Replace implements retrieval.Catalog in one transaction.
func (ix *Index) Replace(ctx context.Context, source string, e retrieval.SourceEntry, docs []retrieval.Document, vecs [][]float32) error {
	if len(docs) != len(vecs) {
		return fmt.Errorf("pgvector: %d documents with %d vectors", len(docs), len(vecs))
	}
	return pgx.BeginFunc(ctx, ix.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE source = $1`, ix.chunks), source); err != nil {
			return fmt.Errorf("pgvector: removing the chunks of %s: %w", source, err)
		}
		if err := ix.insert(ctx, tx, docs, vecs); err != nil {
			return err
		}
		return ix.setSource(ctx, tx, source, e)
	})
}

// SetSource implements retrieval.Catalog.
func (ix *Index) SetSource(ctx context.Context, source string, e retrieval.SourceEntry) error {
	return pgx.BeginFunc(ctx, ix.pool, func(tx pgx.Tx) error { return ix.setSource(ctx, tx, source, e) })
}

func (ix *Index) setSource(ctx context.Context, tx pgx.Tx, source string, e retrieval.SourceEntry) error {
	chunks := e.Chunks
	if chunks == nil {
		chunks = []string{}
	}
	_, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (source, hash, chunks, size, mtime) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (source) DO UPDATE SET hash = EXCLUDED.hash, chunks = EXCLUDED.chunks, size = EXCLUDED.size, mtime = EXCLUDED.mtime`, ix.sources),
		source, e.Hash, chunks, e.Size, e.ModTime)
	if err != nil {
		return fmt.Errorf("pgvector: recording source %s: %w", source, err)
	}
	return nil
}

// FullText returns Postgres full-text search over the same chunks
// (websearch_to_tsquery, ranked by ts_rank_cd), a retrieval.Retriever to
// fuse with the vectors: retrieval.Hybrid{Retrievers: {store.Vector(), ix.FullText()}}.
func (ix *Index) FullText() *FullText { return &FullText{ix: ix} }

// FullText is Postgres full-text retrieval; Where filters by metadata.
type FullText struct {
	ix    *Index
	Where map[string]string
}

// Retrieve implements retrieval.Retriever.
func (f *FullText) Retrieve(ctx context.Context, query string, k int) ([]retrieval.Result, error) {
	if k <= 0 {
		return nil, nil
	}
	w := []byte("{}")
	if len(f.Where) > 0 {
		w, _ = json.Marshal(f.Where)
	}
	sql := fmt.Sprintf(`SELECT id, source, title, body, metadata, ts_rank_cd(tsv, q)::float8 AS score
		FROM %s, websearch_to_tsquery('%s', $1) q WHERE tsv @@ q AND metadata @> $3 ORDER BY score DESC, id LIMIT $2`,
		f.ix.chunks, f.ix.textSearchConfig)
	rows, err := f.ix.pool.Query(ctx, sql, query, k, string(w))
	if err != nil {
		return nil, fmt.Errorf("pgvector: full-text search: %w", err)
	}
	rs, err := scanResults(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("pgvector: full-text search: %w", err)
	}
	return rs, nil
}
