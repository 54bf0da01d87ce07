package retrieval

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"unsafe"
)

// Ponder's store file: everything an open needs, laid out so that opening
// reads the file once and views it, with nothing to rebuild.
//
//	magic "PONDRST2" | u64 header length | header (JSON) | zero padding to 64
//	vectors: count × dim float32, little-endian, in index order
//	documents: per chunk id, title, text, source, then metadata pairs
//	           (strings are u32 length + bytes; metadata starts with a u32 count)
//	BM25: u32 term count, then per term its string and u32 posting count,
//	      then every posting (u32 chunk, u32 term frequency), then u32 length
//	      (tokens) per chunk
//
// The header holds the dimension, the count, the section offsets and the
// manifest of sources. Every size is checked against the file before use.

var storeMagic = []byte("PONDRST2")

type storeHeader struct {
	Version  int      `json:"version"`
	Dim      int      `json:"dim"`
	Count    int      `json:"count"`
	Vectors  int64    `json:"vectors"`
	Docs     int64    `json:"docs"`
	BM25     int64    `json:"bm25"`
	End      int64    `json:"end"`
	K1       float64  `json:"k1"`
	B        float64  `json:"b"`
	Manifest manifest `json:"manifest"`
}

func isStoreFile(data []byte) bool { return bytes.HasPrefix(data, storeMagic) }

// write serialises the store (under s.mu).
func (s *Store) write(w *bufio.Writer) error {
	ix := s.vix
	if s.index != Index(s.vix) {
		// A custom index keeps its vectors: save the documents (from
		// BM25) without them.
		ix = &vindex{pos: map[string]int{}}
		for i, d := range s.bm25.docs {
			if s.bm25.live[i] {
				ix.docs = append(ix.docs, d)
			}
		}
	}
	dim := 0
	if len(ix.vecs) > 0 {
		dim = len(ix.vecs[0])
	}
	var docs, lex bytes.Buffer
	for _, d := range ix.docs {
		writeDoc(&docs, d)
	}
	for docs.Len()%4 != 0 { // the BM25 section starts 4-byte aligned
		docs.WriteByte(0)
	}
	order := make(map[string]uint32, len(ix.docs))
	for i, d := range ix.docs {
		order[d.ID] = uint32(i)
	}
	s.bm25.writeTo(&lex, order, len(ix.docs))
	h := storeHeader{Version: 2, Dim: dim, Count: len(ix.docs), K1: s.bm25.K1, B: s.bm25.B, Manifest: s.man}
	// Offsets depend on the header's length, which depends on the
	// offsets: reserve their width by writing them twice.
	var hb []byte
	for range 2 {
		b, err := json.Marshal(h)
		if err != nil {
			return err
		}
		hb = b
		start := align64(int64(len(storeMagic) + 8 + len(hb)))
		h.Vectors = start
		h.Docs = start + int64(dim*len(ix.vecs)*4)
		h.BM25 = h.Docs + int64(docs.Len())
		h.End = h.BM25 + int64(lex.Len())
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if align64(int64(len(storeMagic)+8+len(hb))) != h.Vectors {
		return errors.New("header size changed while writing")
	}
	w.Write(storeMagic)
	binary.Write(w, binary.LittleEndian, uint64(len(hb)))
	w.Write(hb)
	w.Write(make([]byte, h.Vectors-int64(len(storeMagic)+8+len(hb))))
	buf := make([]byte, 4*dim)
	for _, v := range ix.vecs {
		for j, x := range v {
			binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(x))
		}
		w.Write(buf)
	}
	w.Write(docs.Bytes())
	_, err = w.Write(lex.Bytes())
	return err
}

func align64(n int64) int64 { return (n + 63) &^ 63 }

func putString(b *bytes.Buffer, s string) {
	binary.Write(b, binary.LittleEndian, uint32(len(s)))
	b.WriteString(s)
}

func writeDoc(b *bytes.Buffer, d Document) {
	putString(b, d.ID)
	putString(b, d.Title)
	putString(b, d.Text)
	putString(b, d.Source)
	keys := make([]string, 0, len(d.Metadata))
	for k := range d.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	binary.Write(b, binary.LittleEndian, uint32(len(keys)))
	for _, k := range keys {
		putString(b, k)
		putString(b, d.Metadata[k])
	}
}

