#include "textflag.h"

// Macros that address the stack beyond a small frame come first, so that
// go vet checks them against no function's frame.

// dotQ6_Kx4AVX2 rebuilds each group of 32 6-bit quants once for four
// activation rows. Registers: Y0, Y9, Y13, Y14 the rows' int32 sums; Y8
// nibble mask, Y10 bit-pair mask, Y11 32s; Y1-Y7, Y12, Y15 scratch.

// Q6KTOKX4(Q, AOFF, IDX, SUMI): SUMI += the group in Q (minus 32) · the
// row at DI plus IDX, scaled by Y12.
#define Q6KTOKX4(Q, AOFF, IDX, SUMI) \
	VMOVDQU AOFF(DI)IDX, Y5 \
	VPMADDUBSW Y5, Q, Y6 \
	VPMADDUBSW Y5, Y11, Y7 \
	VPSUBW Y7, Y6, Y6 \
	VPMADDWD Y12, Y6, Y6 \
	VPADDD Y6, SUMI, SUMI

// Q6KGROUPX4(Q, AOFF, SLO, SHI): one group of 32 quants against the four
// rows, the first 16 scaled by the int16 at SLO(SP), the rest by SHI(SP).
#define Q6KGROUPX4(Q, AOFF, SLO, SHI) \
	VPBROADCASTW SLO(SP), X12 \
	VPBROADCASTW SHI(SP), X4 \
	VINSERTI128 $1, X4, Y12, Y12 \
	Q6KTOKX4(Q, AOFF, (DX*1), Y0) \
	Q6KTOKX4(Q, AOFF, (R12*1), Y9) \
	Q6KTOKX4(Q, AOFF, (R12*2), Y13) \
	Q6KTOKX4(Q, AOFF, (R13*1), Y14)

// Q6KLOAD(QL, QH): a Q6_K half's low nibbles (QL(SI): Y1 for quants
// 0-31 and 64-95, Y2 for 32-63 and 96-127) and bit pairs (QH(SI): Y3).
#define Q6KLOAD(QL, QH) \
	VMOVDQU QL(SI), Y1 \
	VMOVDQU QL+32(SI), Y2 \
	VMOVDQU QH(SI), Y3

// Q6KQ0-Q6KQ3: the half's group k of 32 6-bit quants (a nibble with a
// pair of high bits) in Y15; Y4 scratch, Y8 nibble mask, Y10 pair mask.
#define Q6KQ0 \
	VPAND Y10, Y3, Y4 \
	VPSLLW $4, Y4, Y4 \
	VPAND Y8, Y1, Y15 \
	VPOR Y4, Y15, Y15

#define Q6KQ1 \
	VPSRLW $2, Y3, Y4 \
	VPAND Y10, Y4, Y4 \
	VPSLLW $4, Y4, Y4 \
	VPAND Y8, Y2, Y15 \
	VPOR Y4, Y15, Y15

#define Q6KQ2 \
	VPSRLW $4, Y3, Y4 \
	VPAND Y10, Y4, Y4 \
	VPSLLW $4, Y4, Y4 \
	VPSRLW $4, Y1, Y15 \
	VPAND Y8, Y15, Y15 \
	VPOR Y4, Y15, Y15

#define Q6KQ3 \
	VPSRLW $6, Y3, Y4 \
	VPAND Y10, Y4, Y4 \
	VPSLLW $4, Y4, Y4 \
	VPSRLW $4, Y2, Y15 \
	VPAND Y8, Y15, Y15 \
	VPOR Y4, Y15, Y15

// Q6KHALFAX4, Q6KHALFBX4 (QL, QH, A, G): Q6KHALFA and Q6KHALFB for four
// rows.
#define Q6KHALFAX4(QL, QH, A, G) \
	Q6KLOAD(QL, QH) \
	Q6KQ0 \
	Q6KGROUPX4(Y15, A, G, G+2) \
	Q6KQ1 \
	Q6KGROUPX4(Y15, A+32, G+4, G+6)

// Q6KHALFBX4: the half's last two groups.
#define Q6KHALFBX4(QL, QH, A, G) \
	Q6KQ2 \
	Q6KGROUPX4(Y15, A+64, G+8, G+10) \
	Q6KQ3 \
	Q6KGROUPX4(Y15, A+96, G+12, G+14)

// Q6KPACCX4: the four rows' sums of the last 64 elements reduced to one
// vector (VPHADDD) and met with their scales (48(SP)) in the rows'
// accumulators (32(SP)); the sums cleared.
#define Q6KPACCX4 \
	VPHADDD Y9, Y0, Y5 \
	VPHADDD Y14, Y13, Y6 \
	VPHADDD Y6, Y5, Y5 \
	VEXTRACTI128 $1, Y5, X6 \
	VPADDD X6, X5, X5 \
	VCVTDQ2PS X5, X5 \
	VMOVUPS 32(SP), X6 \
	VFMADD231PS 48(SP), X5, X6 \
	VMOVUPS X6, 32(SP) \
	VPXOR Y0, Y0, Y0 \
	VPXOR Y9, Y9, Y9 \
	VPXOR Y13, Y13, Y13 \
	VPXOR Y14, Y14, Y14

// Q5KPAIRX4(QOFF, AOFF, SL, SH, BLO, BHI): Q4KPAIRX4 for Q5_K, the fifth
// bits from the stack (32(SP): the block's bits, 64(SP): 0x01 bytes).
#define Q5KPAIRX4(QOFF, AOFF, SL, SH, BLO, BHI) \
	VMOVDQU QOFF(SI), Y2 \
	VPAND Y8, Y2, Y3 \
	VPSRLW $4, Y2, Y4 \
	VPAND Y8, Y4, Y4 \
	VMOVDQU 32(SP), Y10 \
	VPSRLW $BLO, Y10, Y10 \
	VPAND 64(SP), Y10, Y10 \
	VPSLLW $4, Y10, Y10 \
	VPOR Y10, Y3, Y3 \
	VMOVDQU 32(SP), Y10 \
	VPSRLW $BHI, Y10, Y10 \
	VPAND 64(SP), Y10, Y10 \
	VPSLLW $4, Y10, Y10 \
	VPOR Y10, Y4, Y4 \
	KMULPAIRX4(AOFF, SL, SH)



// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv0() (eax, edx uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// REDUCE sums the 8 lanes of Y register ACC (using X15) into float at OFF(DI).
#define REDUCE(ACC, XACC, OFF) \
	VEXTRACTF128 $1, ACC, X15 \
	VADDPS X15, XACC, XACC \
	VHADDPS XACC, XACC, XACC \
	VHADDPS XACC, XACC, XACC \
	MOVSS XACC, OFF(DI)

