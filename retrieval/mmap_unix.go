//go:build unix

package retrieval

import (
	"os"
	"syscall"
)

// readFile maps a store file copy-on-write: opening costs page-table
// entries instead of a copy, and a later write into the vectors (slot
// reuse after an ingest) lands in private pages, never in the file. The
// mapping is never unmapped: documents' strings and results' vectors view
// it, and may outlive the Store.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 || st.Size() != int64(int(st.Size())) {
		return os.ReadFile(path)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return os.ReadFile(path) // a file system without mmap
	}
	return data, nil
}
