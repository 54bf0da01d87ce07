package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	neturl "net/url"
	"sort"
	"strings"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/internal/clip"
	"github.com/ponder-go/ponder/retrieval"
	"github.com/ponder-go/ponder/retrieval/pgvector"
)

func init() {
	register("rag", "retrieval: ingest files, query, ask with citations, evaluate on BEIR data", rag)
}

const ragUsage = `usage:
  ponder rag ingest -db FILE|postgres://URL PATH...
  ponder rag query  -db FILE|postgres://URL [-k 5] [-mode hybrid|vector|bm25] [-json] "query"
  ponder rag ask    -db FILE [-k 5] [-backend auto|openai|local] "question"
  ponder rag eval   -corpus corpus.jsonl -queries queries.jsonl -qrels qrels.tsv [-k 10] [-mode ...]`

func rag(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, ragUsage)
		return errUsage
	}
	if isHelp(args[0]) {
		fmt.Fprintln(stdout, ragUsage+"\n\nRun 'ponder rag SUBCOMMAND -h' (or 'ponder help rag SUBCOMMAND') for its flags.")
		return errHelp
	}
	switch args[0] {
	case "ingest":
		return ragIngest(ctx, args[1:], stdout, stderr)
	case "query":
		return ragQuery(ctx, args[1:], stdout, stderr)
	case "ask":
		return ragAsk(ctx, args[1:], stdout, stderr)
	case "eval":
		return ragEval(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "ponder rag: unknown subcommand %q\n%s\n", args[0], ragUsage)
	return errUsage
}

func retrieverFor(s *retrieval.Store, mode string) (retrieval.Retriever, error) {
	switch mode {
	case "hybrid", "":
		return s.Hybrid(), nil
	case "vector":
		return s.Vector(), nil
	case "bm25":
		return s.Lexical(), nil
	case "mmr":
		return &retrieval.MMR{Base: s.Hybrid(), Store: s}, nil
	case "relative":
		h := s.Hybrid()
		h.Fusion = retrieval.RelativeScore
		return h, nil
	}
	return nil, fmt.Errorf("unknown -mode %q (want hybrid, relative, vector, bm25 or mmr)", mode)
}

func ragIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rag ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "store file (created if missing) or postgres:// URL (Postgres with pgvector)")
	chunk := fs.Int("chunk", 200, "max words per chunk")
	wait := fs.Duration("wait", 5*time.Minute, "how long to wait while another ingest writes the same store")
	verbose := fs.BoolP("verbose", "v", false, "list skipped files and loader warnings")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *db == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, ragUsage)
		return errUsage
	}
	// Another ingest into the same store runs first; this one waits for it
	// (up to -wait) rather than overwrite its documents.
	var s *retrieval.Store
	var err error
	if isPostgres(*db) {
		// Each source is replaced in its own transaction; no file lock.
		var closeStore func()
		if s, closeStore, err = openPostgres(ctx, *db); err != nil {
			return err
		}
		defer closeStore()
	} else {
		lctx, cancel := context.WithTimeout(ctx, *wait)
		s, err = retrieval.OpenWriter(lctx, *db, &retrieval.HashEmbedder{})
		cancel()
		if err != nil {
			return err
		}
		defer s.Close()
	}
	// Files unchanged since the last ingest (same size and modification
	// time) are skipped without being read.
	warnings := 0
	l := &retrieval.Loader{OnWarning: func(w retrieval.Warning) {
		if !strings.Contains(w.Msg, "skipped") {
			warnings++ // skips are summed up by reason below
		}
		if *verbose {
			fmt.Fprintln(stderr, "warning:", w)
		}
	}, Unchanged: s.SourceUnchanged}
	var docs []retrieval.Document
	for _, p := range fs.Args() {
		if err := l.Load(p, func(d retrieval.Document) error { docs = append(docs, d); return nil }); err != nil {
			return err
		}
	}
	// Progress and ETA by bytes of text: sources differ in size.
	var order []string
	bytesOf := map[string]int{}
	totalBytes := 0
	for _, d := range docs {
		src := cmp.Or(d.Source, d.ID)
		if _, ok := bytesOf[src]; !ok {
			order = append(order, src)
		}
		bytesOf[src] += len(d.Text)
		totalBytes += len(d.Text)
	}
	bar := newProgress(stderr)
	start := time.Now()
	done, doneBytes := 0, 0
	st, err := s.Ingest(ctx, docs, retrieval.RecursiveChunker{MaxTokens: *chunk}, func(st retrieval.IngestStats) {
		for done < st.Sources && done < len(order) {
			doneBytes += bytesOf[order[done]]
			done++
		}
		rate := float64(st.Chunks) / time.Since(start).Seconds()
		bar.update(doneBytes, totalBytes, fmt.Sprintf("%d/%d documents, %d chunks, %.0f chunks/s", st.Sources, len(order), st.Chunks, rate))
	})
	bar.done()
	if err != nil {
		return err
	}
	if s.Dirty() {
		if err := s.Save(); err != nil {
			return err
		}
	}
	unread := l.Skipped["unchanged"]
	fmt.Fprintf(stdout, "ingested %d sources (%d new, %d replaced, %d unchanged): %d chunks in %s; store holds %d chunks\n",
		st.Sources+unread, st.Added, st.Replaced, st.Unchanged+unread, st.Chunks, time.Since(start).Round(time.Millisecond), s.Count())
	if warnings > 0 && !*verbose {
		fmt.Fprintf(stdout, "%d loader warnings (repaired text, bad JSON lines; -v lists them)\n", warnings)
	}
	var reasons []string
	for r, n := range l.Skipped {
		if r != "unchanged" {
			reasons = append(reasons, fmt.Sprintf("%d %s", n, r))
		}
	}
	if len(reasons) > 0 {
		sort.Strings(reasons)
		fmt.Fprintf(stdout, "skipped files: %s", strings.Join(reasons, ", "))
		if !*verbose {
			fmt.Fprint(stdout, " (-v lists them)")
		}
		fmt.Fprintln(stdout)
		if *verbose {
			for _, w := range l.SkippedFiles {
				if w.Msg != "unchanged" {
					fmt.Fprintf(stdout, "  %s: %s\n", w.Path, w.Msg)
				}
			}
		}
	}
	return nil
}

