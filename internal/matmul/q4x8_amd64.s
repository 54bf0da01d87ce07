#include "textflag.h"

// Q4_0x8 kernels (see q4x8.go): eight interleaved Q4_0 rows, one row per
// 32-bit lane. Each 32-byte chunk of nibbles gives two vectors (low and
// high nibbles, unsigned 0..15) that meet four activations broadcast to
// every lane in VPMADDUBSW; a block's eight products add up in int16
// (at most 8·2·15·128 = 30720) and VPMADDWD makes them int32. Then
// isum - 8·Σa, converted to float, times dw·da, fused into the lane's sum.

DATA q4x8ones<>+0(SB)/8, $0x0001000100010001
DATA q4x8ones<>+8(SB)/8, $0x0001000100010001
DATA q4x8ones<>+16(SB)/8, $0x0001000100010001
DATA q4x8ones<>+24(SB)/8, $0x0001000100010001
GLOBL q4x8ones<>(SB), RODATA|NOPTR, $32

DATA q4x8nibble<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q4x8nibble<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q4x8nibble<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q4x8nibble<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL q4x8nibble<>(SB), RODATA|NOPTR, $32

// Q4X8CHUNK(OFF, LO, HI): LO and HI = the low and high nibbles of the
// chunk at OFF(SI) (Y15 holds the nibble mask).
#define Q4X8CHUNK(OFF, LO, HI) \
	VMOVDQU OFF(SI), LO \
	VPSRLW $4, LO, HI \
	VPAND Y15, LO, LO \
	VPAND Y15, HI, HI

// Q4X8MUL(W, AOFF, BASE, P): P = W · the four activations at AOFF(BASE),
// in int16 pairs (Y13 scratch).
#define Q4X8MUL(W, AOFF, BASE, P) \
	VPBROADCASTD AOFF(BASE), Y13 \
	VPMADDUBSW Y13, W, P

// Q4X8ADD(W, AOFF, BASE, P): P += W · the four activations at AOFF(BASE)
// (Y13, Y14 scratch).
#define Q4X8ADD(W, AOFF, BASE, P) \
	VPBROADCASTD AOFF(BASE), Y13 \
	VPMADDUBSW Y13, W, Y14 \
	VPADDW Y14, P, P

// Q4X8FINISH(BASE, P, ACC): ACC += float(int32(P) - 8·Σa) · (Y12·da)
// for the activation block at BASE (Y13 scratch).
#define Q4X8FINISH(BASE, P, ACC) \
	VPMADDWD q4x8ones<>(SB), P, P \
	VPBROADCASTD 4(BASE), Y13 \
	VPSUBD Y13, P, P \
	VCVTDQ2PS P, P \
	VBROADCASTSS (BASE), Y13 \
	VMULPS Y13, Y12, Y13 \
	VFMADD231PS Y13, P, ACC

// func dotQ4_0x8AVX2(out *[8]float32, w, a *byte, nb int)
// Registers: Y12 row scales, Y11 sum, Y4 int16 products, Y0-Y3 nibbles.
TEXT ·dotQ4_0x8AVX2(SB), NOSPLIT, $0-32
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), DI
	MOVQ nb+24(FP), CX
	VMOVDQU q4x8nibble<>(SB), Y15
	VXORPS Y11, Y11, Y11
q4x8loop:
	VCVTPH2PS (SI), Y12
	Q4X8CHUNK(16, Y0, Y1)
	Q4X8CHUNK(48, Y2, Y3)
	Q4X8MUL(Y0, 8, DI, Y4)
	Q4X8ADD(Y1, 24, DI, Y4)
	Q4X8ADD(Y2, 12, DI, Y4)
	Q4X8ADD(Y3, 28, DI, Y4)
	Q4X8CHUNK(80, Y0, Y1)
	Q4X8CHUNK(112, Y2, Y3)
	Q4X8ADD(Y0, 16, DI, Y4)
	Q4X8ADD(Y1, 32, DI, Y4)
	Q4X8ADD(Y2, 20, DI, Y4)
	Q4X8ADD(Y3, 36, DI, Y4)
	Q4X8FINISH(DI, Y4, Y11)
	ADDQ $144, SI
	ADDQ $40, DI
	DECQ CX
	JNZ q4x8loop
	MOVQ out+0(FP), DI
	VMOVUPS Y11, (DI)
	VZEROUPPER
	RET

