package retrieval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/philippgille/chromem-go"
)

// Stores written before Ponder's own format are chromem-go exports: a
// "chunks" collection and a "ponder_manifest" collection holding the
// manifest. They are read once here (slowly: chromem decodes the whole
// file) and written in the new format at the next Save.

const (
	chunkCollection    = "chunks"
	manifestCollection = "ponder_manifest"
	manifestID         = "manifest"
)

func (s *Store) loadChromem(data []byte) error {
	db := chromem.NewDB()
	if err := db.ImportFromReader(bytes.NewReader(data), ""); err != nil {
		return err
	}
	embed := chromem.EmbeddingFunc(s.embedFunc())
	mc := db.GetCollection(manifestCollection, embed)
	col := db.GetCollection(chunkCollection, embed)
	if mc == nil || col == nil {
		return fmt.Errorf("not a Ponder store (no %s or %s collection)", chunkCollection, manifestCollection)
	}
	doc, err := mc.GetByID(context.Background(), manifestID)
	if err != nil {
		return fmt.Errorf("store has no manifest: %w", err)
	}
	if err := json.Unmarshal([]byte(doc.Content), &s.man); err != nil {
		return fmt.Errorf("corrupt manifest: %w", err)
	}
	if s.man.Sources == nil {
		s.man.Sources = map[string]SourceEntry{}
	}
	n := col.Count()
	want := 0
	var first string
	for _, e := range s.man.Sources {
		want += len(e.Chunks)
		if first == "" && len(e.Chunks) > 0 {
			first = e.Chunks[0]
		}
	}
	if n != want {
		return fmt.Errorf("the manifest lists %d chunks but the collection holds %d", want, n)
	}
	if n == 0 {
		return nil
	}
	probe, err := col.GetByID(context.Background(), first)
	if err != nil {
		return fmt.Errorf("chunk %q listed in the manifest is missing: %w", first, err)
	}
	// One exhaustive query enumerates every chunk with its vector.
	all, err := col.QueryEmbedding(context.Background(), probe.Embedding, n, nil, nil)
	if err != nil {
		return err
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
				return fmt.Errorf("chunk %q listed in the manifest is missing", id)
			}
			r := all[i]
			d := Document{ID: r.ID, Title: r.Metadata[MetaTitle], Text: r.Content, Source: r.Metadata[MetaSource], Metadata: r.Metadata}
			docs = append(docs, d)
			s.vix.add(d, r.Embedding)
		}
	}
	s.bm25.Add(docs...)
	return nil
}
