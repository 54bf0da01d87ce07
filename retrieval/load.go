package retrieval

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Warning is a problem a loader worked around: a skipped binary file, a
// repaired encoding, a bad JSON line.
type Warning struct {
	Path   string
	Offset int64 // byte offset in the file, -1 if not applicable
	Msg    string
}

func (w Warning) String() string {
	if w.Offset >= 0 {
		return fmt.Sprintf("%s: offset %d: %s", w.Path, w.Offset, w.Msg)
	}
	return w.Path + ": " + w.Msg
}

// Loader reads files into Documents. The zero value is ready to use.
type Loader struct {
	// MaxFileBytes bounds non-JSONL files read whole (default 64 MiB);
	// larger ones are skipped with a warning. JSON Lines files are streamed
	// line by line and have no bound.
	MaxFileBytes int64
	// OnWarning receives each warning (default: collected in Warnings).
	OnWarning func(Warning)
	Warnings  []Warning
	// Unchanged, when set, is asked before a file is read: a file it
	// reports unchanged (by size and modification time) is not read.
	Unchanged func(path string, size int64, mod time.Time) bool
	// Skipped counts the files not loaded, by reason ("unchanged",
	// "unsupported extension", "binary", "compressed", "too large",
	// "unreadable"); SkippedFiles lists them with their reason.
	Skipped      map[string]int
	SkippedFiles []Warning
}

// MetaFileSize and MetaFileModTime are the metadata keys under which a
// loaded file's size and modification time (Unix nanoseconds) travel, so a
// store can skip the file next time without reading it.
const (
	MetaFileSize    = "file_size"
	MetaFileModTime = "file_mtime"
)

func (l *Loader) skip(path, reason string) {
	if l.Skipped == nil {
		l.Skipped = map[string]int{}
	}
	l.Skipped[reason]++
	l.SkippedFiles = append(l.SkippedFiles, Warning{Path: path, Offset: -1, Msg: reason})
}

func (l *Loader) warn(w Warning) {
	if l.OnWarning != nil {
		l.OnWarning(w)
		return
	}
	l.Warnings = append(l.Warnings, w)
}

// Load reads path (a file or a directory, walked recursively in name order)
// and calls fn for each document. Supported: .txt, .md/.markdown, .html/.htm,
// .jsonl/.ndjson (one {"_id","title","text"} per line, the BEIR corpus
// format). Other extensions in a directory are skipped silently; a named
// file of another extension is read as text.
func (l *Loader) Load(path string, fn func(Document) error) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("retrieval: %w", err)
	}
	if !info.IsDir() {
		return l.loadFile(path, fn)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && !d.IsDir() {
				l.skip(p, "unreadable")
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch {
		case kindOf(p) != "":
			files = append(files, p)
		case isCompressed(p):
			l.skip(p, "compressed")
		default:
			l.skip(p, "unsupported extension")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("retrieval: walking %s: %w", path, err)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := l.loadFile(f, fn); err != nil {
			return err
		}
	}
	return nil
}

// LoadAll is Load collecting the documents.
func (l *Loader) LoadAll(path string) ([]Document, error) {
	var docs []Document
	err := l.Load(path, func(d Document) error { docs = append(docs, d); return nil })
	return docs, err
}

// kindOf names how a file is read by its extension ("" for files a
// directory walk skips). A .gz text file is read decompressed.
func kindOf(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".gz") {
		path = strings.TrimSuffix(path, filepath.Ext(path))
		if strings.EqualFold(filepath.Ext(path), ".jsonl") || strings.EqualFold(filepath.Ext(path), ".ndjson") {
			return "" // streamed JSON Lines are read uncompressed only
		}
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt", ".text":
		return "text"
	case ".md", ".markdown":
		return "markdown"
	case ".html", ".htm":
		return "html"
	case ".jsonl", ".ndjson":
		return "jsonl"
	}
	return ""
}

// isCompressed reports archive and compression formats the loader does not
// open (gzip text files are read).
func isCompressed(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".gz", ".bz2", ".xz", ".zst", ".zip", ".tgz", ".7z", ".lz", ".lzma", ".z":
		return true
	}
	return false
}

