// Package ollama finds models in Ollama's local store: manifests under
// models/manifests/HOST/NAMESPACE/NAME/TAG naming content-addressed blobs
// under models/blobs, one of which (media type
// application/vnd.ollama.image.model) is the GGUF file. The store is
// $OLLAMA_MODELS, or ~/.ollama/models.
package ollama

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Prefix marks a model reference as an Ollama name: "ollama:qwen2.5:0.5b".
const Prefix = "ollama:"

const (
	defaultHost      = "registry.ollama.ai"
	defaultNamespace = "library"
	defaultTag       = "latest"
	modelMediaType   = "application/vnd.ollama.image.model"
	// maxManifest bounds a manifest read (they are a few hundred bytes).
	maxManifest = 1 << 20
)

// ErrNotFound is returned for a name the store does not hold.
var ErrNotFound = errors.New("not in the Ollama store")

// Model is one model in the store.
type Model struct {
	Name     string    // as Ollama prints it: "qwen2.5:0.5b", "user/model:tag"
	Path     string    // the GGUF blob
	Size     int64     // bytes of the GGUF blob
	Modified time.Time // of the manifest
}

// Dir is the store's models directory.
func Dir() (string, error) {
	if d := os.Getenv("OLLAMA_MODELS"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("ollama: no home directory for ~/.ollama/models (set OLLAMA_MODELS): %w", err)
	}
	return filepath.Join(home, ".ollama", "models"), nil
}

var part = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// manifestPath turns NAME[:TAG] (optionally NAMESPACE/NAME or
// HOST/NAMESPACE/NAME) into its manifest file under dir.
func manifestPath(dir, name string) (string, error) {
	name = strings.TrimPrefix(name, Prefix)
	ref, tag := name, defaultTag
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		ref, tag = name[:i], name[i+1:]
	}
	parts := strings.Split(ref, "/")
	switch len(parts) {
	case 1:
		parts = []string{defaultHost, defaultNamespace, parts[0]}
	case 2:
		parts = []string{defaultHost, parts[0], parts[1]}
	case 3:
	default:
		return "", fmt.Errorf("ollama: %q is not NAME[:TAG], NAMESPACE/NAME[:TAG] or HOST/NAMESPACE/NAME[:TAG]", name)
	}
	for _, p := range append(parts, tag) {
		if !part.MatchString(p) || p == "." || p == ".." {
			return "", fmt.Errorf("ollama: %q: %q is not a valid name part", name, p)
		}
	}
	return filepath.Join(append([]string{dir, "manifests"}, append(parts, tag)...)...), nil
}

type manifest struct {
	Layers []struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int64  `json:"size"`
	} `json:"layers"`
}

var digest = regexp.MustCompile(`^sha256[:-]([0-9a-f]{64})$`)

// readManifest finds the GGUF blob a manifest names and checks it.
func readManifest(dir, file string) (path string, size int64, err error) {
	f, err := os.Open(file)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	var m manifest
	if err := json.NewDecoder(&limitedReader{f, maxManifest}).Decode(&m); err != nil {
		return "", 0, fmt.Errorf("ollama: manifest %s: %w", file, err)
	}
	for _, l := range m.Layers {
		if l.MediaType != modelMediaType {
			continue
		}
		g := digest.FindStringSubmatch(l.Digest)
		if g == nil {
			return "", 0, fmt.Errorf("ollama: manifest %s: model layer digest %q is not sha256:<64 hex>", file, l.Digest)
		}
		blob := filepath.Join(dir, "blobs", "sha256-"+g[1])
		st, err := os.Stat(blob)
		if err != nil {
			return "", 0, fmt.Errorf("ollama: manifest %s: model blob: %w", file, err)
		}
		if l.Size > 0 && st.Size() != l.Size {
			return "", 0, fmt.Errorf("ollama: blob %s is %d bytes, the manifest says %d (an interrupted pull?)", blob, st.Size(), l.Size)
		}
		return blob, st.Size(), nil
	}
	return "", 0, fmt.Errorf("ollama: manifest %s has no %s layer (not a language model?)", file, modelMediaType)
}

// Resolve returns the GGUF file of an Ollama model name such as
// "qwen2.5:0.5b" (the "ollama:" prefix is optional; the tag defaults to
// latest).
func Resolve(name string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	file, err := manifestPath(dir, name)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(file); err != nil {
		have, _ := List()
		names := make([]string, 0, len(have))
		for _, m := range have {
			names = append(names, m.Name)
		}
		hint := "the store is empty"
		if len(names) > 0 {
			hint = "it has " + strings.Join(names, ", ")
		}
		return "", fmt.Errorf("ollama: %q is %w at %s (%s; 'ollama pull' fetches models, 'ponder models' lists them)", strings.TrimPrefix(name, Prefix), ErrNotFound, dir, hint)
	}
	path, _, err := readManifest(dir, file)
	return path, err
}

// List returns the models in the store, by name.
func List() ([]Model, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "manifests")
	var out []Model
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 {
			return nil
		}
		path, size, err := readManifest(dir, p)
		if err != nil {
			return nil // not a model (an embedding adapter, a broken pull): skip
		}
		name := parts[2] + ":" + parts[3]
		switch {
		case parts[0] != defaultHost:
			name = strings.Join(parts[:3], "/") + ":" + parts[3]
		case parts[1] != defaultNamespace:
			name = parts[1] + "/" + name
		}
		info, _ := d.Info()
		var mod time.Time
		if info != nil {
			mod = info.ModTime()
		}
		out = append(out, Model{Name: name, Path: path, Size: size, Modified: mod})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

type limitedReader struct {
	f *os.File
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("manifest larger than %d bytes", maxManifest)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}
