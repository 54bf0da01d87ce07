package retrieval

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a token's byte range in a text.
type Span struct{ Start, End int }

// Tokenizer splits text into tokens with byte offsets. Any tokenizer fits
// behind it (the local model's BPE included); Words is the default.
type Tokenizer interface {
	Tokens(text string) []Span
}

// Words is a Tokenizer of whitespace-separated words.
type Words struct{}

// Tokens implements Tokenizer.
func (Words) Tokens(text string) []Span {
	var out []Span
	start := -1
	for i, r := range text {
		if unicode.IsSpace(r) {
			if start >= 0 {
				out = append(out, Span{start, i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, Span{start, len(text)})
	}
	return out
}

// Chunker splits a document into chunks.
type Chunker interface {
	Chunk(doc Document) []Document
}

// Chunk metadata keys.
const (
	MetaSource = "source"
	MetaTitle  = "title"
	MetaStart  = "start" // byte offset of the chunk in the document text
	MetaEnd    = "end"
	MetaHash   = "hash" // content hash of the chunk text
	MetaDocID  = "doc_id"
)

// ContentHash is the hex SHA-256 prefix used to recognise unchanged text.
func ContentHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:12])
}

func makeChunk(doc Document, i, start, end int) Document {
	text := doc.Text[start:end]
	m := map[string]string{}
	for k, v := range doc.Metadata {
		m[k] = v
	}
	m[MetaSource] = doc.Source
	m[MetaTitle] = doc.Title
	m[MetaDocID] = doc.ID
	m[MetaStart] = strconv.Itoa(start)
	m[MetaEnd] = strconv.Itoa(end)
	m[MetaHash] = ContentHash(text)
	return Document{ID: fmt.Sprintf("%s#%d", doc.ID, i), Title: doc.Title, Text: text, Source: doc.Source, Metadata: m}
}

// FixedChunker cuts every Size tokens, each chunk repeating the last Overlap
// tokens of the one before.
type FixedChunker struct {
	Size, Overlap int
	Tokenizer     Tokenizer // default Words
}

// Chunk implements Chunker.
func (c FixedChunker) Chunk(doc Document) []Document {
	tok := c.Tokenizer
	if tok == nil {
		tok = Words{}
	}
	size := max(c.Size, 1)
	overlap := min(max(c.Overlap, 0), size-1)
	spans := tok.Tokens(doc.Text)
	var out []Document
	for i := 0; i < len(spans); i += size - overlap {
		j := min(i+size, len(spans))
		out = append(out, makeChunk(doc, len(out), spans[i].Start, spans[j-1].End))
		if j == len(spans) {
			break
		}
	}
	return out
}

// RecursiveChunker splits at the largest boundary that keeps chunks within
// MaxTokens: paragraphs first, then sentences, then words; small neighbouring
// pieces are merged back up to MaxTokens. Chunks never cut a word.
type RecursiveChunker struct {
	MaxTokens int       // default 200
	Tokenizer Tokenizer // default Words
}

// Chunk implements Chunker.
func (c RecursiveChunker) Chunk(doc Document) []Document {
	tok := c.Tokenizer
	if tok == nil {
		tok = Words{}
	}
	maxT := c.MaxTokens
	if maxT <= 0 {
		maxT = 200
	}
	count := func(s, e int) int { return len(tok.Tokens(doc.Text[s:e])) }
	var pieces []Span
	var split func(s, e, level int)
	split = func(s, e, level int) {
		if count(s, e) <= maxT || level >= 3 {
			if level >= 3 { // words: hard cut by tokens
				spans := tok.Tokens(doc.Text[s:e])
				for i := 0; i < len(spans); i += maxT {
					j := min(i+maxT, len(spans))
					pieces = append(pieces, Span{s + spans[i].Start, s + spans[j-1].End})
				}
				return
			}
			pieces = append(pieces, Span{s, e})
			return
		}
		parts := boundaries(doc.Text, s, e, level)
		if len(parts) <= 1 {
			split(s, e, level+1)
			return
		}
		for _, p := range parts {
			split(p.Start, p.End, level+1)
		}
	}
	split(0, len(doc.Text), 0)
	// Merge neighbours while they fit.
	var merged []Span
	for _, p := range pieces {
		if strings.TrimSpace(doc.Text[p.Start:p.End]) == "" {
			continue
		}
		if n := len(merged); n > 0 && count(merged[n-1].Start, p.End) <= maxT {
			merged[n-1].End = p.End
			continue
		}
		merged = append(merged, p)
	}
	out := make([]Document, 0, len(merged))
	for _, m := range merged {
		s, e := trimSpan(doc.Text, m)
		out = append(out, makeChunk(doc, len(out), s, e))
	}
	return out
}

// boundaries splits text[s:e] at paragraph (level 0), line (1) or sentence
// (2) boundaries; the separators stay with the preceding piece.
func boundaries(text string, s, e, level int) []Span {
	var out []Span
	start := s
	for i := s; i < e; {
		r, size := utf8.DecodeRuneInString(text[i:])
		cut := -1
		switch level {
		case 0:
			if r == '\n' && strings.HasPrefix(text[i:e], "\n\n") {
				j := i
				for j < e && (text[j] == '\n' || text[j] == ' ' || text[j] == '\t' || text[j] == '\r') {
					j++
				}
				cut = j
			}
		case 1:
			if r == '\n' {
				cut = i + 1
			}
		case 2:
			if (r == '.' || r == '!' || r == '?') && i+1 < e && (text[i+1] == ' ' || text[i+1] == '\n') {
				cut = i + 2
			}
		}
		if cut > 0 {
			out = append(out, Span{start, cut})
			start = cut
			i = cut
			continue
		}
		i += size
	}
	if start < e {
		out = append(out, Span{start, e})
	}
	return out
}

func trimSpan(text string, sp Span) (int, int) {
	s, e := sp.Start, sp.End
	for s < e && unicode.IsSpace(rune(text[s])) {
		s++
	}
	for e > s && unicode.IsSpace(rune(text[e-1])) {
		e--
	}
	return s, e
}
