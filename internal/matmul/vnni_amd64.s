#include "textflag.h"

// AVX-512 VNNI versions of the interleaved Q8_0x8 and Q4_0x8 kernels
// (interleaved_amd64.s). VPDPBUSD multiplies unsigned bytes by signed
// bytes and adds each group of four products into an int32 lane: one
// instruction for what AVX2 does in VPMADDUBSW, VPMADDWD and VPADDD, and
// with the activation's four bytes broadcast from memory by the same
// instruction. The integer sums are exact either way and the float steps
// are the AVX2 kernels' own, so the results are the same bit for bit.
//
// Q4_0 nibbles are already unsigned, and a block's sum starts from the
// activation block's -8·Σa. Q8_0 weights are signed: they are offset by
// 128 (XOR 0x80) to make them unsigned, and the sum starts from -128·Σa
// (the block's -8·Σa shifted left by 4) to take off what the offset adds.
// The one-token kernels keep two int32 chains (even and odd chunks) so
// that VPDPBUSD's latency does not serialize a block; the four-token ones
// have four chains already.

DATA vnni80<>+0(SB)/8, $0x8080808080808080
DATA vnni80<>+8(SB)/8, $0x8080808080808080
DATA vnni80<>+16(SB)/8, $0x8080808080808080
DATA vnni80<>+24(SB)/8, $0x8080808080808080
GLOBL vnni80<>(SB), RODATA|NOPTR, $32

DATA vnniNibble<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA vnniNibble<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA vnniNibble<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA vnniNibble<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL vnniNibble<>(SB), RODATA|NOPTR, $32

// VQ8START(BASE, ACC): ACC = -128·Σa of the activation block at BASE.
#define VQ8START(BASE, ACC) \
	VPBROADCASTD 4(BASE), ACC \
	VPSLLD $4, ACC, ACC

// VQ4START(BASE, ACC): ACC = -8·Σa.
#define VQ4START(BASE, ACC) \
	VPBROADCASTD 4(BASE), ACC

// VFINISH(BASE, ACC, SUM): SUM += float(ACC) · (Y12·da) for the
// activation block at BASE (Y13 scratch).
#define VFINISH(BASE, ACC, SUM) \
	VCVTDQ2PS ACC, ACC \
	VMULPS.BCST (BASE), Y12, Y13 \
	VFMADD231PS Y13, ACC, SUM

// VQ8W(OFF, W): W = the weight chunk at OFF(SI), offset to unsigned.
#define VQ8W(OFF, W) \
	VPXOR OFF(SI), Y15, W

// VQ4W(OFF, LO, HI): LO, HI = the low and high nibbles of the chunk at
// OFF(SI) (Y15 the nibble mask).
#define VQ4W(OFF, LO, HI) \
	VMOVDQU OFF(SI), LO \
	VPSRLW $4, LO, HI \
	VPAND Y15, LO, LO \
	VPAND Y15, HI, HI

// func dotQ8_0x8VNNI(out *float32, w, a *byte, nb int)
// Registers: Y12 row scales, Y11 sum, Y16/Y17 the block's int32 chains,
// Y0-Y3 weight chunks.
TEXT ·dotQ8_0x8VNNI(SB), NOSPLIT, $0-32
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), DI
	MOVQ nb+24(FP), CX
	VMOVDQU vnni80<>(SB), Y15
	VXORPS Y11, Y11, Y11
