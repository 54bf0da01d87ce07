// Package par runs indexed work with bounded concurrency, stopping at the
// first error or when the context ends. No goroutine outlives the call.
package par

import (
	"context"
	"sync"
)

// Do calls fn(ctx, i) for i in [0, n) with at most limit calls running at
// once (limit < 1 means n). The first error cancels the context passed to the
// remaining calls and is returned; if ctx ends first, its error is returned.
func Do(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	if n <= 0 {
		return ctx.Err()
	}
	if limit < 1 || limit > n {
		limit = n
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		sem      = make(chan struct{}, limit)
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	parent := ctx
loop:
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-parent.Done():
			break loop
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				fail(err)
			}
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return parent.Err()
}
