package retrieval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ponder-go/ponder/llm"
)

// ErrLocked is returned when another process holds a store's write lock
// for longer than the caller waits.
var ErrLocked = errors.New("another process is writing the store")

// OpenWriter opens the store at path for writing: it takes the store's
// cross-process write lock (path + ".lock"), waiting while another writer
// holds it until ctx ends, so that two `ponder rag ingest` runs on one store
// take turns instead of the second overwriting the first's documents.
// Temporary files left by a writer that was killed are removed. Close
// releases the lock.
func OpenWriter(ctx context.Context, path string, embedder llm.Embedder) (*Store, error) {
	if path == "" {
		return nil, errors.New("retrieval: OpenWriter needs a file path")
	}
	lk, err := lockFile(ctx, path+".lock")
	if err != nil {
		return nil, err
	}
	removeOrphans(path)
	s, err := Open(path, embedder)
	if err != nil {
		lk.unlock()
		return nil, err
	}
	s.lock = lk
	return s, nil
}

// Close releases the write lock of a store opened with OpenWriter; it does
// not save.
func (s *Store) Close() error {
	if s.lock != nil {
		s.lock.unlock()
		s.lock = nil
	}
	return nil
}

// lockFile takes an exclusive lock on file, retrying until ctx ends.
func lockFile(ctx context.Context, file string) (*fileLock, error) {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("retrieval: lock: %w", err)
	}
	wait := 10 * time.Millisecond
	start := time.Now()
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("retrieval: lock %s: %w", file, err)
		}
		if ok {
			return &fileLock{f}, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("retrieval: %w (lock %s held; waited %s): %w", ErrLocked, file, time.Since(start).Round(time.Millisecond), ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

type fileLock struct{ f *os.File }

func (l *fileLock) unlock() {
	_ = unlock(l.f)
	l.f.Close()
}

// removeOrphans deletes temporary files a killed Save left next to path
// (only called under the write lock, so no live writer owns them).
func removeOrphans(path string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"))
	for _, m := range matches {
		if strings.HasPrefix(filepath.Base(m), "."+filepath.Base(path)+".tmp-") {
			_ = os.Remove(m)
		}
	}
}
