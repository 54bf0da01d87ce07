//go:build !linux

package localmodel

// dropResident leaves the pages alone where Madvise is not in syscall
// (or the file was read into memory).
func dropResident([]byte) {}
