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

// func dotQ4_0x8AVX2(out *float32, w, a *byte, nb int)
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

// func dotQ4_0x8x4AVX2(out *float32, ostride int, w, a *byte, astride, nb int)
// Four activation rows at DI, R8, R9, R10. Registers: Y12 row scales,
// Y8-Y11 the four rows' sums, Y4-Y7 their int16 products, Y0-Y3 nibbles
// of half a block.
TEXT ·dotQ4_0x8x4AVX2(SB), NOSPLIT, $0-48
	MOVQ w+16(FP), SI
	MOVQ a+24(FP), DI
	MOVQ astride+32(FP), DX
	MOVQ nb+40(FP), CX
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
	MOVQ ostride+8(FP), DX
	SHLQ $2, DX
	VMOVUPS Y8, (DI)
	ADDQ DX, DI
	VMOVUPS Y9, (DI)
	ADDQ DX, DI
	VMOVUPS Y10, (DI)
	ADDQ DX, DI
	VMOVUPS Y11, (DI)
	VZEROUPPER
	RET

DATA q8absmask<>+0(SB)/8, $0x7fffffff7fffffff
DATA q8absmask<>+8(SB)/8, $0x7fffffff7fffffff
DATA q8absmask<>+16(SB)/8, $0x7fffffff7fffffff
DATA q8absmask<>+24(SB)/8, $0x7fffffff7fffffff
GLOBL q8absmask<>(SB), RODATA|NOPTR, $32

// q8perm undoes the lane interleaving of VPACKSSDW and VPACKSSWB.
DATA q8perm<>+0(SB)/8, $0x0000000400000000
DATA q8perm<>+8(SB)/8, $0x0000000500000001
DATA q8perm<>+16(SB)/8, $0x0000000600000002
DATA q8perm<>+24(SB)/8, $0x0000000700000003
GLOBL q8perm<>(SB), RODATA|NOPTR, $32

DATA q8f127<>+0(SB)/4, $127.0
GLOBL q8f127<>(SB), RODATA|NOPTR, $4

// Q8QUANT(ZERO) quantizes the 32 floats at SI as ggml's AVX2
// quantize_row_q8_0 does: amax = max|x|; d = amax/127 through f16
// (X5: the f16 bits, X6: back as float32); q = round-to-even(x·(127/amax))
// packed to 32 int8 in Y0; X8 = 8·Σq. It jumps to ZERO when amax is 0.
// Y15 abs mask, Y14 pack order, X13 127.0.
#define Q8QUANT(ZERO) \
	VMOVUPS (SI), Y0 \
	VMOVUPS 32(SI), Y1 \
	VMOVUPS 64(SI), Y2 \
	VMOVUPS 96(SI), Y3 \
	VANDPS Y15, Y0, Y4 \
	VANDPS Y15, Y1, Y5 \
	VANDPS Y15, Y2, Y6 \
	VANDPS Y15, Y3, Y7 \
	VMAXPS Y5, Y4, Y4 \
	VMAXPS Y7, Y6, Y6 \
	VMAXPS Y6, Y4, Y4 \
	VEXTRACTF128 $1, Y4, X5 \
	VMAXPS X5, X4, X4 \
	VMOVHLPS X4, X4, X5 \
	VMAXPS X5, X4, X4 \
	VMOVSHDUP X4, X5 \
	VMAXSS X5, X4, X4 \
	VXORPS X6, X6, X6 \
	VUCOMISS X6, X4 \
	JEQ ZERO \
	VDIVSS X13, X4, X5 \
	VCVTPS2PH $0, X5, X5 \
	VCVTPH2PS X5, X6 \
	VDIVSS X4, X13, X7 \
	VBROADCASTSS X7, Y7 \
	VMULPS Y7, Y0, Y0 \
	VMULPS Y7, Y1, Y1 \
	VMULPS Y7, Y2, Y2 \
	VMULPS Y7, Y3, Y3 \
	VROUNDPS $0, Y0, Y0 \
	VROUNDPS $0, Y1, Y1 \
	VROUNDPS $0, Y2, Y2 \
	VROUNDPS $0, Y3, Y3 \
	VCVTPS2DQ Y0, Y0 \
	VCVTPS2DQ Y1, Y1 \
	VCVTPS2DQ Y2, Y2 \
	VCVTPS2DQ Y3, Y3 \
	VPADDD Y1, Y0, Y8 \
	VPADDD Y3, Y2, Y9 \
	VPADDD Y9, Y8, Y8 \
	VEXTRACTI128 $1, Y8, X9 \
	VPADDD X9, X8, X8 \
	VPSHUFD $0x4e, X8, X9 \
	VPADDD X9, X8, X8 \
	VPSHUFD $0xb1, X8, X9 \
	VPADDD X9, X8, X8 \
	VPSLLD $3, X8, X8 \
	VPACKSSDW Y1, Y0, Y0 \
	VPACKSSDW Y3, Y2, Y2 \
	VPACKSSWB Y2, Y0, Y0 \
	VPERMD Y0, Y14, Y0