// func dot3x4AVX2(s *[12]float32, x0, x1, x2, w0, w1, w2, w3 *float32, n int)
// s[4*r+k] = Σ_{i<n} x_r[i]·w_k[i]; n must be a multiple of 8.
// Registers: Y0-Y11 accumulators (row r, weight k -> Y(4r+k)),
// Y12-Y14 the three input rows, Y15 the current weight row.
TEXT ·dot3x4AVX2(SB), NOSPLIT, $0-72
	MOVQ x0+8(FP), SI
	MOVQ x1+16(FP), R8
	MOVQ x2+24(FP), R9
	MOVQ w0+32(FP), R10
	MOVQ w1+40(FP), R11
	MOVQ w2+48(FP), R12
	MOVQ w3+56(FP), R13
	MOVQ n+64(FP), CX
	SHLQ $2, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	XORQ BX, BX

loop3x4:
	CMPQ BX, CX
	JGE done3x4
	VMOVUPS (SI)(BX*1), Y12
	VMOVUPS (R8)(BX*1), Y13
	VMOVUPS (R9)(BX*1), Y14
	VMOVUPS (R10)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y0
	VFMADD231PS Y15, Y13, Y4
	VFMADD231PS Y15, Y14, Y8
	VMOVUPS (R11)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y1
	VFMADD231PS Y15, Y13, Y5
	VFMADD231PS Y15, Y14, Y9
	VMOVUPS (R12)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y2
	VFMADD231PS Y15, Y13, Y6
	VFMADD231PS Y15, Y14, Y10
	VMOVUPS (R13)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y3
	VFMADD231PS Y15, Y13, Y7
	VFMADD231PS Y15, Y14, Y11
	ADDQ $32, BX
	JMP loop3x4

done3x4:
	MOVQ s+0(FP), DI
	REDUCE(Y0, X0, 0)
	REDUCE(Y1, X1, 4)
	REDUCE(Y2, X2, 8)
	REDUCE(Y3, X3, 12)
	REDUCE(Y4, X4, 16)
	REDUCE(Y5, X5, 20)
	REDUCE(Y6, X6, 24)
	REDUCE(Y7, X7, 28)
	REDUCE(Y8, X8, 32)
	REDUCE(Y9, X9, 36)
	REDUCE(Y10, X10, 40)
	REDUCE(Y11, X11, 44)
	VZEROUPPER
	RET

// func dot1x4AVX2(s *[4]float32, x, w0, w1, w2, w3 *float32, n int)
// s[k] = Σ_{i<n} x[i]·w_k[i]; n must be a multiple of 16. Two sets of
// accumulators (Y0-Y3, Y4-Y7) keep eight FMA chains in flight.
TEXT ·dot1x4AVX2(SB), NOSPLIT, $0-56
	MOVQ x+8(FP), SI
	MOVQ w0+16(FP), R10
	MOVQ w1+24(FP), R11
	MOVQ w2+32(FP), R12
	MOVQ w3+40(FP), R13
	MOVQ n+48(FP), CX
	SHLQ $2, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ BX, BX

loop1x4:
	CMPQ BX, CX
	JGE done1x4
	VMOVUPS (SI)(BX*1), Y8
	VMOVUPS 32(SI)(BX*1), Y9
	VFMADD231PS (R10)(BX*1), Y8, Y0
	VFMADD231PS 32(R10)(BX*1), Y9, Y4
	VFMADD231PS (R11)(BX*1), Y8, Y1
	VFMADD231PS 32(R11)(BX*1), Y9, Y5
	VFMADD231PS (R12)(BX*1), Y8, Y2
	VFMADD231PS 32(R12)(BX*1), Y9, Y6
	VFMADD231PS (R13)(BX*1), Y8, Y3
	VFMADD231PS 32(R13)(BX*1), Y9, Y7
	ADDQ $64, BX
	JMP loop1x4

done1x4:
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	MOVQ s+0(FP), DI
	REDUCE(Y0, X0, 0)
	REDUCE(Y1, X1, 4)
	REDUCE(Y2, X2, 8)
	REDUCE(Y3, X3, 12)
	VZEROUPPER
	RET

// Quantized block dot products (ggml's AVX2 scheme): per 32-value block,
// |w| (unsigned) times a·sign(w) (signed) in VPMADDUBSW pairs, summed to
// int32 by VPMADDWD with ones, converted to float and multiplied by the
// product of the two f16 scales (F16C), accumulated in 8 lanes.

// func dotQ8_0AVX2(w, a *byte, nb int) float32
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	MOVL $0x00010001, AX
	VMOVD AX, X7
	VPBROADCASTD X7, Y7
q8loop:
	TESTQ CX, CX
	JZ q8done
	MOVWLZX (SI), AX
	MOVWLZX (DI), BX
	VMOVD AX, X1
	VCVTPH2PS X1, X1
	VMOVD BX, X2
	VCVTPH2PS X2, X2
	VMULSS X2, X1, X1
	VBROADCASTSS X1, Y1
	VMOVDQU 2(SI), Y2
	VMOVDQU 2(DI), Y3
	VPSIGNB Y2, Y2, Y4
	VPSIGNB Y2, Y3, Y5
	VPMADDUBSW Y5, Y4, Y6
	VPMADDWD Y7, Y6, Y6
	VCVTDQ2PS Y6, Y6
	VFMADD231PS Y6, Y1, Y0
	ADDQ $34, SI
	ADDQ $34, DI
	DECQ CX
	JMP q8loop
q8done:
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotQ4_0AVX2(w, a *byte, nb int) float32
TEXT ·dotQ4_0AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	MOVL $0x00010001, AX
	VMOVD AX, X7
	VPBROADCASTD X7, Y7
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	MOVL $0x08080808, AX
	VMOVD AX, X9
	VPBROADCASTD X9, Y9
q4loop:
	TESTQ CX, CX
	JZ q4done
	MOVWLZX (SI), AX
	MOVWLZX (DI), BX
	VMOVD AX, X1
	VCVTPH2PS X1, X1
	VMOVD BX, X2
	VCVTPH2PS X2, X2
	VMULSS X2, X1, X1
	VBROADCASTSS X1, Y1
	VMOVDQU 2(SI), X2
	VPSRLW $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND Y8, Y2, Y2
	VPSUBB Y9, Y2, Y2
	VMOVDQU 2(DI), Y3
	VPSIGNB Y2, Y2, Y4
	VPSIGNB Y2, Y3, Y5
	VPMADDUBSW Y5, Y4, Y6
	VPMADDWD Y7, Y6, Y6
	VCVTDQ2PS Y6, Y6
	VFMADD231PS Y6, Y1, Y0
	ADDQ $18, SI
	ADDQ $34, DI
	DECQ CX
	JMP q4loop
q4done:
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotAVX2(a, b *float32, n int) float32 (n a multiple of 8)
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
dot16:
	CMPQ CX, $16
	JL dot8
	VMOVUPS (SI), Y2
	VFMADD231PS (DI), Y2, Y0
	VMOVUPS 32(SI), Y3
	VFMADD231PS 32(DI), Y3, Y1
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP dot16
dot8:
	CMPQ CX, $8
	JL dotdone
	VMOVUPS (SI), Y2
	VFMADD231PS (DI), Y2, Y0
