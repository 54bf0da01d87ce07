// Package cache remembers model calls: a wrapper around any llm.Model that
// answers a repeated deterministic request (greedy, or with a fixed seed)
// from memory or disk instead of calling the model again. Re-running an
// evaluation, a test suite or a notebook then costs nothing for the calls
// already made.
//
// Entries are keyed by a SHA-256 of the request's canonical JSON (messages,
// model, sampling settings, seed, stop sequences, tools, constraint), kept
// in a bounded in-memory LRU and, with a directory, in a bbolt file: one
// embedded, crash-safe, single-file key-value store (B+tree, ACID
// transactions, one writer at a time across processes via a file lock)
// that needs no server and no cgo.
package cache

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/trace"
)

// Options configure a cache.
type Options struct {
	// Dir keeps entries on disk in Dir/ponder-cache.db ("" : memory only).
	Dir string
	// MaxEntries bounds the in-memory LRU (default 4096).
	MaxEntries int
}

// Model is a caching llm.Model. Safe for concurrent use.
type Model struct {
	Base llm.Model
	max  int
	db   *bolt.DB

	mu    sync.Mutex
	order *list.List // most recent at the front
	byKey map[string]*list.Element
	// Hits and Misses count lookups of deterministic requests.
	Hits, Misses int
}

type entry struct {
	key  string
	resp []byte
}

var bucket = []byte("responses")

// New wraps base.
func New(base llm.Model, o Options) (*Model, error) {
	m := &Model{Base: base, max: o.MaxEntries, order: list.New(), byKey: map[string]*list.Element{}}
	if m.max <= 0 {
		m.max = 4096
	}
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		db, err := bolt.Open(filepath.Join(o.Dir, "ponder-cache.db"), 0o644, &bolt.Options{Timeout: 10 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("cache: %s: %w", o.Dir, err)
		}
		if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
			db.Close()
			return nil, fmt.Errorf("cache: %w", err)
		}
		m.db = db
	}
	return m, nil
}

// Close closes the disk store.
func (m *Model) Close() error {
	if m.db != nil {
		return m.db.Close()
	}
	return nil
}

// Deterministic reports whether a request's answer is a function of the
// request: greedy decoding, or sampling with a fixed seed.
func Deterministic(req llm.Request) bool {
	return req.Temperature != nil && *req.Temperature == 0 || req.Seed != nil
}

// Key is the request's cache key.
func Key(req llm.Request) (string, error) {
	b, err := json.Marshal(req) // struct fields in a fixed order; maps sorted
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// Generate implements llm.Model.
func (m *Model) Generate(ctx context.Context, req llm.Request) (*llm.Response, error) {
	if !Deterministic(req) {
		return m.Base.Generate(ctx, req)
	}
	key, err := Key(req)
	if err != nil {
		return m.Base.Generate(ctx, req)
	}
	_, span := trace.Start(ctx, trace.KindModel, "cache")
	if resp, ok := m.lookup(key); ok {
		span.Set("cache", "hit")
		span.Finish(nil)
		return resp, nil
	}
	span.Set("cache", "miss")
	span.Finish(nil)
	resp, err := m.Base.Generate(ctx, req)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(resp)
	if err == nil {
		m.store(key, b)
	}
	return resp, nil
}

func (m *Model) lookup(key string) (*llm.Response, bool) {
	m.mu.Lock()
	var data []byte
	if el, ok := m.byKey[key]; ok {
		m.order.MoveToFront(el)
		data = el.Value.(*entry).resp
	}
	m.mu.Unlock()
	if data == nil && m.db != nil {
		_ = m.db.View(func(tx *bolt.Tx) error {
			if v := tx.Bucket(bucket).Get([]byte(key)); v != nil {
				data = append([]byte(nil), v...)
			}
			return nil
		})
		if data != nil {
			m.remember(key, data)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if data == nil {
		m.Misses++
		return nil, false
	}
	var resp llm.Response
	if json.Unmarshal(data, &resp) != nil {
		m.Misses++
		return nil, false
	}
	m.Hits++
	return &resp, true
}

func (m *Model) store(key string, data []byte) {
	m.remember(key, data)
	if m.db != nil {
		_ = m.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(key), data) })
	}
}

func (m *Model) remember(key string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.byKey[key]; ok {
		m.order.MoveToFront(el)
		return
	}
	m.byKey[key] = m.order.PushFront(&entry{key, data})
	for m.order.Len() > m.max {
		last := m.order.Back()
		m.order.Remove(last)
		delete(m.byKey, last.Value.(*entry).key)
	}
}