vq8x8loop:
	VCVTPH2PS (SI), Y12
	VQ8START(DI, Y16)
	VPXORD Y17, Y17, Y17
	VQ8W(16, Y0)
	VQ8W(48, Y1)
	VQ8W(80, Y2)
	VQ8W(112, Y3)
	VPDPBUSD.BCST 8(DI), Y0, Y16
	VPDPBUSD.BCST 12(DI), Y1, Y17
	VPDPBUSD.BCST 16(DI), Y2, Y16
	VPDPBUSD.BCST 20(DI), Y3, Y17
	VQ8W(144, Y0)
	VQ8W(176, Y1)
	VQ8W(208, Y2)
	VQ8W(240, Y3)
	VPDPBUSD.BCST 24(DI), Y0, Y16
	VPDPBUSD.BCST 28(DI), Y1, Y17
	VPDPBUSD.BCST 32(DI), Y2, Y16
	VPDPBUSD.BCST 36(DI), Y3, Y17
	VPADDD Y17, Y16, Y16
	VFINISH(DI, Y16, Y11)
	ADDQ $272, SI
	ADDQ $40, DI
	DECQ CX
	JNZ vq8x8loop
	MOVQ out+0(FP), DI
	VMOVUPS Y11, (DI)
	VZEROUPPER
	RET

// VQ8X4(OFF, W, AOFF, A, B, C, D): the four tokens' chains A-D += chunk
// W (loaded from OFF(SI)) times their four activations at AOFF.
#define VQ8X4(OFF, W, AOFF, A, B, C, D) \
	VQ8W(OFF, W) \
	VPDPBUSD.BCST AOFF(DI), W, A \
	VPDPBUSD.BCST AOFF(R8), W, B \
	VPDPBUSD.BCST AOFF(R9), W, C \
	VPDPBUSD.BCST AOFF(R10), W, D

// func dotQ8_0x8x4VNNI(out *float32, ostride int, w, a *byte, astride, nb int)
// Four activation rows at DI, R8, R9, R10. Registers: Y12 row scales,
// Y8-Y11 the four tokens' sums, Y16-Y19 their int32 sums of a block,
// Y0/Y1 weight chunks.
TEXT ·dotQ8_0x8x4VNNI(SB), NOSPLIT, $0-48
	MOVQ w+16(FP), SI
	MOVQ a+24(FP), DI
	MOVQ astride+32(FP), DX
	MOVQ nb+40(FP), CX
	LEAQ (DI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	VMOVDQU vnni80<>(SB), Y15
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
vq8x8x4loop:
	VCVTPH2PS (SI), Y12
	VQ8START(DI, Y16)
	VQ8START(R8, Y17)
	VQ8START(R9, Y18)
	VQ8START(R10, Y19)
	VQ8X4(16, Y0, 8, Y16, Y17, Y18, Y19)
	VQ8X4(48, Y1, 12, Y16, Y17, Y18, Y19)
	VQ8X4(80, Y0, 16, Y16, Y17, Y18, Y19)
	VQ8X4(112, Y1, 20, Y16, Y17, Y18, Y19)
	VQ8X4(144, Y0, 24, Y16, Y17, Y18, Y19)
	VQ8X4(176, Y1, 28, Y16, Y17, Y18, Y19)
	VQ8X4(208, Y0, 32, Y16, Y17, Y18, Y19)
	VQ8X4(240, Y1, 36, Y16, Y17, Y18, Y19)
	VFINISH(DI, Y16, Y8)
	VFINISH(R8, Y17, Y9)
	VFINISH(R9, Y18, Y10)
	VFINISH(R10, Y19, Y11)
	ADDQ $272, SI
	ADDQ $40, DI
	ADDQ $40, R8
	ADDQ $40, R9
	ADDQ $40, R10
	DECQ CX
	JNZ vq8x8x4loop
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

// func dotQ4_0x8VNNI(out *float32, w, a *byte, nb int)
// Chunk c's low nibbles meet activations 4c..4c+3 (offset 8+4c of the
// block), its high nibbles 16+4c.. (offset 24+4c). Registers: Y12 row
// scales, Y11 sum, Y16/Y17 the block's chains (low, high), Y0-Y3 nibbles.
TEXT ·dotQ4_0x8VNNI(SB), NOSPLIT, $0-32
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), DI
	MOVQ nb+24(FP), CX
	VMOVDQU vnniNibble<>(SB), Y15
	VXORPS Y11, Y11, Y11