dotdone:
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// HSUMI4(X, T): X[0] = the sum of X's four int32s (exact); T is scratch.
#define HSUMI4(X, T) \
	VPSHUFD $0x4e, X, T \
	VPADDD T, X, X \
	VPSHUFD $0xb1, X, T \
	VPADDD T, X, X

// HSUM4(X, T): X[0] = (X[0]+X[2]) + (X[1]+X[3]), as ggml's
// _mm_movehl_ps and _mm_movehdup_ps sum; T is scratch.
#define HSUM4(X, T) \
	VMOVHLPS X, X, T \
	VADDPS T, X, X \
	VMOVSHDUP X, T \
	VADDSS T, X, X

// KSCALES(X, Y): a Q4_K/Q5_K block's 6-bit scales and mins (at 4(SI))
// unpacked with ggml's masks (its utmp in ggml_vec_dot_q4_K_q8_K) to 8
// scales then 8 mins, int16, in Y; the scales also to 0(SP) for
// broadcasting. Uses R8-R11, AX and BX.
#define KSCALES(X, Y) \
	MOVL 4(SI), R8 \
	MOVL 8(SI), R9 \
	MOVL 12(SI), R10 \
	MOVL R10, R11 \
	SHRL $4, R11 \
	ANDL $0x0f0f0f0f, R11 \
	MOVL R9, AX \
	SHRL $6, AX \
	ANDL $0x03030303, AX \
	SHLL $4, AX \
	ORL AX, R11 \
	MOVL R9, BX \
	ANDL $0x3f3f3f3f, BX \
	MOVL R10, R9 \
	ANDL $0x0f0f0f0f, R9 \
	MOVL R8, AX \
	SHRL $6, AX \
	ANDL $0x03030303, AX \
	SHLL $4, AX \
	ORL AX, R9 \
	MOVL BX, R10 \
	ANDL $0x3f3f3f3f, R8 \
	SHLQ $32, R9 \
	ORQ R9, R8 \
	SHLQ $32, R11 \
	ORQ R11, R10 \
	VMOVQ R8, X \
	VPINSRQ $1, R10, X, X \
	VPMOVZXBW X, Y \
	VMOVDQU X, 0(SP)

// KSCALE1: for one activation row, the block's d = f16(w.d)·a.d (X13,
// Y13) and dmin = f16(w.dmin)·a.d (X14), and in X4 the pairs' min sums:
// lane k is Σ m_j·(bsums[2j] + bsums[2j+1]) over sub-blocks 2k and 2k+1
// (Y1: the unpacked scales and mins).
#define KSCALE1 \
	MOVWLZX (SI), AX \
	VMOVD AX, X13 \
	VCVTPH2PS X13, X13 \
	VMULSS (DI), X13, X13 \
	VBROADCASTSS X13, Y13 \
	MOVWLZX 2(SI), AX \
	VMOVD AX, X14 \
	VCVTPH2PS X14, X14 \
	VMULSS (DI), X14, X14 \
	VBROADCASTSS X14, X14 \
	VMOVDQU 260(DI), Y2 \
	VEXTRACTI128 $1, Y2, X3 \
	VPHADDW X3, X2, X3 \
	VEXTRACTI128 $1, Y1, X4 \
	VPMADDWD X3, X4, X4

// KMINPAIRS1: X10 += the four pairs' min sums (X4) · dmin (X14), one
// pair at a time (ggml's gemm rounding).
#define KMINPAIRS1 \
	VCVTDQ2PS X4, X4 \
	VFMADD231SS X4, X14, X10 \
	VMOVSHDUP X4, X5 \
	VFMADD231SS X5, X14, X10 \
	VMOVHLPS X4, X4, X5 \
	VFMADD231SS X5, X14, X10 \
	VPSHUFD $0xff, X4, X5 \
	VFMADD231SS X5, X14, X10

// KSCALEX4: for four activation rows (DI, DI+R12, DI+2·R12, DI+R13), each
// row's d (X13) and dmin (X14) in its lane, and X1 += their min sums, the
// rows' four pair sums transposed to one vector a pair (X15: the block's
// mins as int16).
#define KSCALEX4 \
	VMOVSS 0(DI), X5 \
	VINSERTPS $0x10, 0(DI)(R12*1), X5, X5 \
	VINSERTPS $0x20, 0(DI)(R12*2), X5, X5 \
	VINSERTPS $0x30, 0(DI)(R13*1), X5, X5 \
	MOVWLZX (SI), AX \
	VMOVD AX, X13 \
	VCVTPH2PS X13, X13 \
	VBROADCASTSS X13, X13 \
	VMULPS X5, X13, X13 \
	MOVWLZX 2(SI), AX \
	VMOVD AX, X14 \
	VCVTPH2PS X14, X14 \
	VBROADCASTSS X14, X14 \
	VMULPS X5, X14, X14 \
	Q4KMINSX((DX*1), X2) \
	Q4KMINSX((R12*1), X3) \
	Q4KMINSX((R12*2), X4) \
	Q4KMINSX((R13*1), X5) \
	VPUNPCKLDQ X3, X2, X6 \
	VPUNPCKLDQ X5, X4, X7 \
	VPUNPCKHDQ X3, X2, X9 \
	VPUNPCKHDQ X5, X4, X10 \
	VPUNPCKLQDQ X7, X6, X2 \
	VPUNPCKHQDQ X7, X6, X3 \
	VPUNPCKLQDQ X10, X9, X4 \
	VPUNPCKHQDQ X10, X9, X5 \
	VCVTDQ2PS X2, X2 \
	VFMADD231PS X14, X2, X1 \
	VCVTDQ2PS X3, X3 \
	VFMADD231PS X14, X3, X1 \
	VCVTDQ2PS X4, X4 \
	VFMADD231PS X14, X4, X1 \
	VCVTDQ2PS X5, X5 \
	VFMADD231PS X14, X5, X1

// KMULPAIR(AOFF, SL, SH): Y9 += scale(SL)·(the low quants in Y3 · 32
// activations at AOFF(DI)) + scale(SH)·(the high quants in Y4 · the next
// 32).
#define KMULPAIR(AOFF, SL, SH) \
	VMOVDQU AOFF(DI), Y5 \
	VPMADDUBSW Y5, Y3, Y5 \
	VPBROADCASTW SL(SP), Y6 \
	VPMADDWD Y6, Y5, Y5 \
	VMOVDQU AOFF+32(DI), Y7 \
	VPMADDUBSW Y7, Y4, Y7 \
	VPBROADCASTW SH(SP), Y6 \
	VPMADDWD Y6, Y7, Y7 \
	VPADDD Y5, Y9, Y9 \
	VPADDD Y7, Y9, Y9