// func quantizeQ8_0SAVX2(dst *byte, x *float32, nb int)
// Q8_0S blocks: float32 d, int32 8·Σq, 32 int8.
TEXT ·quantizeQ8_0SAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ nb+16(FP), CX
	VMOVUPS q8absmask<>(SB), Y15
	VMOVDQU q8perm<>(SB), Y14
	VMOVSS q8f127<>(SB), X13
q8sloop:
	Q8QUANT(q8szero)
	VMOVSS X6, (DI)
	VMOVD X8, 4(DI)
	VMOVDQU Y0, 8(DI)
	JMP q8snext
q8szero:
	VXORPS Y0, Y0, Y0
	VMOVDQU X0, (DI)
	VMOVDQU Y0, 8(DI)
q8snext:
	ADDQ $128, SI
	ADDQ $40, DI
	DECQ CX
	JNZ q8sloop
	VZEROUPPER
	RET

// func quantizeQ8_0AVX2(dst *byte, x *float32, nb int)
// Q8_0 blocks: f16 d, 32 int8.
TEXT ·quantizeQ8_0AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ nb+16(FP), CX
	VMOVUPS q8absmask<>(SB), Y15
	VMOVDQU q8perm<>(SB), Y14
	VMOVSS q8f127<>(SB), X13
q8loop:
	Q8QUANT(q8zero)
	VPEXTRW $0, X5, AX
	MOVW AX, (DI)
	VMOVDQU Y0, 2(DI)
	JMP q8next
q8zero:
	VXORPS Y0, Y0, Y0
	MOVW $0, (DI)
	VMOVDQU Y0, 2(DI)
q8next:
	ADDQ $128, SI
	ADDQ $34, DI
	DECQ CX
	JNZ q8loop
	VZEROUPPER
	RET

// Q8T4TOKEN(BASE, ACC): ACC += float(Σ w·a of the Q8_0S block at BASE) ·
// (Y13·da), with Y11 = |w|, Y10 = w (Y12, Y14 scratch).
#define Q8T4TOKEN(BASE, ACC) \
	VMOVDQU 8(BASE), Y12 \
	VPSIGNB Y10, Y12, Y12 \
	VPMADDUBSW Y12, Y11, Y12 \
	VPMADDWD q4x8ones<>(SB), Y12, Y12 \
	VCVTDQ2PS Y12, Y12 \
	VBROADCASTSS (BASE), Y14 \
	VMULPS Y13, Y14, Y14 \
	VFMADD231PS Y14, Y12, ACC

