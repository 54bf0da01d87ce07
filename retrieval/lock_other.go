//go:build !unix

package retrieval

import "os"

// Without flock the lock is advisory only within this process's calls.
func tryLock(f *os.File) (bool, error) { return true, nil }

func unlock(f *os.File) error { return nil }