vq4x8loop:
	VCVTPH2PS (SI), Y12
	VQ4START(DI, Y16)
	VPXORD Y17, Y17, Y17
	VQ4W(16, Y0, Y1)
	VQ4W(48, Y2, Y3)
	VPDPBUSD.BCST 8(DI), Y0, Y16
	VPDPBUSD.BCST 24(DI), Y1, Y17
	VPDPBUSD.BCST 12(DI), Y2, Y16
	VPDPBUSD.BCST 28(DI), Y3, Y17
	VQ4W(80, Y0, Y1)
	VQ4W(112, Y2, Y3)
	VPDPBUSD.BCST 16(DI), Y0, Y16
	VPDPBUSD.BCST 32(DI), Y1, Y17
	VPDPBUSD.BCST 20(DI), Y2, Y16
	VPDPBUSD.BCST 36(DI), Y3, Y17
	VPADDD Y17, Y16, Y16
	VFINISH(DI, Y16, Y11)
	ADDQ $144, SI
	ADDQ $40, DI
	DECQ CX
	JNZ vq4x8loop
	MOVQ out+0(FP), DI
	VMOVUPS Y11, (DI)
	VZEROUPPER
	RET

// VQ4X4(W, AOFF, A, B, C, D): the four tokens' chains A-D += nibbles W
// times their four activations at AOFF.
#define VQ4X4(W, AOFF, A, B, C, D) \
	VPDPBUSD.BCST AOFF(DI), W, A \
	VPDPBUSD.BCST AOFF(R8), W, B \
	VPDPBUSD.BCST AOFF(R9), W, C \
	VPDPBUSD.BCST AOFF(R10), W, D

// func dotQ4_0x8x4VNNI(out *float32, ostride int, w, a *byte, astride, nb int)
// Four activation rows at DI, R8, R9, R10. Registers: Y12 row scales,
// Y8-Y11 the four tokens' sums, Y16-Y19 their int32 sums of a block,
// Y0-Y3 nibbles.
TEXT ·dotQ4_0x8x4VNNI(SB), NOSPLIT, $0-48
	MOVQ w+16(FP), SI
	MOVQ a+24(FP), DI
	MOVQ astride+32(FP), DX
	MOVQ nb+40(FP), CX
	LEAQ (DI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	VMOVDQU vnniNibble<>(SB), Y15
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
vq4x8x4loop:
	VCVTPH2PS (SI), Y12
	VQ4START(DI, Y16)
	VQ4START(R8, Y17)
	VQ4START(R9, Y18)
	VQ4START(R10, Y19)
	VQ4W(16, Y0, Y1)
	VQ4W(48, Y2, Y3)
	VQ4X4(Y0, 8, Y16, Y17, Y18, Y19)
	VQ4X4(Y1, 24, Y16, Y17, Y18, Y19)
	VQ4X4(Y2, 12, Y16, Y17, Y18, Y19)
	VQ4X4(Y3, 28, Y16, Y17, Y18, Y19)
	VQ4W(80, Y0, Y1)
	VQ4W(112, Y2, Y3)
	VQ4X4(Y0, 16, Y16, Y17, Y18, Y19)
	VQ4X4(Y1, 32, Y16, Y17, Y18, Y19)
	VQ4X4(Y2, 20, Y16, Y17, Y18, Y19)
	VQ4X4(Y3, 36, Y16, Y17, Y18, Y19)
	VFINISH(DI, Y16, Y8)
	VFINISH(R8, Y17, Y9)
	VFINISH(R9, Y18, Y10)
	VFINISH(R10, Y19, Y11)
	ADDQ $144, SI
	ADDQ $40, DI
	ADDQ $40, R8
	ADDQ $40, R9
	ADDQ $40, R10
	DECQ CX
	JNZ vq4x8x4loop
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