// func dotQ8_0T4AVX2(out *float32, ostride int, w, a *byte, astride, nb int)
// One Q8_0 weight row against four Q8_0S activation rows (DI, R8, R9,
// R10): each weight block is loaded and made absolute once for the four.
// Each token's sum is kept in eight lanes and added up at the end, as
// ggml's vec_dot_q8_0_q8_0 does for one. Registers: Y0-Y3 sums, Y10 w,
// Y11 |w|, Y13 dw.
TEXT ·dotQ8_0T4AVX2(SB), NOSPLIT, $0-48
	MOVQ w+16(FP), SI
	MOVQ a+24(FP), DI
	MOVQ astride+32(FP), DX
	MOVQ nb+40(FP), CX
	LEAQ (DI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
q8t4loop:
	MOVWLZX (SI), AX
	VMOVD AX, X13
	VCVTPH2PS X13, X13
	VBROADCASTSS X13, Y13
	VMOVDQU 2(SI), Y10
	VPSIGNB Y10, Y10, Y11
	Q8T4TOKEN(DI, Y0)
	Q8T4TOKEN(R8, Y1)
	Q8T4TOKEN(R9, Y2)
	Q8T4TOKEN(R10, Y3)
	ADDQ $34, SI
	ADDQ $40, DI
	ADDQ $40, R8
	ADDQ $40, R9
	ADDQ $40, R10
	DECQ CX
	JNZ q8t4loop
	MOVQ out+0(FP), DI
	MOVQ ostride+8(FP), DX
	SHLQ $2, DX
	VEXTRACTF128 $1, Y0, X4
	VADDPS X4, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, (DI)
	ADDQ DX, DI
	VEXTRACTF128 $1, Y1, X4
	VADDPS X4, X1, X1
	VHADDPS X1, X1, X1
	VHADDPS X1, X1, X1
	MOVSS X1, (DI)
	ADDQ DX, DI
	VEXTRACTF128 $1, Y2, X4
	VADDPS X4, X2, X2
	VHADDPS X2, X2, X2
	VHADDPS X2, X2, X2
	MOVSS X2, (DI)
	ADDQ DX, DI
	VEXTRACTF128 $1, Y3, X4
	VADDPS X4, X3, X3
	VHADDPS X3, X3, X3
	VHADDPS X3, X3, X3
	MOVSS X3, (DI)
	VZEROUPPER
	RET

// Q4_Kx8 decode kernel (see q4kx8.go): eight interleaved Q4_K rows, one
// row per 32-bit lane.

// Q4KX8FIRST(WOFF, ALO, AHI): Y4 and Y5 = the chunk at WOFF(SI), low
// nibbles times the four activations at ALO(DI), high nibbles times those
// at AHI(DI), in int16 pairs (Y15 nibble mask; Y0-Y2 scratch).
#define Q4KX8FIRST(WOFF, ALO, AHI) \
	VMOVDQU WOFF(SI), Y0 \
	VPSRLW $4, Y0, Y1 \
	VPAND Y15, Y0, Y0 \
	VPAND Y15, Y1, Y1 \
	VPBROADCASTD ALO(DI), Y2 \
	VPMADDUBSW Y2, Y0, Y4 \
	VPBROADCASTD AHI(DI), Y2 \
	VPMADDUBSW Y2, Y1, Y5

// Q4KX8NEXT(WOFF, ALO, AHI): Y4 and Y5 += the same for the next chunk
// (at most 8·2·15·128 = 30720 a pair after eight chunks).
#define Q4KX8NEXT(WOFF, ALO, AHI) \
	VMOVDQU WOFF(SI), Y0 \
	VPSRLW $4, Y0, Y1 \
	VPAND Y15, Y0, Y0 \
	VPAND Y15, Y1, Y1 \
	VPBROADCASTD ALO(DI), Y2 \
	VPMADDUBSW Y2, Y0, Y0 \
	VPADDW Y0, Y4, Y4 \
	VPBROADCASTD AHI(DI), Y2 \
	VPMADDUBSW Y2, Y1, Y1 \
	VPADDW Y1, Y5, Y5

// func dotQ4_Kx8AVX2(out *float32, w, a *byte, nb int)
// Registers: Y12 sums, Y11 min sums, Y14 rows' d·da, Y13 dmin·da, Y10
// int32 scaled sums of a super-block, X9 the activation's eight
// sub-block sums (int16), Y15 nibble mask.
TEXT ·dotQ4_Kx8AVX2(SB), NOSPLIT, $0-32
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), DI
	MOVQ nb+24(FP), CX
	VMOVDQU q4x8nibble<>(SB), Y15
	VXORPS Y12, Y12, Y12
	VXORPS Y11, Y11, Y11