// func dotQ4_0x8x4AVX2(out *[32]float32, w, a *byte, astride, nb int)
// Four activation rows at DI, R8, R9, R10. Registers: Y12 row scales,
// Y8-Y11 the four rows' sums, Y4-Y7 their int16 products, Y0-Y3 nibbles
// of half a block.
TEXT ·dotQ4_0x8x4AVX2(SB), NOSPLIT, $0-40
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), DI
	MOVQ astride+24(FP), DX
	MOVQ nb+32(FP), CX
	LEAQ (DI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	VMOVDQU q4x8nibble<>(SB), Y15
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
q4x8x4loop:
	VCVTPH2PS (SI), Y12
	Q4X8CHUNK(16, Y0, Y1)
	Q4X8CHUNK(48, Y2, Y3)
	Q4X8MUL(Y0, 8, DI, Y4)
	Q4X8ADD(Y1, 24, DI, Y4)
	Q4X8ADD(Y2, 12, DI, Y4)
	Q4X8ADD(Y3, 28, DI, Y4)
	Q4X8MUL(Y0, 8, R8, Y5)
	Q4X8ADD(Y1, 24, R8, Y5)
	Q4X8ADD(Y2, 12, R8, Y5)
	Q4X8ADD(Y3, 28, R8, Y5)
	Q4X8MUL(Y0, 8, R9, Y6)
	Q4X8ADD(Y1, 24, R9, Y6)
	Q4X8ADD(Y2, 12, R9, Y6)
	Q4X8ADD(Y3, 28, R9, Y6)
	Q4X8MUL(Y0, 8, R10, Y7)
	Q4X8ADD(Y1, 24, R10, Y7)
	Q4X8ADD(Y2, 12, R10, Y7)
	Q4X8ADD(Y3, 28, R10, Y7)
	Q4X8CHUNK(80, Y0, Y1)
	Q4X8CHUNK(112, Y2, Y3)
	Q4X8ADD(Y0, 16, DI, Y4)
	Q4X8ADD(Y1, 32, DI, Y4)
	Q4X8ADD(Y2, 20, DI, Y4)
	Q4X8ADD(Y3, 36, DI, Y4)
	Q4X8ADD(Y0, 16, R8, Y5)
	Q4X8ADD(Y1, 32, R8, Y5)
	Q4X8ADD(Y2, 20, R8, Y5)
	Q4X8ADD(Y3, 36, R8, Y5)
	Q4X8ADD(Y0, 16, R9, Y6)
	Q4X8ADD(Y1, 32, R9, Y6)
	Q4X8ADD(Y2, 20, R9, Y6)
	Q4X8ADD(Y3, 36, R9, Y6)
	Q4X8ADD(Y0, 16, R10, Y7)
	Q4X8ADD(Y1, 32, R10, Y7)
	Q4X8ADD(Y2, 20, R10, Y7)
	Q4X8ADD(Y3, 36, R10, Y7)
	Q4X8FINISH(DI, Y4, Y8)
	Q4X8FINISH(R8, Y5, Y9)
	Q4X8FINISH(R9, Y6, Y10)
	Q4X8FINISH(R10, Y7, Y11)
	ADDQ $144, SI
	ADDQ $40, DI
	ADDQ $40, R8
	ADDQ $40, R9
	ADDQ $40, R10
	DECQ CX
	JNZ q4x8x4loop
	MOVQ out+0(FP), DI
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	VMOVUPS Y10, 64(DI)
	VMOVUPS Y11, 96(DI)
	VZEROUPPER
	RET
