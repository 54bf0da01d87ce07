//go:build !unix

package retrieval

import "os"

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