// KMULPAIRX4(AOFF, SL, SH): X0 += the pair of sub-blocks in Y3/Y4 (scales
// at SL(SP) and SH(SP)) against the four rows, reduced to one vector of
// four sums and met with the rows' d (X13).
#define KMULPAIRX4(AOFF, SL, SH) \
	VPBROADCASTW SL(SP), Y6 \
	VPBROADCASTW SH(SP), Y12 \
	Q4KROW(AOFF, (DX*1), Y2) \
	Q4KROW(AOFF, (R12*1), Y5) \
	Q4KROW(AOFF, (R12*2), Y7) \
	Q4KROW(AOFF, (R13*1), Y9) \
	VPHADDD Y5, Y2, Y2 \
	VPHADDD Y9, Y7, Y7 \
	VPHADDD Y7, Y2, Y2 \
	VEXTRACTI128 $1, Y2, X10 \
	VPADDD X10, X2, X2 \
	VCVTDQ2PS X2, X2 \
	VFMADD231PS X13, X2, X0

// Q4KPAIR(QOFF, AOFF, SL, SH): Y9 += scale(SL)·(low nibbles at QOFF(SI) ·
// 32 activations at AOFF(DI)) + scale(SH)·(high nibbles · the next 32).
#define Q4KPAIR(QOFF, AOFF, SL, SH) \
	VMOVDQU QOFF(SI), Y2 \
	VPAND Y8, Y2, Y3 \
	VPSRLW $4, Y2, Y4 \
	VPAND Y8, Y4, Y4 \
	KMULPAIR(AOFF, SL, SH)

// Q4KACC: X0 += float(Σ Y9's int32s) · d (X13).
#define Q4KACC \
	VEXTRACTI128 $1, Y9, X5 \
	VPADDD X5, X9, X9 \
	HSUMI4(X9, X5) \
	VCVTDQ2PS X9, X9 \
	VFMADD231SS X9, X13, X0

// func dotQ4_KAVX2(w, a *byte, nb, pairwise int) float32
// One Q4_K weight row against one Q8_K activation row, ggml's way: per
// 256-element block the 6-bit scales and mins are unpacked with integer
// masks, the mins meet the activation group sums (bsums), and each pair of
// sub-blocks is one 32-byte load of nibbles split low/high, multiplied
// with VPMADDUBSW and scaled with VPMADDWD by the sub-block's scale
// broadcast from the stack. The integer sums are exact; they meet the
// float scales once a block, or once a pair of sub-blocks when pairwise
// is set, which are the roundings of llama.cpp's Q4_K gemv (decode) and
// gemm (prompt) kernels. Registers: X0 scale accumulator, X10 min
// accumulator, Y8 nibble mask, Y9 int32 sums.
TEXT ·dotQ4_KAVX2(SB), NOSPLIT, $16-36
	MOVQ w+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ pairwise+24(FP), DX
	VXORPS Y0, Y0, Y0
	VXORPS X10, X10, X10
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
q4kloop:
	TESTQ CX, CX
	JZ q4kdone
	KSCALES(X1, Y1)
	KSCALE1
	TESTQ DX, DX
	JNZ q4kpairs
	// Per block (ggml's gemv): one scaled sum of each kind a block.
	HSUMI4(X4, X5)
	VCVTDQ2PS X4, X4
	VFMADD231SS X4, X14, X10
	VPXOR Y9, Y9, Y9
	Q4KPAIR(16, 4, 0, 2)
	Q4KPAIR(48, 68, 4, 6)
	Q4KPAIR(80, 132, 8, 10)
	Q4KPAIR(112, 196, 12, 14)
	Q4KACC
	JMP q4knext
q4kpairs:
	// Per pair of sub-blocks (ggml's gemm): one scaled sum each.
	KMINPAIRS1
	VPXOR Y9, Y9, Y9
	Q4KPAIR(16, 4, 0, 2)
	Q4KACC
	VPXOR Y9, Y9, Y9
	Q4KPAIR(48, 68, 4, 6)
	Q4KACC
	VPXOR Y9, Y9, Y9
	Q4KPAIR(80, 132, 8, 10)
	Q4KACC
	VPXOR Y9, Y9, Y9
	Q4KPAIR(112, 196, 12, 14)
	Q4KACC
q4knext:
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JMP q4kloop
q4kdone:
	VSUBSS X10, X0, X0
	MOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// Q6KGROUP(Q, AOFF, SLO, SHI): Y9 += the 32 6-bit quants in Q (minus 32)
// · the 32 activations at AOFF(DI), the first 16 scaled by the int16 at
// SLO(SP), the last 16 by the one at SHI(SP). q·a - 32·a stays in int16
// (at most 2·63·127 and 2·32·128), as in ggml.
#define Q6KGROUP(Q, AOFF, SLO, SHI) \
	VMOVDQU AOFF(DI), Y5 \
	VPMADDUBSW Y5, Q, Y6 \
	VPMADDUBSW Y5, Y11, Y7 \
	VPSUBW Y7, Y6, Y6 \
	VPBROADCASTW SLO(SP), X12 \
	VPBROADCASTW SHI(SP), X14 \
	VINSERTI128 $1, X14, Y12, Y12 \
	VPMADDWD Y12, Y6, Y6 \
	VPADDD Y6, Y9, Y9

// Q6KHALFA(QL, QH, A, G): the first two groups of one 128-element half of
// a Q6_K block: low nibbles at QL(SI), high bit pairs at QH(SI),
// activations at A(DI), its eight scales at G(SP).
#define Q6KHALFA(QL, QH, A, G) \
	Q6KLOAD(QL, QH) \
	Q6KQ0 \
	Q6KGROUP(Y15, A, G, G+2) \
	Q6KQ1 \
	Q6KGROUP(Y15, A+32, G+4, G+6)

// Q6KHALFB: the half's last two groups (Y1-Y3 still loaded by Q6KHALFA).
#define Q6KHALFB(QL, QH, A, G) \
	Q6KQ2 \
	Q6KGROUP(Y15, A+64, G+8, G+10) \
	Q6KQ3 \
	Q6KGROUP(Y15, A+96, G+12, G+14)

// Q6KHALF(QL, QH, A, G): a whole half.
#define Q6KHALF(QL, QH, A, G) \
	Q6KHALFA(QL, QH, A, G) \
	Q6KHALFB(QL, QH, A, G)

// Q6KPACC: X0 += float(Σ Y9's int32s) · d (X13), Y9 cleared: the rounding
// of llama.cpp's Q6_K gemm, once per 64 elements.
#define Q6KPACC \
	VEXTRACTI128 $1, Y9, X5 \
	VPADDD X5, X9, X9 \
	HSUMI4(X9, X5) \
	VCVTDQ2PS X9, X9 \
	VFMADD231SS X9, X13, X0 \
	VPXOR Y9, Y9, Y9

