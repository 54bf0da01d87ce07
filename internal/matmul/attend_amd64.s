#include "textflag.h"

// Attention's inner loops in AVX2, rounding as the Go loops they replace:
// no fused multiply-add (Go does not fuse on amd64), and DotFixed's four
// interleaved partial sums in the four lanes of a 128-bit half, added up
// in its order.

// func axpyAVX2(o, v *float32, w float32, n int)
// o[i] += w·v[i] for i < n (a multiple of 8).
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ o+0(FP), DI
	MOVQ v+8(FP), SI
	VBROADCASTSS w+16(FP), Y0
	MOVQ n+24(FP), CX
	SHRQ $3, CX
axpyloop:
	VMULPS (SI), Y0, Y1
	VADDPS (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ axpyloop
	VZEROUPPER
	RET

// FIXEDSUM(ACC, XACC, OFF): the float at OFF(DI) = ((s0+s1)+s2)+s3 of the
// low half of ACC, times X15; then the same of the high half at OFF+4
// (X12-X14 scratch).
#define FIXEDSUM(ACC, XACC, OFF) \
	VEXTRACTF128 $1, ACC, X14 \
	VMOVSHDUP XACC, X12 \
	VADDSS X12, XACC, X13 \
	VMOVHLPS XACC, XACC, X12 \
	VADDSS X12, X13, X13 \
	VMOVSHDUP X12, X12 \
	VADDSS X12, X13, X13 \
	VMULSS X15, X13, X13 \
	VMOVSS X13, OFF(DI) \
	VMOVSHDUP X14, X12 \
	VADDSS X12, X14, X13 \
	VMOVHLPS X14, X14, X12 \
	VADDSS X12, X13, X13 \
	VMOVSHDUP X12, X12 \
	VADDSS X12, X13, X13 \
	VMULSS X15, X13, X13 \
	VMOVSS X13, OFF+4(DI)

// func scoresFixedAVX2(sc, q, k *float32, stride, keys, d int, scale float32)
// sc[j] = DotFixed(q, k[j·stride:][:d])·scale for j < keys (a multiple of
// 4), d a multiple of 4. Keys j and j+1 share a vector (one a half), j+2
// and j+3 another: two independent chains.
TEXT ·scoresFixedAVX2(SB), NOSPLIT, $0-52
	MOVQ sc+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), R8
	MOVQ stride+24(FP), R9
	SHLQ $2, R9
	MOVQ keys+32(FP), CX
	SHRQ $2, CX
	MOVQ d+40(FP), R10
	SHLQ $2, R10
	VMOVSS scale+48(FP), X15
keysloop:
	LEAQ (R8)(R9*1), R11
	LEAQ (R11)(R9*1), R12
	LEAQ (R12)(R9*1), R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ AX, AX
dimloop:
	VBROADCASTF128 (SI)(AX*1), Y2
	VMOVUPS (R8)(AX*1), X3
	VINSERTF128 $1, (R11)(AX*1), Y3, Y3
	VMOVUPS (R12)(AX*1), X4
	VINSERTF128 $1, (R13)(AX*1), Y4, Y4
	VMULPS Y2, Y3, Y3
	VMULPS Y2, Y4, Y4
	VADDPS Y3, Y0, Y0
	VADDPS Y4, Y1, Y1
	ADDQ $16, AX
	CMPQ AX, R10
	JLT dimloop
	FIXEDSUM(Y0, X0, 0)
	FIXEDSUM(Y1, X1, 8)
	ADDQ $16, DI
	LEAQ (R13)(R9*1), R8
	DECQ CX
	JNZ keysloop
	VZEROUPPER
	RET