func (l *Loader) loadFile(path string, fn func(Document) error) error {
	kind := kindOf(path)
	if kind == "jsonl" {
		return l.loadJSONL(path, fn)
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("retrieval: %w", err)
	}
	if l.Unchanged != nil && l.Unchanged(path, info.Size(), info.ModTime()) {
		l.skip(path, "unchanged")
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		l.skip(path, "unreadable")
		l.warn(Warning{path, -1, "skipped: " + err.Error()})
		return nil
	}
	defer f.Close()
	var r io.Reader = f
	if strings.EqualFold(filepath.Ext(path), ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			l.skip(path, "compressed")
			l.warn(Warning{path, -1, "skipped: not readable as gzip: " + err.Error()})
			return nil
		}
		defer zr.Close()
		r = zr
	}
	limit := l.MaxFileBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		l.skip(path, "unreadable")
		l.warn(Warning{path, -1, "skipped: " + err.Error()})
		return nil
	}
	if int64(len(data)) > limit {
		l.skip(path, "too large")
		l.warn(Warning{path, -1, fmt.Sprintf("skipped: larger than %d bytes (use JSON Lines for big corpora)", limit)})
		return nil
	}
	if isBinary(data) {
		l.skip(path, "binary")
		l.warn(Warning{path, -1, "skipped: binary file"})
		return nil
	}
	text := l.repair(path, 0, data)
	base := filepath.Base(path)
	if strings.EqualFold(filepath.Ext(base), ".gz") {
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	title := strings.TrimSuffix(base, filepath.Ext(base))
	switch kind {
	case "html":
		var t string
		t, text = HTMLText(text)
		if t != "" {
			title = t
		}
	case "markdown":
		if m := mdTitle.FindStringSubmatch(text); m != nil {
			title = strings.TrimSpace(m[1])
		}
	}
	meta := map[string]string{MetaFileSize: strconv.FormatInt(info.Size(), 10), MetaFileModTime: strconv.FormatInt(info.ModTime().UnixNano(), 10)}
	return fn(Document{ID: path, Title: title, Text: text, Source: path, Metadata: meta})
}

var mdTitle = regexp.MustCompile(`(?m)^#\s+(.+)$`)

// repair replaces invalid UTF-8 with U+FFFD and warns with the offset of the
// first bad byte.
func (l *Loader) repair(path string, base int64, data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	off := 0
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		off += size
	}
	l.warn(Warning{path, base + int64(off), "invalid UTF-8 replaced with U+FFFD"})
	return strings.ToValidUTF8(string(data), "\uFFFD")
}

// isBinary looks for NUL bytes or mostly control bytes in the first 8 KiB.
func isBinary(data []byte) bool {
	head := data[:min(len(data), 8192)]
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	ctrl := 0
	for _, b := range head {
		if b < 0x09 || (b > 0x0d && b < 0x20) {
			ctrl++
		}
	}
	return len(head) > 0 && ctrl*10 > len(head)
}

func (l *Loader) loadJSONL(path string, fn func(Document) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("retrieval: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	for lineNo := 1; ; lineNo++ {
		line, err := r.ReadBytes('\n')
		start := off
		off += int64(len(line))
		if len(bytes.TrimSpace(line)) > 0 {
			var rec struct {
				ID       any               `json:"_id"`
				Title    string            `json:"title"`
				Text     string            `json:"text"`
				Metadata map[string]string `json:"metadata"`
			}
			text := l.repair(path, start, line)
			if jerr := json.Unmarshal([]byte(text), &rec); jerr != nil {
				l.warn(Warning{path, start, fmt.Sprintf("line %d skipped: %v", lineNo, jerr)})
			} else if rec.ID == nil || rec.Text == "" && rec.Title == "" {
				l.warn(Warning{path, start, fmt.Sprintf("line %d skipped: needs \"_id\" and \"text\"", lineNo)})
			} else {
				id := fmt.Sprint(rec.ID)
				if ferr := fn(Document{ID: id, Title: rec.Title, Text: rec.Text, Source: path + "#" + id, Metadata: rec.Metadata}); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("retrieval: reading %s at offset %d: %w", path, off, err)
		}
	}
}

var (
	htmlDrop  = regexp.MustCompile(`(?is)<(script|style|noscript|template|head)\b.*?</(script|style|noscript|template|head)\s*>|<!--.*?-->`)
	htmlTitle = regexp.MustCompile(`(?is)<title\b[^>]*>(.*?)</title\s*>`)
	htmlBlock = regexp.MustCompile(`(?i)</?(p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|header|footer|blockquote|pre)\b[^>]*>`)
	htmlTag   = regexp.MustCompile(`<[^>]*>`)
	blankRuns = regexp.MustCompile(`\n[ \t]*(\n[ \t]*)+`)
	spaceRuns = regexp.MustCompile(`[ \t]+`)
)

// HTMLText extracts the title and the visible text of an HTML page: scripts,
// styles and comments dropped, block elements turned into paragraph breaks,
// entities decoded.
func HTMLText(page string) (title, text string) {
	if m := htmlTitle.FindStringSubmatch(page); m != nil {
		title = strings.TrimSpace(html.UnescapeString(htmlTag.ReplaceAllString(m[1], "")))
	}
	s := htmlDrop.ReplaceAllString(page, "")
	s = htmlBlock.ReplaceAllString(s, "\n\n")
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = spaceRuns.ReplaceAllString(s, " ")
	s = blankRuns.ReplaceAllString(s, "\n\n")
	return title, strings.TrimSpace(s)
}
