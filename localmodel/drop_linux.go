package localmodel

import "syscall"

// dropResident tells the kernel the process is done with a mapped file's
// pages for now: loaders that copy weights (interleaving them for the
// kernels) have read the whole file once, and those pages would
// otherwise count in the process's resident size beside the copies.
// The mapping is file-backed and read-only, so a page used again is read
// back from the page cache.
func dropResident(data []byte) {
	if len(data) > 0 {
		_ = syscall.Madvise(data, syscall.MADV_DONTNEED)
	}
}