// func dotQ6_KAVX2(w, a *byte, nb int) float32
// One Q6_K weight row against one Q8_K activation row, as ggml's AVX2
// ggml_vec_dot_q6_K_q8_K: the 6-bit quants are rebuilt from nibbles and
// bit pairs, the 16 int8 scales widened to int16 on the stack. Registers:
// Y0 accumulator, Y8 nibble mask, Y10 bit-pair mask, Y11 32s, Y9 block
// int32 sums, Y13 the block's scale.
TEXT ·dotQ6_KAVX2(SB), NOSPLIT, $32-36
	MOVQ w+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ pairwise+24(FP), DX
	VXORPS Y0, Y0, Y0
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	MOVL $0x03030303, AX
	VMOVD AX, X10
	VPBROADCASTD X10, Y10
	MOVL $0x20202020, AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11
q6kloop:
	TESTQ CX, CX
	JZ q6kdone
	VPMOVSXBW 192(SI), Y1
	VMOVDQU Y1, 0(SP)
	MOVWLZX 208(SI), AX
	VMOVD AX, X13
	VCVTPH2PS X13, X13
	VMULSS (DI), X13, X13
	VBROADCASTSS X13, Y13
	VPXOR Y9, Y9, Y9
	TESTQ DX, DX
	JNZ q6kpairs
	// Per block (ggml's vec_dot): eight lanes of sums.
	Q6KHALF(0, 128, 4, 0)
	Q6KHALF(64, 160, 132, 16)
	VCVTDQ2PS Y9, Y9
	VFMADD231PS Y9, Y13, Y0
	JMP q6knext
q6kpairs:
	// Per 64 elements (ggml's Q6_K gemm): one scaled sum each.
	Q6KHALFA(0, 128, 4, 0)
	Q6KPACC
	Q6KHALFB(0, 128, 4, 0)
	Q6KPACC
	Q6KHALFA(64, 160, 132, 16)
	Q6KPACC
	Q6KHALFB(64, 160, 132, 16)
	Q6KPACC
q6knext:
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JMP q6kloop
q6kdone:
	VEXTRACTF128 $1, Y0, X1
	VADDPS X0, X1, X0
	HSUM4(X0, X1)
	MOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// dotQ4_Kx4AVX2 keeps the four activation rows in the lanes of X
// registers: X0 the scale accumulators, X1 the min accumulators, X13 and
// X14 each row's d and dmin for the block. Each pair of sub-blocks gives
// four int32 vectors (one a row), reduced to one vector of four sums with
// VPHADDD and met with the scales by one VFMADD231PS: lane for lane the
// rounding of dotQ4_KAVX2's pairwise mode.

// Q4KROW(AOFF, IDX, P): P = the 8 int32 partial sums of the pair of
// sub-blocks in Y3/Y4 (scaled by Y6/Y12) with the row at DI plus IDX.
#define Q4KROW(AOFF, IDX, P) \
	VMOVDQU AOFF(DI)IDX, P \
	VPMADDUBSW P, Y3, P \
	VPMADDWD Y6, P, P \
	VMOVDQU AOFF+32(DI)IDX, Y10 \
	VPMADDUBSW Y10, Y4, Y10 \
	VPMADDWD Y12, Y10, Y10 \
	VPADDD Y10, P, P

// Q4KPAIRX4(QOFF, AOFF, SL, SH): one pair of sub-blocks (nibbles at
// QOFF(SI), scales at SL(SP) and SH(SP)) against the four rows.
#define Q4KPAIRX4(QOFF, AOFF, SL, SH) \
	VMOVDQU QOFF(SI), Y2 \
	VPAND Y8, Y2, Y3 \
	VPSRLW $4, Y2, Y4 \
	VPAND Y8, Y4, Y4 \
	KMULPAIRX4(AOFF, SL, SH)

// Q4KMINSX(IDX, R): R = the four pairs' min sums (int32) of the row at DI
// plus IDX (X15: the block's mins as int16).
#define Q4KMINSX(IDX, R) \
	VMOVDQU 260(DI)IDX, Y10 \
	VEXTRACTI128 $1, Y10, X11 \
	VPHADDW X11, X10, X10 \
	VPMADDWD X10, X15, R

// func dotQ4_Kx4AVX2(out *[4]float32, w, a *byte, astride, nb int)
// One Q4_K weight row against four Q8_K activation rows (a, a+astride,
// ...): the scale unpacking and nibble split are done once for the four,
// with the pairwise rounding of dotQ4_KAVX2. Stack: the scales (int16).
TEXT ·dotQ4_Kx4AVX2(SB), NOSPLIT, $16-40
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), DI
	MOVQ astride+24(FP), R12
	MOVQ nb+32(FP), CX
	LEAQ (R12)(R12*2), R13
	XORQ DX, DX
	VXORPS X0, X0, X0
	VXORPS X1, X1, X1
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
q4kx4loop:
	TESTQ CX, CX
	JZ q4kx4done
	KSCALES(X9, Y9)
	VEXTRACTI128 $1, Y9, X15
	KSCALEX4
	Q4KPAIRX4(16, 4, 0, 2)
	Q4KPAIRX4(48, 68, 4, 6)
	Q4KPAIRX4(80, 132, 8, 10)
	Q4KPAIRX4(112, 196, 12, 14)
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JMP q4kx4loop
q4kx4done:
	MOVQ out+0(FP), AX
	VSUBPS X1, X0, X0
	VMOVUPS X0, (AX)
	VZEROUPPER
	RET

// func dotQ6_Kx4AVX2(out *[4]float32, w, a *byte, astride, nb int)
// One Q6_K weight row against four Q8_K activation rows, with DotQ6_K's
// pairwise rounding. Stack: 0 the scales (int16), 32 the rows'
// accumulators, 48 the rows' scales for the block.
TEXT ·dotQ6_Kx4AVX2(SB), NOSPLIT, $64-40
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), DI
	MOVQ astride+24(FP), R12
	MOVQ nb+32(FP), CX
	LEAQ (R12)(R12*2), R13
	XORQ DX, DX
	VXORPS X0, X0, X0
	VMOVUPS X0, 32(SP)
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	MOVL $0x03030303, AX
	VMOVD AX, X10
	VPBROADCASTD X10, Y10
	MOVL $0x20202020, AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11
