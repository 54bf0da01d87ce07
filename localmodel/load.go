package localmodel

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/ponder-go/ponder/localmodel/ollama"
)

// Format is a checkpoint format an architecture package registers.
type Format struct {
	// Name is reported in errors ("gguf", "llm.c", "safetensors").
	Name string
	// Match reports whether a file starting with head (up to 16 bytes) is
	// in this format.
	Match func(head []byte) bool
	// Load builds a model from the whole file. data may be memory-mapped
	// and stays valid until the model is closed; a format that views it in
	// place must not let the model outlive it.
	Load func(data []byte) (*Model, error)
}

var (
	formatsMu sync.RWMutex
	formats   []Format
)

// RegisterFormat adds a checkpoint format (architecture packages call it
// from init). Formats are tried in name order; the first match loads.
func RegisterFormat(f Format) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	formats = append(formats, f)
	sort.SliceStable(formats, func(i, j int) bool { return formats[i].Name < formats[j].Name })
}

// Formats lists the registered format names.
func Formats() []string {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	var out []string
	for _, f := range formats {
		out = append(out, f.Name)
	}
	return out
}

func formatFor(head []byte) (Format, error) {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	for _, f := range formats {
		if f.Match(head) {
			return f, nil
		}
	}
	if len(formats) == 0 {
		return Format{}, fmt.Errorf("%w: no checkpoint format is registered (import an architecture package such as localmodel/gpt2 or localmodel/llama, or use package backend)", ErrCorrupt)
	}
	return Format{}, fmt.Errorf("%w: the file is in none of the known formats (%v)", ErrCorrupt, Formats())
}

// Load reads a model file in any registered format, memory-mapping it;
// Close unmaps it. "ollama:NAME[:TAG]" names a model in Ollama's local
// store.
func Load(path string) (*Model, error) {
	if strings.HasPrefix(path, ollama.Prefix) {
		p, err := ollama.Resolve(path)
		if err != nil {
			return nil, fmt.Errorf("localmodel: %w", err)
		}
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("localmodel: %w", err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, err := io.ReadFull(f, head)
	if err != nil && n < 8 {
		return nil, fmt.Errorf("localmodel: %s: %w: %d bytes is too short to be a model file", path, ErrCorrupt, n)
	}
	format, err := formatFor(head[:n])
	if err != nil {
		return nil, fmt.Errorf("localmodel: %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("localmodel: %w", err)
	}
	data, unmap, err := mapFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("localmodel: mapping %s: %w", path, err)
	}
	m, err := format.Load(data)
	if err != nil {
		unmap()
		return nil, fmt.Errorf("localmodel: %s: %w", path, err)
	}
	dropResident(data)
	m.close = unmap
	return m, nil
}

// LoadBytes reads a model held in memory (for example one embedded with
// go:embed). The model may view the bytes, so they must not change while
// it is in use.
func LoadBytes(data []byte) (*Model, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("localmodel: %w: %d bytes is too short to be a model file", ErrCorrupt, len(data))
	}
	format, err := formatFor(data[:min(16, len(data))])
	if err != nil {
		return nil, fmt.Errorf("localmodel: %w", err)
	}
	m, err := format.Load(data)
	if err != nil {
		return nil, fmt.Errorf("localmodel: %w", err)
	}
	return m, nil
}