// writeTo serialises the live documents' postings, numbered by order.
func (ix *BM25) writeTo(b *bytes.Buffer, order map[string]uint32, n int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	terms := make([]string, 0, len(ix.postings))
	for t := range ix.postings {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	var post bytes.Buffer
	var kept []string
	var counts []uint32
	for _, t := range terms {
		c := uint32(0)
		for _, p := range ix.postings[t] {
			if !ix.live[p.doc] {
				continue
			}
			binary.Write(&post, binary.LittleEndian, [2]uint32{order[ix.docs[p.doc].ID], uint32(p.tf)})
			c++
		}
		if c > 0 {
			kept, counts = append(kept, t), append(counts, c)
		}
	}
	binary.Write(b, binary.LittleEndian, uint32(len(kept)))
	for i, t := range kept {
		putString(b, t)
		binary.Write(b, binary.LittleEndian, counts[i])
	}
	// Postings start 4-byte aligned (the section starts so too), so a
	// reader can view them in place.
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
	b.Write(post.Bytes())
	lens := make([]uint32, n)
	for i, d := range ix.docs {
		if ix.live[i] {
			lens[order[d.ID]] = uint32(ix.lens[i])
		}
	}
	binary.Write(b, binary.LittleEndian, lens)
}

// reader reads the sections of a store file, checking every length.
type reader struct {
	data []byte
	off  int
	err  error
}

func (r *reader) u32() uint32 {
	if r.err != nil {
		return 0
	}
	if r.off+4 > len(r.data) {
		r.err = fmt.Errorf("truncated at byte %d", r.off)
		return 0
	}
	v := binary.LittleEndian.Uint32(r.data[r.off:])
	r.off += 4
	return v
}

func (r *reader) str() string {
	n := int(r.u32())
	if r.err != nil {
		return ""
	}
	if n > len(r.data)-r.off {
		r.err = fmt.Errorf("a %d-byte string at byte %d runs past the section", n, r.off)
		return ""
	}
	// A view, not a copy: data is the file's private mapping (or buffer),
	// never written where strings live and never unmapped.
	s := unsafe.String(unsafe.SliceData(r.data[r.off:]), n)
	if n == 0 {
		s = ""
	}
	r.off += n
	return s
}

// load views a store file: vectors in place (4-byte aligned in data),
// documents and postings decoded.
func (s *Store) load(data []byte) error {
	if len(data) < len(storeMagic)+8 {
		return errors.New("truncated store header")
	}
	hl := binary.LittleEndian.Uint64(data[len(storeMagic):])
	if hl > uint64(len(data)-len(storeMagic)-8) || hl > 1<<30 {
		return fmt.Errorf("store header of %d bytes does not fit the %d-byte file", hl, len(data))
	}
	var h storeHeader
	if err := json.Unmarshal(data[len(storeMagic)+8:len(storeMagic)+8+int(hl)], &h); err != nil {
		return fmt.Errorf("store header: %w", err)
	}
	switch {
	case h.Version != 2:
		return fmt.Errorf("store format version %d is not supported (2 is)", h.Version)
	case h.Dim < 0 || h.Count < 0 || h.Dim > 1<<16 || h.Count > 1<<28:
		return fmt.Errorf("store header claims %d vectors of dimension %d", h.Count, h.Dim)
	case h.End != int64(len(data)):
		return fmt.Errorf("store file is %d bytes, its header says %d (truncated?)", len(data), h.End)
	case h.Vectors < int64(len(storeMagic)+8)+int64(hl) || h.Vectors%4 != 0 || h.Docs != h.Vectors+int64(h.Count)*int64(h.Dim)*4 || h.BM25 < h.Docs || h.BM25 > h.End:
		return errors.New("store header: section offsets are inconsistent")
	case h.Dim == 0 && h.Count > 0 && s.index == Index(s.vix):
		return errors.New("this store keeps its vectors in another index: open it with OpenWithIndex")
	}
	if h.Manifest.Sources == nil {
		h.Manifest.Sources = map[string]SourceEntry{}
	}
	s.man = h.Manifest
	// Vectors: views into data (a page-aligned mapping or os.ReadFile's
	// 8-byte aligned buffer; the section starts at a multiple of 64).
	var flat []float32
	if n := h.Count * h.Dim; n > 0 {
		if uintptr(unsafe.Pointer(&data[h.Vectors]))%4 != 0 {
			return errors.New("vector section is not aligned")
		}
		flat = unsafe.Slice((*float32)(unsafe.Pointer(&data[h.Vectors])), n)
	}
	r := &reader{data: data[:h.BM25], off: int(h.Docs)}
	docs := make([]Document, h.Count)
	for i := range docs {
		d := Document{ID: r.str(), Title: r.str(), Text: r.str(), Source: r.str()}
		nm := int(r.u32())
		// Each entry takes at least 8 bytes (two lengths): a count the
		// section cannot hold is a lie, refused before any work.
		if nm > 1<<16 || nm > (len(r.data)-r.off)/8 {
			return fmt.Errorf("chunk %d claims %d metadata entries", i, nm)
		}
		if nm > 0 {
			d.Metadata = make(map[string]string, nm)
			for range nm {
				k := r.str()
				d.Metadata[k] = r.str()
				if r.err != nil {
					break
				}
			}
		}
		if r.err != nil {
			return fmt.Errorf("documents: %w", r.err)
		}
		docs[i] = d
	}
	if int(h.BM25)-r.off > 3 {
		return errors.New("documents section has trailing bytes")
	}
	if h.Dim == 0 { // saved with a custom index: it holds the vectors
		return s.bm25.load(data[h.BM25:h.End], docs, h.K1, h.B)
	}
	ix := s.vix
	ix.docs = docs
	ix.vecs = make([][]float32, h.Count)
	for i := range ix.vecs {
		ix.vecs[i] = flat[i*h.Dim : (i+1)*h.Dim : (i+1)*h.Dim]
		if _, dup := ix.pos[docs[i].ID]; dup {
			return fmt.Errorf("chunk %q appears twice", docs[i].ID)
		}
		ix.pos[docs[i].ID] = i
	}
	return s.bm25.load(data[h.BM25:h.End], docs, h.K1, h.B)
}

// load restores a serialised index over docs (numbered as written).
func (ix *BM25) load(data []byte, docs []Document, k1, b float64) error {
	r := &reader{data: data}
	nt := int(r.u32())
	if nt > len(data)/5 {
		return fmt.Errorf("BM25: %d terms cannot fit %d bytes", nt, len(data))
	}
	terms := make([]string, nt)
	counts := make([]int, nt)
	total := 0
	for i := range terms {
		terms[i] = r.str()
		counts[i] = int(r.u32())
		total += counts[i]
	}
	if r.err != nil {
		return fmt.Errorf("BM25 terms: %w", r.err)
	}
	r.off = (r.off + 3) &^ 3
	if r.off > len(data) || total > (len(data)-r.off)/8 || len(data)-r.off != total*8+len(docs)*4 {
		return errors.New("BM25: postings and lengths do not fill the section")
	}
	// Postings are (u32 chunk, u32 tf) pairs, posting's layout on a
	// little-endian machine: view them in place, then check them.
	var all []posting
	if total > 0 {
		p := unsafe.Pointer(&data[r.off])
		if uintptr(p)%4 != 0 {
			return errors.New("BM25: postings are not aligned")
		}
		all = unsafe.Slice((*posting)(p), total)
	}
	for _, p := range all {
		if uint32(p.doc) >= uint32(len(docs)) || p.tf < 0 {
			return fmt.Errorf("BM25: a posting names chunk %d, there are %d", p.doc, len(docs))
		}
	}
	r.off += total * 8
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if k1 > 0 {
		ix.K1, ix.B = k1, b
	}
	ix.postings = make(map[string][]posting, nt)
	ix.df = make(map[string]int32, nt)
	at := 0
	for i, t := range terms {
		ix.postings[t] = all[at : at+counts[i] : at+counts[i]]
		ix.df[t] = int32(counts[i])
		at += counts[i]
	}
	ix.docs = docs
	ix.lens = make([]int32, len(docs))
	ix.live = make([]bool, len(docs))
	ix.byID = make(map[string]int32, len(docs))
	ix.total = 0
	for i := range docs {
		ix.lens[i] = int32(r.u32())
		if ix.lens[i] < 0 {
			return fmt.Errorf("BM25: chunk %d has length %d", i, ix.lens[i])
		}
		ix.live[i] = true
		ix.byID[docs[i].ID] = int32(i)
		ix.total += int(ix.lens[i])
	}
	ix.nlive = len(docs)
	return r.err
}