q6kx4loop:
	TESTQ CX, CX
	JZ q6kx4done
	VPMOVSXBW 192(SI), Y1
	VMOVDQU Y1, 0(SP)
	// The rows' scales: f16(w.d)·a.d.
	VMOVSS 0(DI), X1
	VINSERTPS $0x10, 0(DI)(R12*1), X1, X1
	VINSERTPS $0x20, 0(DI)(R12*2), X1, X1
	VINSERTPS $0x30, 0(DI)(R13*1), X1, X1
	MOVWLZX 208(SI), AX
	VMOVD AX, X2
	VCVTPH2PS X2, X2
	VBROADCASTSS X2, X2
	VMULPS X1, X2, X2
	VMOVUPS X2, 48(SP)
	VPXOR Y0, Y0, Y0
	VPXOR Y9, Y9, Y9
	VPXOR Y13, Y13, Y13
	VPXOR Y14, Y14, Y14
	Q6KHALFAX4(0, 128, 4, 0)
	Q6KPACCX4
	Q6KHALFBX4(0, 128, 4, 0)
	Q6KPACCX4
	Q6KHALFAX4(64, 160, 132, 16)
	Q6KPACCX4
	Q6KHALFBX4(64, 160, 132, 16)
	Q6KPACCX4
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JMP q6kx4loop
q6kx4done:
	MOVQ out+0(FP), AX
	VMOVUPS 32(SP), X0
	VMOVUPS X0, (AX)
	VZEROUPPER
	RET

// Q5KPAIR(QOFF, AOFF, SL, SH, BLO, BHI): Q4KPAIR for Q5_K: the nibbles at
// QOFF(SI) gain their fifth bits, bit BLO (low nibbles) and BHI (high) of
// each byte of Y15.
#define Q5KPAIR(QOFF, AOFF, SL, SH, BLO, BHI) \
	VMOVDQU QOFF(SI), Y2 \
	VPAND Y8, Y2, Y3 \
	VPSRLW $4, Y2, Y4 \
	VPAND Y8, Y4, Y4 \
	VPSRLW $BLO, Y15, Y5 \
	VPAND Y11, Y5, Y5 \
	VPSLLW $4, Y5, Y5 \
	VPOR Y5, Y3, Y3 \
	VPSRLW $BHI, Y15, Y5 \
	VPAND Y11, Y5, Y5 \
	VPSLLW $4, Y5, Y5 \
	VPOR Y5, Y4, Y4 \
	KMULPAIR(AOFF, SL, SH)

// func dotQ5_KAVX2(w, a *byte, nb, pairwise int) float32
// dotQ4_KAVX2 for Q5_K blocks (Y11: 0x01 bytes).
TEXT ·dotQ5_KAVX2(SB), NOSPLIT, $16-36
	MOVQ w+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ pairwise+24(FP), DX
	VXORPS Y0, Y0, Y0
	VXORPS X10, X10, X10
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	MOVL $0x01010101, AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11
q5kloop:
	TESTQ CX, CX
	JZ q5kdone
	KSCALES(X1, Y1)
	VMOVDQU 16(SI), Y15       // the fifth bits
	KSCALE1
	TESTQ DX, DX
	JNZ q5kpairs
	// Per block (ggml's gemv): one scaled sum of each kind a block.
	HSUMI4(X4, X5)
	VCVTDQ2PS X4, X4
	VFMADD231SS X4, X14, X10
	VPXOR Y9, Y9, Y9
	Q5KPAIR(48, 4, 0, 2, 0, 1)
	Q5KPAIR(80, 68, 4, 6, 2, 3)
	Q5KPAIR(112, 132, 8, 10, 4, 5)
	Q5KPAIR(144, 196, 12, 14, 6, 7)
	Q4KACC
	JMP q5knext
q5kpairs:
	// Per pair of sub-blocks (ggml's gemm): one scaled sum each.
	KMINPAIRS1
	VPXOR Y9, Y9, Y9
	Q5KPAIR(48, 4, 0, 2, 0, 1)
	Q4KACC
	VPXOR Y9, Y9, Y9
	Q5KPAIR(80, 68, 4, 6, 2, 3)
	Q4KACC
	VPXOR Y9, Y9, Y9
	Q5KPAIR(112, 132, 8, 10, 4, 5)
	Q4KACC
	VPXOR Y9, Y9, Y9
	Q5KPAIR(144, 196, 12, 14, 6, 7)
	Q4KACC
q5knext:
	ADDQ $176, SI
	ADDQ $292, DI
	DECQ CX
	JMP q5kloop
q5kdone:
	VSUBSS X10, X0, X0
	MOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func dotQ5_Kx4AVX2(out *[4]float32, w, a *byte, astride, nb int)
// dotQ4_Kx4AVX2 for Q5_K blocks.
TEXT ·dotQ5_Kx4AVX2(SB), NOSPLIT, $96-40
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), DI
	MOVQ astride+24(FP), R12
	MOVQ nb+32(FP), CX
	LEAQ (R12)(R12*2), R13
	XORQ DX, DX
	VXORPS X0, X0, X0
	VXORPS X1, X1, X1
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	MOVL $0x01010101, AX
	VMOVD AX, X10
	VPBROADCASTD X10, Y10
	VMOVDQU Y10, 64(SP)
q5kx4loop:
	TESTQ CX, CX
	JZ q5kx4done
	KSCALES(X9, Y9)
	VEXTRACTI128 $1, Y9, X15
	VMOVDQU 16(SI), Y10
	VMOVDQU Y10, 32(SP)
	KSCALEX4
	Q5KPAIRX4(48, 4, 0, 2, 0, 1)
	Q5KPAIRX4(80, 68, 4, 6, 2, 3)
	Q5KPAIRX4(112, 132, 8, 10, 4, 5)
	Q5KPAIRX4(144, 196, 12, 14, 6, 7)
	ADDQ $176, SI
	ADDQ $292, DI
	DECQ CX
	JMP q5kx4loop
q5kx4done:
	MOVQ out+0(FP), AX
	VSUBPS X1, X0, X0
	VMOVUPS X0, (AX)
	VZEROUPPER
	RET

// REDUCE512(ACC, YACC, XACC, OFF) sums the 16 lanes of Z register ACC
// into the float at OFF(DI): the upper half onto the lower, then as
// REDUCE (Y15 scratch).
#define REDUCE512(ACC, YACC, XACC, OFF) \
	VEXTRACTF64X4 $1, ACC, Y15 \
	VADDPS Y15, YACC, YACC \
	REDUCE(YACC, XACC, OFF)

// func dot3x4AVX512(s *[12]float32, x0, x1, x2, w0, w1, w2, w3 *float32, n int)
// dot3x4AVX2 with 512-bit vectors; n must be a multiple of 16.
TEXT ·dot3x4AVX512(SB), NOSPLIT, $0-72
	MOVQ x0+8(FP), SI
	MOVQ x1+16(FP), R8
	MOVQ x2+24(FP), R9
	MOVQ w0+32(FP), R10
	MOVQ w1+40(FP), R11
	MOVQ w2+48(FP), R12
	MOVQ w3+56(FP), R13
	MOVQ n+64(FP), CX
	SHLQ $2, CX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	XORQ BX, BX

