package llm

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Error kinds a caller can branch on with errors.Is.
var (
	ErrRateLimited   = errors.New("rate limited")
	ErrContextLength = errors.New("context too long")
	ErrBadRequest    = errors.New("bad request")
	ErrUnavailable   = errors.New("backend unavailable")
	ErrCanceled      = errors.New("cancelled")
	ErrUnsupported   = errors.New("unsupported")
	// ErrBadOutput: the model answered, but not in the required shape
	// (invalid JSON for a schema, a cut stream, ...).
	ErrBadOutput = errors.New("bad model output")
)

// Error is the error every backend returns. errors.Is(err, ErrRateLimited)
// and friends match Kind; errors.Is(err, context.Canceled) matches a cancelled
// call; errors.As gives the details.
type Error struct {
	Kind       error         // one of the Err* kinds above
	Backend    string        // "openai", "local", ...
	StatusCode int           // HTTP status, when there was one
	RetryAfter time.Duration // server's Retry-After, when it sent one
	Attempts   int           // how many attempts were made
	Msg        string
	Err        error // underlying cause
}

func (e *Error) Error() string {
	s := e.Backend
	if s == "" {
		s = "llm"
	}
	s += ": " + e.Kind.Error()
	if e.StatusCode != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap exposes both the kind and the cause to errors.Is/As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Canceled wraps a context error as an *Error of kind ErrCanceled (which still
// matches context.Canceled / context.DeadlineExceeded).
func Canceled(backend string, ctxErr error) error {
	return &Error{Kind: ErrCanceled, Backend: backend, Err: ctxErr}
}

// Retryable reports whether err is worth retrying: rate limits and
// unavailable backends are; bad requests, context length and cancellation are not.
func Retryable(err error) bool {
	if errors.Is(err, ErrCanceled) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrUnavailable)
}
