//go:build !amd64 || purego

package matmul

func resetKernels() { UseGeneric() }