loop3x4z:
	CMPQ BX, CX
	JGE done3x4z
	VMOVUPS (SI)(BX*1), Z12
	VMOVUPS (R8)(BX*1), Z13
	VMOVUPS (R9)(BX*1), Z14
	VMOVUPS (R10)(BX*1), Z15
	VFMADD231PS Z15, Z12, Z0
	VFMADD231PS Z15, Z13, Z4
	VFMADD231PS Z15, Z14, Z8
	VMOVUPS (R11)(BX*1), Z15
	VFMADD231PS Z15, Z12, Z1
	VFMADD231PS Z15, Z13, Z5
	VFMADD231PS Z15, Z14, Z9
	VMOVUPS (R12)(BX*1), Z15
	VFMADD231PS Z15, Z12, Z2
	VFMADD231PS Z15, Z13, Z6
	VFMADD231PS Z15, Z14, Z10
	VMOVUPS (R13)(BX*1), Z15
	VFMADD231PS Z15, Z12, Z3
	VFMADD231PS Z15, Z13, Z7
	VFMADD231PS Z15, Z14, Z11
	ADDQ $64, BX
	JMP loop3x4z

done3x4z:
	MOVQ s+0(FP), DI
	REDUCE512(Z0, Y0, X0, 0)
	REDUCE512(Z1, Y1, X1, 4)
	REDUCE512(Z2, Y2, X2, 8)
	REDUCE512(Z3, Y3, X3, 12)
	REDUCE512(Z4, Y4, X4, 16)
	REDUCE512(Z5, Y5, X5, 20)
	REDUCE512(Z6, Y6, X6, 24)
	REDUCE512(Z7, Y7, X7, 28)
	REDUCE512(Z8, Y8, X8, 32)
	REDUCE512(Z9, Y9, X9, 36)
	REDUCE512(Z10, Y10, X10, 40)
	REDUCE512(Z11, Y11, X11, 44)
	VZEROUPPER
	RET

// func dot1x4AVX512(s *[4]float32, x, w0, w1, w2, w3 *float32, n int)
// dot1x4AVX2 with 512-bit vectors; n must be a multiple of 32.
TEXT ·dot1x4AVX512(SB), NOSPLIT, $0-56
	MOVQ x+8(FP), SI
	MOVQ w0+16(FP), R10
	MOVQ w1+24(FP), R11
	MOVQ w2+32(FP), R12
	MOVQ w3+40(FP), R13
	MOVQ n+48(FP), CX
	SHLQ $2, CX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	XORQ BX, BX

loop1x4z:
	CMPQ BX, CX
	JGE done1x4z
	VMOVUPS (SI)(BX*1), Z8
	VMOVUPS 64(SI)(BX*1), Z9
	VFMADD231PS (R10)(BX*1), Z8, Z0
	VFMADD231PS 64(R10)(BX*1), Z9, Z4
	VFMADD231PS (R11)(BX*1), Z8, Z1
	VFMADD231PS 64(R11)(BX*1), Z9, Z5
	VFMADD231PS (R12)(BX*1), Z8, Z2
	VFMADD231PS 64(R12)(BX*1), Z9, Z6
	VFMADD231PS (R13)(BX*1), Z8, Z3
	VFMADD231PS 64(R13)(BX*1), Z9, Z7
	ADDQ $128, BX
	JMP loop1x4z

done1x4z:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	MOVQ s+0(FP), DI
	REDUCE512(Z0, Y0, X0, 0)
	REDUCE512(Z1, Y1, X1, 4)
	REDUCE512(Z2, Y2, X2, 8)
	REDUCE512(Z3, Y3, X3, 12)
	VZEROUPPER
	RET

// AVX-512 Q6_K: dotQ6_KAVX2's arithmetic on 512-bit vectors, two groups of
// 32 quants an instruction. Lane l of the low half sums what lane l of the
// AVX2 kernel's accumulator sums for the first group of each pair, lane l
// of the high half what it sums for the second; the halves are added
// (exact integers) before the block's float steps, which are the AVX2
// kernel's, so the result is the same bit for bit (TestQ6_KAVX512EqualsAVX2).
// The scales reach their words by one VPERMW a pair of groups and the
// scaled sums by one VPDPWSSD (AVX-512 VNNI), where AVX2 needs two
// broadcasts, an insert, a VPMADDWD and a VPADDD a group. (A four-row
// version for prompts, written the same way, was no faster than
// dotQ6_Kx4AVX2, 218 vs 213-266 ns in BenchmarkDotQ6_Kx4: folding four
// rows' lanes every 64 elements, as its rounding needs, cost what the
// wider products saved. Prompts keep the AVX2 kernel.)

// q6kperm: for each pair of groups j (0-3), the word index of each of its
// four scales (4j..4j+3) eight times: VPERMW's table for Z24's scales.
DATA q6kperm<>+0(SB)/8, $0x0000000000000000
DATA q6kperm<>+8(SB)/8, $0x0000000000000000
DATA q6kperm<>+16(SB)/8, $0x0001000100010001
DATA q6kperm<>+24(SB)/8, $0x0001000100010001
DATA q6kperm<>+32(SB)/8, $0x0002000200020002
DATA q6kperm<>+40(SB)/8, $0x0002000200020002
DATA q6kperm<>+48(SB)/8, $0x0003000300030003
DATA q6kperm<>+56(SB)/8, $0x0003000300030003
DATA q6kperm<>+64(SB)/8, $0x0004000400040004
DATA q6kperm<>+72(SB)/8, $0x0004000400040004
DATA q6kperm<>+80(SB)/8, $0x0005000500050005
DATA q6kperm<>+88(SB)/8, $0x0005000500050005
DATA q6kperm<>+96(SB)/8, $0x0006000600060006
DATA q6kperm<>+104(SB)/8, $0x0006000600060006
DATA q6kperm<>+112(SB)/8, $0x0007000700070007
DATA q6kperm<>+120(SB)/8, $0x0007000700070007
DATA q6kperm<>+128(SB)/8, $0x0008000800080008
DATA q6kperm<>+136(SB)/8, $0x0008000800080008
DATA q6kperm<>+144(SB)/8, $0x0009000900090009
DATA q6kperm<>+152(SB)/8, $0x0009000900090009
DATA q6kperm<>+160(SB)/8, $0x000a000a000a000a
DATA q6kperm<>+168(SB)/8, $0x000a000a000a000a
DATA q6kperm<>+176(SB)/8, $0x000b000b000b000b
DATA q6kperm<>+184(SB)/8, $0x000b000b000b000b
DATA q6kperm<>+192(SB)/8, $0x000c000c000c000c
DATA q6kperm<>+200(SB)/8, $0x000c000c000c000c
DATA q6kperm<>+208(SB)/8, $0x000d000d000d000d
DATA q6kperm<>+216(SB)/8, $0x000d000d000d000d
DATA q6kperm<>+224(SB)/8, $0x000e000e000e000e
DATA q6kperm<>+232(SB)/8, $0x000e000e000e000e
DATA q6kperm<>+240(SB)/8, $0x000f000f000f000f
DATA q6kperm<>+248(SB)/8, $0x000f000f000f000f
GLOBL q6kperm<>(SB), RODATA|NOPTR, $256