func countSources(docs []retrieval.Document) int {
	seen := map[string]bool{}
	for _, d := range docs {
		src := d.Source
		if src == "" {
			src = d.ID
		}
		seen[src] = true
	}
	return len(seen)
}

func ragQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rag query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "store file or postgres:// URL")
	k := fs.Int("k", 5, "results")
	mode := fs.String("mode", "hybrid", "hybrid, relative (hybrid with relative-score fusion), vector, bm25 or mmr")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	q := question(fs.Args())
	if *db == "" || q == "" {
		fmt.Fprintln(stderr, ragUsage)
		return errUsage
	}
	s, closeStore, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	r, err := retrieverFor(s, *mode)
	if err != nil {
		return err
	}
	res, err := r.Retrieve(ctx, q, *k)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	for i, x := range res {
		fmt.Fprintf(stdout, "%d. %.4f  %s  (%s)\n   %s\n", i+1, x.Score, x.Title, x.Source, shortLine(x.Text, 160))
	}
	if len(res) == 0 {
		fmt.Fprintln(stdout, "no results")
	}
	return nil
}

// openExisting opens a store (a file, or a postgres:// URL) that must hold
// something; close releases it.
func openExisting(ctx context.Context, db string) (*retrieval.Store, func(), error) {
	var s *retrieval.Store
	closeFn := func() {}
	var err error
	if isPostgres(db) {
		s, closeFn, err = openPostgres(ctx, db)
	} else {
		s, err = retrieval.Open(db, &retrieval.HashEmbedder{})
	}
	if err != nil {
		return nil, nil, err
	}
	if s.Count() == 0 {
		closeFn()
		return nil, nil, fmt.Errorf("store %s is empty or missing: run 'ponder rag ingest -db %s PATH...' first", redactURL(db), redactURL(db))
	}
	return s, closeFn, nil
}

// isPostgres reports a -db naming a Postgres database instead of a file.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// openPostgres opens the store kept in Postgres with pgvector (tables
// ponder_chunks and ponder_chunks_sources, created if missing).
func openPostgres(ctx context.Context, url string) (*retrieval.Store, func(), error) {
	emb := &retrieval.HashEmbedder{}
	probe, err := emb.Embed(ctx, []string{"dimension probe"})
	if err != nil {
		return nil, nil, err
	}
	ix, err := pgvector.Open(ctx, url, pgvector.Options{Dim: len(probe[0])})
	if err != nil {
		return nil, nil, err
	}
	s, err := retrieval.OpenCatalog(ctx, emb, ix)
	if err != nil {
		ix.Close()
		return nil, nil, err
	}
	return s, ix.Close, nil
}