q4kx8loop:
	VBROADCASTSS (DI), Y0
	VCVTPH2PS (SI), Y14
	VMULPS Y0, Y14, Y14
	VCVTPH2PS 16(SI), Y13
	VMULPS Y0, Y13, Y13
	// Mins: Σ m·(bsums of the sub-block), a pair of sub-blocks a VPMADDWD.
	VMOVDQU 260(DI), Y1
	VEXTRACTI128 $1, Y1, X2
	VPHADDW X2, X1, X9
	VPSHUFD $0x00, X9, X1
	VPBROADCASTD X1, Y1
	VPMOVZXBW 160(SI), Y2
	VPMADDWD Y1, Y2, Y3
	VPSHUFD $0x55, X9, X1
	VPBROADCASTD X1, Y1
	VPMOVZXBW 176(SI), Y2
	VPMADDWD Y1, Y2, Y2
	VPADDD Y2, Y3, Y3
	VPSHUFD $0xaa, X9, X1
	VPBROADCASTD X1, Y1
	VPMOVZXBW 192(SI), Y2
	VPMADDWD Y1, Y2, Y2
	VPADDD Y2, Y3, Y3
	VPSHUFD $0xff, X9, X1
	VPBROADCASTD X1, Y1
	VPMOVZXBW 208(SI), Y2
	VPMADDWD Y1, Y2, Y2
	VPADDD Y2, Y3, Y3
	VCVTDQ2PS Y3, Y3
	VFMADD231PS Y13, Y3, Y11
	// Scales: each pair of sub-blocks in int16, then scaled to int32.
	Q4KX8FIRST(224, 4, 36)
	Q4KX8NEXT(256, 8, 40)
	Q4KX8NEXT(288, 12, 44)
	Q4KX8NEXT(320, 16, 48)
	Q4KX8NEXT(352, 20, 52)
	Q4KX8NEXT(384, 24, 56)
	Q4KX8NEXT(416, 28, 60)
	Q4KX8NEXT(448, 32, 64)
	VPMOVZXBW 32(SI), Y6
	VPMADDWD Y6, Y4, Y4
	VPMOVZXBW 48(SI), Y6
	VPMADDWD Y6, Y5, Y5
	VPADDD Y5, Y4, Y10
	Q4KX8FIRST(480, 68, 100)
	Q4KX8NEXT(512, 72, 104)
	Q4KX8NEXT(544, 76, 108)
	Q4KX8NEXT(576, 80, 112)
	Q4KX8NEXT(608, 84, 116)
	Q4KX8NEXT(640, 88, 120)
	Q4KX8NEXT(672, 92, 124)
	Q4KX8NEXT(704, 96, 128)
	VPMOVZXBW 64(SI), Y6
	VPMADDWD Y6, Y4, Y4
	VPMOVZXBW 80(SI), Y6
	VPMADDWD Y6, Y5, Y5
	VPADDD Y4, Y10, Y10
	VPADDD Y5, Y10, Y10
	Q4KX8FIRST(736, 132, 164)
	Q4KX8NEXT(768, 136, 168)
	Q4KX8NEXT(800, 140, 172)
	Q4KX8NEXT(832, 144, 176)
	Q4KX8NEXT(864, 148, 180)
	Q4KX8NEXT(896, 152, 184)
	Q4KX8NEXT(928, 156, 188)
	Q4KX8NEXT(960, 160, 192)
	VPMOVZXBW 96(SI), Y6
	VPMADDWD Y6, Y4, Y4
	VPMOVZXBW 112(SI), Y6
	VPMADDWD Y6, Y5, Y5
	VPADDD Y4, Y10, Y10
	VPADDD Y5, Y10, Y10
	Q4KX8FIRST(992, 196, 228)
	Q4KX8NEXT(1024, 200, 232)
	Q4KX8NEXT(1056, 204, 236)
	Q4KX8NEXT(1088, 208, 240)
	Q4KX8NEXT(1120, 212, 244)
	Q4KX8NEXT(1152, 216, 248)
	Q4KX8NEXT(1184, 220, 252)
	Q4KX8NEXT(1216, 224, 256)
	VPMOVZXBW 128(SI), Y6
	VPMADDWD Y6, Y4, Y4
	VPMOVZXBW 144(SI), Y6
	VPMADDWD Y6, Y5, Y5
	VPADDD Y4, Y10, Y10
	VPADDD Y5, Y10, Y10
	VCVTDQ2PS Y10, Y10
	VFMADD231PS Y14, Y10, Y12
	ADDQ $1248, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q4kx8loop
	VSUBPS Y11, Y12, Y12
	MOVQ out+0(FP), DI
	VMOVUPS Y12, (DI)
	VZEROUPPER
	RET
