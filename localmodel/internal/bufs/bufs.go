// Package bufs holds what the forward passes reuse between calls, so that
// decoding a token does not allocate its activations anew.
package bufs

import "sync"

// Sized returns s with length n, reallocated only when its capacity is
// short of n. The contents are undefined: callers write before they read.
func Sized[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Grow appends add to s, doubling s's capacity when it is full, up to
// limit elements (a KV cache's whole context): append's own growth for
// slices this large is about 1.25x, which copies a growing cache over and
// over as a sequence grows.
func Grow[T any](s, add []T, limit int) []T {
	if n := len(s) + len(add); n > cap(s) {
		grown := make([]T, len(s), max(n, min(2*cap(s), limit)))
		copy(grown, s)
		s = grown
	}
	return append(s, add...)
}

// Pool lends slices of T of any length (the zero Pool is ready to use).
type Pool[T any] struct{ p sync.Pool }

// Get returns a slice of length n (contents undefined); Put it back when
// done.
func (p *Pool[T]) Get(n int) *[]T {
	b, _ := p.p.Get().(*[]T)
	if b == nil {
		b = new([]T)
	}
	*b = Sized(*b, n)
	return b
}

// Put returns b for a later Get.
func (p *Pool[T]) Put(b *[]T) { p.p.Put(b) }

// Objects is a pool of *T, for structs handed to other goroutines
// (which would escape to the heap if made anew at every call).
type Objects[T any] struct{ p sync.Pool }

// Get returns a pooled *T, or a new zero one.
func (p *Objects[T]) Get() *T {
	if o, _ := p.p.Get().(*T); o != nil {
		return o
	}
	return new(T)
}

// Put returns o to the pool, cleared (so that it holds no references).
func (p *Objects[T]) Put(o *T) {
	var zero T
	*o = zero
	p.p.Put(o)
}