DATA q6kshift<>+0(SB)/8, $0x0000000000000000
DATA q6kshift<>+8(SB)/8, $0x0000000000000000
DATA q6kshift<>+16(SB)/8, $0x0000000000000000
DATA q6kshift<>+24(SB)/8, $0x0000000000000000
DATA q6kshift<>+32(SB)/8, $0x0002000200020002
DATA q6kshift<>+40(SB)/8, $0x0002000200020002
DATA q6kshift<>+48(SB)/8, $0x0002000200020002
DATA q6kshift<>+56(SB)/8, $0x0002000200020002
DATA q6kshift<>+64(SB)/8, $0x0004000400040004
DATA q6kshift<>+72(SB)/8, $0x0004000400040004
DATA q6kshift<>+80(SB)/8, $0x0004000400040004
DATA q6kshift<>+88(SB)/8, $0x0004000400040004
DATA q6kshift<>+96(SB)/8, $0x0006000600060006
DATA q6kshift<>+104(SB)/8, $0x0006000600060006
DATA q6kshift<>+112(SB)/8, $0x0006000600060006
DATA q6kshift<>+120(SB)/8, $0x0006000600060006
GLOBL q6kshift<>(SB), RODATA|NOPTR, $128

// Q6KZLOAD(QL, QH): a half's 64 bytes of low nibbles (Z1: groups 0 and 2
// in the low 32 bytes, 1 and 3 in the high) and its 32 bytes of bit pairs
// in both halves of Z3.
#define Q6KZLOAD(QL, QH) \
	VMOVDQU64 QL(SI), Z1 \
	VBROADCASTI64X4 QH(SI), Z3

// Q6KZLO: Z15 = groups 0 (low half) and 1 (high half) of the half: the
// low nibbles with bit pairs 0 and 2 (Z25 shifts the high half's words
// by 2). Q6KZHI: groups 2 and 3, high nibbles, bit pairs 4 and 6 (Z26).
#define Q6KZLO \
	VPSRLVW Z25, Z3, Z4 \
	VPANDD Z10, Z4, Z4 \
	VPSLLW $4, Z4, Z4 \
	VPANDD Z8, Z1, Z15 \
	VPORD Z4, Z15, Z15

#define Q6KZHI \
	VPSRLVW Z26, Z3, Z4 \
	VPANDD Z10, Z4, Z4 \
	VPSLLW $4, Z4, Z4 \
	VPSRLW $4, Z1, Z15 \
	VPANDD Z8, Z15, Z15 \
	VPORD Z4, Z15, Z15

// Q6KZSTEP(AOFF, PERM): Z9 += the 64 quants in Z15 less 32, times the
// activations at AOFF(DI), in pairs, times their scales (the words PERM
// picks from Z24).
#define Q6KZSTEP(AOFF, PERM) \
	VMOVDQU64 AOFF(DI), Z5 \
	VPMADDUBSW Z5, Z15, Z6 \
	VPMADDUBSW Z5, Z11, Z7 \
	VPSUBW Z7, Z6, Z6 \
	VPERMW Z24, PERM, Z12 \
	VPDPWSSD Z12, Z6, Z9

// Q6KZPACC: Q6KPACC for Z9: X0 += float(Σ its int32s) · d (X13), cleared.
#define Q6KZPACC \
	VEXTRACTI64X4 $1, Z9, Y5 \
	VPADDD Y5, Y9, Y9 \
	VEXTRACTI128 $1, Y9, X5 \
	VPADDD X5, X9, X9 \
	HSUMI4(X9, X5) \
	VCVTDQ2PS X9, X9 \
	VFMADD231SS X9, X13, X0 \
	VPXORD Z9, Z9, Z9

// func dotQ6_KAVX512(w, a *byte, nb, pairwise int) float32
// Registers: Y0 accumulator, Z8 nibble mask, Z10 bit-pair mask, Z11 32s,
// Z9 the block's int32 sums, Y13 its scale, Z24 its 16 scales (int16),
// Z20-Z23 and Z25-Z26 the tables above.
TEXT ·dotQ6_KAVX512(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ pairwise+24(FP), DX
	VXORPS Y0, Y0, Y0
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z8
	MOVL $0x03030303, AX
	VPBROADCASTD AX, Z10
	MOVL $0x20202020, AX
	VPBROADCASTD AX, Z11
	VMOVDQU64 q6kperm<>+0(SB), Z20
	VMOVDQU64 q6kperm<>+64(SB), Z21
	VMOVDQU64 q6kperm<>+128(SB), Z22
	VMOVDQU64 q6kperm<>+192(SB), Z23
	VMOVDQU64 q6kshift<>+0(SB), Z25
	VMOVDQU64 q6kshift<>+64(SB), Z26
q6kzloop:
	TESTQ CX, CX
	JZ q6kzdone
	VPMOVSXBW 192(SI), Y24
	MOVWLZX 208(SI), AX
	VMOVD AX, X13
	VCVTPH2PS X13, X13
	VMULSS (DI), X13, X13
	VBROADCASTSS X13, Y13
	VPXORD Z9, Z9, Z9
	TESTQ DX, DX
	JNZ q6kzpairs
	// Per block (ggml's vec_dot): eight lanes of sums.
	Q6KZLOAD(0, 128)
	Q6KZLO
	Q6KZSTEP(4, Z20)
	Q6KZHI
	Q6KZSTEP(68, Z21)
	Q6KZLOAD(64, 160)
	Q6KZLO
	Q6KZSTEP(132, Z22)
	Q6KZHI
	Q6KZSTEP(196, Z23)
	VEXTRACTI64X4 $1, Z9, Y5
	VPADDD Y5, Y9, Y9
	VCVTDQ2PS Y9, Y9
	VFMADD231PS Y9, Y13, Y0
	JMP q6kznext
q6kzpairs:
	// Per 64 elements (ggml's Q6_K gemm): one scaled sum each.
	Q6KZLOAD(0, 128)
	Q6KZLO
	Q6KZSTEP(4, Z20)
	Q6KZPACC
	Q6KZHI
	Q6KZSTEP(68, Z21)
	Q6KZPACC
	Q6KZLOAD(64, 160)
	Q6KZLO
	Q6KZSTEP(132, Z22)
	Q6KZPACC
	Q6KZHI
	Q6KZSTEP(196, Z23)
	Q6KZPACC
q6kznext:
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JMP q6kzloop
q6kzdone:
	VEXTRACTF128 $1, Y0, X1
	VADDPS X0, X1, X0
	HSUM4(X0, X1)
	MOVSS X0, ret+32(FP)
	VZEROUPPER
	RET