// redactURL hides a password in a database URL for messages.
func redactURL(db string) string {
	if u, err := neturl.Parse(db); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = neturl.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return db
}

func shortLine(s string, n int) string { return clip.String(strings.Join(strings.Fields(s), " "), n) }

func ragAsk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rag ask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "store file or postgres:// URL")
	k := fs.Int("k", 5, "passages")
	be := fs.String("backend", "auto", "model backend: auto, openai or local")
	model := fs.String("model", "", "model name")
	if err := parse(fs, args); err != nil {
		return err
	}
	q := question(fs.Args())
	if *db == "" || q == "" {
		fmt.Fprintln(stderr, ragUsage)
		return errUsage
	}
	s, closeStore, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	m, err := backend.OpenGeneral(*be, *model, "rag ask")
	if err != nil {
		return err
	}
	r := &retrieval.RAG{Retriever: s.Hybrid(), Model: m, K: *k, AllowUnknown: true}
	a, err := r.Run(ctx, q)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, a.Text)
	fmt.Fprintln(stdout, "\nSources:")
	for i, src := range a.Sources {
		mark := " "
		for _, c := range a.Citations {
			if c == i+1 {
				mark = "*"
			}
		}
		fmt.Fprintf(stdout, "%s[%d] %s (%s)\n", mark, i+1, src.Title, src.Source)
	}
	return nil
}

func ragEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rag eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	corpusPath := fs.String("corpus", "", "BEIR corpus.jsonl")
	queriesPath := fs.String("queries", "", "BEIR queries.jsonl")
	qrelsPath := fs.String("qrels", "", "BEIR qrels TSV")
	k := fs.Int("k", 10, "largest cut-off for recall")
	mode := fs.String("mode", "all", "hybrid, relative, vector, bm25, mmr or all")
	chunk := fs.Int("chunk", 400, "max words per chunk")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *corpusPath == "" || *queriesPath == "" || *qrelsPath == "" {
		fmt.Fprintln(stderr, ragUsage)
		return errUsage
	}
	l := &retrieval.Loader{OnWarning: func(w retrieval.Warning) { fmt.Fprintln(stderr, "warning:", w) }}
	docs, err := l.LoadAll(*corpusPath)
	if err != nil {
		return err
	}
	queries, err := retrieval.LoadQueries(*queriesPath)
	if err != nil {
		return err
	}
	qrels, err := retrieval.LoadQrels(*qrelsPath)
	if err != nil {
		return err
	}
	s, err := retrieval.Open("", &retrieval.HashEmbedder{})
	if err != nil {
		return err
	}
	t0 := time.Now()
	st, err := s.Ingest(ctx, docs, retrieval.RecursiveChunker{MaxTokens: *chunk}, nil)
	if err != nil {
		return err
	}
	dt := time.Since(t0)
	fmt.Fprintf(stdout, "corpus %d documents, %d chunks; ingest %.0f chunks/s; %d queries\n", len(docs), st.Chunks, float64(st.Chunks)/dt.Seconds(), len(queries))
	modes := []string{*mode}
	if *mode == "all" {
		modes = []string{"bm25", "vector", "hybrid", "relative", "mmr"}
	}
	ks := []int{1, 5}
	if *k > 5 {
		ks = append(ks, *k)
	}
	for _, md := range modes {
		r, err := retrieverFor(s, md)
		if err != nil {
			return err
		}
		m, err := retrieval.Evaluate(ctx, r, queries, qrels, ks, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n%s\n", md)
		for _, kk := range ks {
			fmt.Fprintf(stdout, "recall@%d %.3f\n", kk, m.Recall[kk])
		}
		fmt.Fprintf(stdout, "MRR@10 %.3f\nnDCG@10 %.3f\nlatency p50 %s p95 %s\n", m.MRR10, m.NDCG10, m.LatencyP50.Round(time.Microsecond), m.LatencyP95.Round(time.Microsecond))
	}
	return nil
}
