#include "textflag.h"

// AVX-512 VNNI kernels over weights interleaved sixteen rows at a time
// (x16.go): the eight-row VNNI kernels (vnni_amd64.s) on 512-bit vectors,
// one row per 32-bit lane. Per block and token: the int32 sum starts from
// the correction the activation block carries (-8·Σa, shifted left by 4
// for Q8_0's offset of 128), VPDPBUSD adds each chunk's products with the
// token's four activations broadcast from memory, and the sum, converted
// to float, meets dw·da in one fused multiply-add, as in the eight-row
// kernels.

DATA x16b80<>+0(SB)/4, $0x80808080
GLOBL x16b80<>(SB), RODATA|NOPTR, $4

DATA x16nibble<>+0(SB)/4, $0x0f0f0f0f
GLOBL x16nibble<>(SB), RODATA|NOPTR, $4

// X16Q8START(BASE, ACC): ACC = -128·Σa of the Q8_0 activation block at
// BASE (the block's -8·Σa shifted left by 4).
#define X16Q8START(BASE, ACC) \
	VPBROADCASTD 4(BASE), ACC \
	VPSLLD $4, ACC, ACC

// X16DP4(W, AOFF, RA, RB, RC, RD, A, B, C, D): four tokens' sums A-D +=
// W times their four activations at AOFF of RA-RD.
#define X16DP4(W, AOFF, RA, RB, RC, RD, A, B, C, D) \
	VPDPBUSD.BCST AOFF(RA), W, A \
	VPDPBUSD.BCST AOFF(RB), W, B \
	VPDPBUSD.BCST AOFF(RC), W, C \
	VPDPBUSD.BCST AOFF(RD), W, D

// X16FINISH(BASE, ACC, SUM): SUM += float(ACC) · (Z12·da) for the
// activation block at BASE (Z13 scratch).
#define X16FINISH(BASE, ACC, SUM) \
	VCVTDQ2PS ACC, ACC \
	VMULPS.BCST (BASE), Z12, Z13 \
	VFMADD231PS Z13, ACC, SUM

// X16Q4W(OFF, LO, HI): LO, HI = the low and high nibbles of the chunk at
// OFF(SI) (Z15 the nibble mask; a dword shift moves each byte's high
// nibble down, and the mask drops what came from the next byte).
#define X16Q4W(OFF, LO, HI) \
	VMOVDQU32 OFF(SI), LO \
	VPSRLD $4, LO, HI \
	VPANDD Z15, LO, LO \
	VPANDD Z15, HI, HI

// X16PREFETCH9(D): the nine cache lines of a Q8_0 block (544 bytes) D
// bytes ahead of SI into L1, for the eight-token kernels. They spend long
// enough on a block that the out-of-order window no longer reaches the
// next blocks' loads, and the hardware prefetchers stop at each 4 KB page:
// without this an eight-token pass over a 144 MB matrix took about as long
// as a pass in cache plus a one-token pass streaming it. Measured through
// the server (go test ./serve -bench 'Streams/streams=8/batch=8', one
// thread, Qwen2.5-0.5B's shape): Q8_0 194-213 tok/s with it, 142-167
// without; Q4_0 271-302 and 210-261. The four-token kernels showed no
// difference and have none.
#define X16PREFETCH9(D) \
	PREFETCHT0 (D)(SI) \
	PREFETCHT0 (D+64)(SI) \
	PREFETCHT0 (D+128)(SI) \
	PREFETCHT0 (D+192)(SI) \
	PREFETCHT0 (D+256)(SI) \
	PREFETCHT0 (D+320)(SI) \
	PREFETCHT0 (D+384)(SI) \
	PREFETCHT0 (D+448)(SI) \
	PREFETCHT0 (D+512)(SI)

// X16PREFETCH5(D): the five cache lines of a Q4_0 block (288 bytes) D
// bytes ahead of SI, as X16PREFETCH9.
#define X16PREFETCH5(D) \
	PREFETCHT0 (D)(SI) \
	PREFETCHT0 (D+64)(SI) \
	PREFETCHT0 (D+128)(SI) \
	PREFETCHT0 (D+192)(SI) \
	PREFETCHT0 (D+256)(SI)

// func dotQ8_0x16VNNI(out *float32, w, a *byte, nb int)
// Registers: Z12 row scales, Z11 sum, Z16/Z17 the block's int32 chains
// (even and odd chunks), Z0-Z3 weight chunks, Z15 0x80s.
TEXT ·dotQ8_0x16VNNI(SB), NOSPLIT, $0-32
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), DI
	MOVQ nb+24(FP), CX
	VPBROADCASTD x16b80<>(SB), Z15
	VXORPS Z11, Z11, Z11
x16q8loop:
	VCVTPH2PS (SI), Z12
	X16Q8START(DI, Z16)
	VPXORD Z17, Z17, Z17
	VPXORD 32(SI), Z15, Z0
	VPXORD 96(SI), Z15, Z1
	VPXORD 160(SI), Z15, Z2
	VPXORD 224(SI), Z15, Z3
	VPDPBUSD.BCST 8(DI), Z0, Z16
	VPDPBUSD.BCST 12(DI), Z1, Z17
	VPDPBUSD.BCST 16(DI), Z2, Z16
	VPDPBUSD.BCST 20(DI), Z3, Z17
	VPXORD 288(SI), Z15, Z0
	VPXORD 352(SI), Z15, Z1
	VPXORD 416(SI), Z15, Z2
	VPXORD 480(SI), Z15, Z3
	VPDPBUSD.BCST 24(DI), Z0, Z16
	VPDPBUSD.BCST 28(DI), Z1, Z17
	VPDPBUSD.BCST 32(DI), Z2, Z16
	VPDPBUSD.BCST 36(DI), Z3, Z17
	VPADDD Z17, Z16, Z16
	X16FINISH(DI, Z16, Z11)
	ADDQ $544, SI
	ADDQ $40, DI
	DECQ CX
	JNZ x16q8loop
	MOVQ out+0(FP), DI
	VMOVUPS Z11, (DI)
	VZEROUPPER
	RET

// func dotQ8_0x16x4VNNI(out *float32, ostride int, w, a *byte, astride, nb int)
// Four activation rows at DI, R8, R9, R10. Registers: Z12 row scales,
// Z8-Z11 the four tokens' sums, Z16-Z19 their int32 sums of a block,
// Z0/Z1 weight chunks, Z15 0x80s.
TEXT ·dotQ8_0x16x4VNNI(SB), NOSPLIT, $0-48
	MOVQ w+16(FP), SI
	MOVQ a+24(FP), DI
	MOVQ astride+32(FP), DX
	MOVQ nb+40(FP), CX
	LEAQ (DI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	VPBROADCASTD x16b80<>(SB), Z15
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
x16q8x4loop:
	VCVTPH2PS (SI), Z12
	X16Q8START(DI, Z16)
	X16Q8START(R8, Z17)
	X16Q8START(R9, Z18)
	X16Q8START(R10, Z19)
	VPXORD 32(SI), Z15, Z0
	X16DP4(Z0, 8, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	VPXORD 96(SI), Z15, Z1
	X16DP4(Z1, 12, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	VPXORD 160(SI), Z15, Z0
	X16DP4(Z0, 16, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	VPXORD 224(SI), Z15, Z1
	X16DP4(Z1, 20, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	VPXORD 288(SI), Z15, Z0
	X16DP4(Z0, 24, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	VPXORD 352(SI), Z15, Z1
	X16DP4(Z1, 28, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	VPXORD 416(SI), Z15, Z0
	X16DP4(Z0, 32, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	VPXORD 480(SI), Z15, Z1
	X16DP4(Z1, 36, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16FINISH(DI, Z16, Z8)
	X16FINISH(R8, Z17, Z9)
	X16FINISH(R9, Z18, Z10)
	X16FINISH(R10, Z19, Z11)
	ADDQ $544, SI
	ADDQ $40, DI
	ADDQ $40, R8
	ADDQ $40, R9
	ADDQ $40, R10
	DECQ CX
	JNZ x16q8x4loop
	MOVQ out+0(FP), DI
	MOVQ ostride+8(FP), DX
	SHLQ $2, DX
	VMOVUPS Z8, (DI)
	ADDQ DX, DI
	VMOVUPS Z9, (DI)
	ADDQ DX, DI
	VMOVUPS Z10, (DI)
	ADDQ DX, DI
	VMOVUPS Z11, (DI)
	VZEROUPPER
	RET

// func dotQ4_0x16VNNI(out *float32, w, a *byte, nb int)
// Chunk c's low nibbles meet activations 4c..4c+3 (offset 8+4c of the
// block), its high nibbles 16+4c.. (offset 24+4c). Registers: Z12 row
// scales, Z11 sum, Z16/Z17 the block's chains (low, high), Z0-Z3 nibbles,
// Z15 the nibble mask.
TEXT ·dotQ4_0x16VNNI(SB), NOSPLIT, $0-32
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), DI
	MOVQ nb+24(FP), CX
	VPBROADCASTD x16nibble<>(SB), Z15
	VXORPS Z11, Z11, Z11
x16q4loop:
	VCVTPH2PS (SI), Z12
	VPBROADCASTD 4(DI), Z16
	VPXORD Z17, Z17, Z17
	X16Q4W(32, Z0, Z1)
	X16Q4W(96, Z2, Z3)
	VPDPBUSD.BCST 8(DI), Z0, Z16
	VPDPBUSD.BCST 24(DI), Z1, Z17
	VPDPBUSD.BCST 12(DI), Z2, Z16
	VPDPBUSD.BCST 28(DI), Z3, Z17
	X16Q4W(160, Z0, Z1)
	X16Q4W(224, Z2, Z3)
	VPDPBUSD.BCST 16(DI), Z0, Z16
	VPDPBUSD.BCST 32(DI), Z1, Z17
	VPDPBUSD.BCST 20(DI), Z2, Z16
	VPDPBUSD.BCST 36(DI), Z3, Z17
	VPADDD Z17, Z16, Z16
	X16FINISH(DI, Z16, Z11)
	ADDQ $288, SI
	ADDQ $40, DI
	DECQ CX
	JNZ x16q4loop
	MOVQ out+0(FP), DI
	VMOVUPS Z11, (DI)
	VZEROUPPER
	RET

// func dotQ4_0x16x4VNNI(out *float32, ostride int, w, a *byte, astride, nb int)
// Four activation rows at DI, R8, R9, R10. Registers: Z12 row scales,
// Z8-Z11 the four tokens' sums, Z16-Z19 their int32 sums of a block,
// Z0/Z1 nibbles, Z15 the nibble mask.
TEXT ·dotQ4_0x16x4VNNI(SB), NOSPLIT, $0-48
	MOVQ w+16(FP), SI
	MOVQ a+24(FP), DI
	MOVQ astride+32(FP), DX
	MOVQ nb+40(FP), CX
	LEAQ (DI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	VPBROADCASTD x16nibble<>(SB), Z15
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
x16q4x4loop:
	VCVTPH2PS (SI), Z12
	VPBROADCASTD 4(DI), Z16
	VPBROADCASTD 4(R8), Z17
	VPBROADCASTD 4(R9), Z18
	VPBROADCASTD 4(R10), Z19
	X16Q4W(32, Z0, Z1)
	X16DP4(Z0, 8, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 24, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16Q4W(96, Z0, Z1)
	X16DP4(Z0, 12, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 28, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16Q4W(160, Z0, Z1)
	X16DP4(Z0, 16, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 32, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16Q4W(224, Z0, Z1)
	X16DP4(Z0, 20, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 36, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16FINISH(DI, Z16, Z8)
	X16FINISH(R8, Z17, Z9)
	X16FINISH(R9, Z18, Z10)
	X16FINISH(R10, Z19, Z11)
	ADDQ $288, SI
	ADDQ $40, DI
	ADDQ $40, R8
	ADDQ $40, R9
	ADDQ $40, R10
	DECQ CX
	JNZ x16q4x4loop
	MOVQ out+0(FP), DI
	MOVQ ostride+8(FP), DX
	SHLQ $2, DX
	VMOVUPS Z8, (DI)
	ADDQ DX, DI
	VMOVUPS Z9, (DI)
	ADDQ DX, DI
	VMOVUPS Z10, (DI)
	ADDQ DX, DI
	VMOVUPS Z11, (DI)
	VZEROUPPER
	RET

// func dotQ8_0x16x8VNNI(out *float32, ostride int, w, a *byte, astride, nb int)
// dotQ8_0x16x4VNNI for eight activation rows (DI, R8-R13, BX): each
// weight chunk is loaded and offset once for the eight (batched decode of
// eight sequences reads the weights once with all its work). Registers:
// Z8-Z11 and Z20-Z23 the tokens' sums, Z16-Z19 and Z24-Z27 their int32
// sums of a block.
TEXT ·dotQ8_0x16x8VNNI(SB), NOSPLIT, $0-48
	MOVQ w+16(FP), SI
	MOVQ a+24(FP), DI
	MOVQ astride+32(FP), DX
	MOVQ nb+40(FP), CX
	LEAQ (DI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	LEAQ (R12)(DX*1), R13
	LEAQ (R13)(DX*1), BX
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	VXORPS Z20, Z20, Z20
	VXORPS Z21, Z21, Z21
	VXORPS Z22, Z22, Z22
	VXORPS Z23, Z23, Z23
	VPBROADCASTD x16b80<>(SB), Z15
x16q8x8loop:
	X16PREFETCH9(4096)
	VCVTPH2PS (SI), Z12
	X16Q8START(DI, Z16)
	X16Q8START(R8, Z17)
	X16Q8START(R9, Z18)
	X16Q8START(R10, Z19)
	X16Q8START(R11, Z24)
	X16Q8START(R12, Z25)
	X16Q8START(R13, Z26)
	X16Q8START(BX, Z27)
	VPXORD 32(SI), Z15, Z0
	X16DP4(Z0, 8, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z0, 8, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	VPXORD 96(SI), Z15, Z1
	X16DP4(Z1, 12, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 12, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	VPXORD 160(SI), Z15, Z0
	X16DP4(Z0, 16, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z0, 16, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	VPXORD 224(SI), Z15, Z1
	X16DP4(Z1, 20, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 20, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	VPXORD 288(SI), Z15, Z0
	X16DP4(Z0, 24, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z0, 24, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	VPXORD 352(SI), Z15, Z1
	X16DP4(Z1, 28, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 28, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	VPXORD 416(SI), Z15, Z0
	X16DP4(Z0, 32, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z0, 32, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	VPXORD 480(SI), Z15, Z1
	X16DP4(Z1, 36, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 36, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	X16FINISH(DI, Z16, Z8)
	X16FINISH(R8, Z17, Z9)
	X16FINISH(R9, Z18, Z10)
	X16FINISH(R10, Z19, Z11)
	X16FINISH(R11, Z24, Z20)
	X16FINISH(R12, Z25, Z21)
	X16FINISH(R13, Z26, Z22)
	X16FINISH(BX, Z27, Z23)
	ADDQ $544, SI
	ADDQ $40, DI
	ADDQ $40, R8
	ADDQ $40, R9
	ADDQ $40, R10
	ADDQ $40, R11
	ADDQ $40, R12
	ADDQ $40, R13
	ADDQ $40, BX
	DECQ CX
	JNZ x16q8x8loop
	MOVQ out+0(FP), DI
	MOVQ ostride+8(FP), DX
	SHLQ $2, DX
	VMOVUPS Z8, (DI)
	ADDQ DX, DI
	VMOVUPS Z9, (DI)
	ADDQ DX, DI
	VMOVUPS Z10, (DI)
	ADDQ DX, DI
	VMOVUPS Z11, (DI)
	ADDQ DX, DI
	VMOVUPS Z20, (DI)
	ADDQ DX, DI
	VMOVUPS Z21, (DI)
	ADDQ DX, DI
	VMOVUPS Z22, (DI)
	ADDQ DX, DI
	VMOVUPS Z23, (DI)
	VZEROUPPER
	RET

// func dotQ4_0x16x8VNNI(out *float32, ostride int, w, a *byte, astride, nb int)
// dotQ4_0x16x4VNNI for eight activation rows, as dotQ8_0x16x8VNNI.
TEXT ·dotQ4_0x16x8VNNI(SB), NOSPLIT, $0-48
	MOVQ w+16(FP), SI
	MOVQ a+24(FP), DI
	MOVQ astride+32(FP), DX
	MOVQ nb+40(FP), CX
	LEAQ (DI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	LEAQ (R12)(DX*1), R13
	LEAQ (R13)(DX*1), BX
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	VXORPS Z20, Z20, Z20
	VXORPS Z21, Z21, Z21
	VXORPS Z22, Z22, Z22
	VXORPS Z23, Z23, Z23
	VPBROADCASTD x16nibble<>(SB), Z15
x16q4x8loop:
	X16PREFETCH5(4096)
	VCVTPH2PS (SI), Z12
	VPBROADCASTD 4(DI), Z16
	VPBROADCASTD 4(R8), Z17
	VPBROADCASTD 4(R9), Z18
	VPBROADCASTD 4(R10), Z19
	VPBROADCASTD 4(R11), Z24
	VPBROADCASTD 4(R12), Z25
	VPBROADCASTD 4(R13), Z26
	VPBROADCASTD 4(BX), Z27
	X16Q4W(32, Z0, Z1)
	X16DP4(Z0, 8, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z0, 8, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	X16DP4(Z1, 24, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 24, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	X16Q4W(96, Z0, Z1)
	X16DP4(Z0, 12, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z0, 12, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	X16DP4(Z1, 28, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 28, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	X16Q4W(160, Z0, Z1)
	X16DP4(Z0, 16, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z0, 16, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	X16DP4(Z1, 32, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 32, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	X16Q4W(224, Z0, Z1)
	X16DP4(Z0, 20, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z0, 20, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	X16DP4(Z1, 36, DI, R8, R9, R10, Z16, Z17, Z18, Z19)
	X16DP4(Z1, 36, R11, R12, R13, BX, Z24, Z25, Z26, Z27)
	X16FINISH(DI, Z16, Z8)
	X16FINISH(R8, Z17, Z9)
	X16FINISH(R9, Z18, Z10)
	X16FINISH(R10, Z19, Z11)
	X16FINISH(R11, Z24, Z20)
	X16FINISH(R12, Z25, Z21)
	X16FINISH(R13, Z26, Z22)
	X16FINISH(BX, Z27, Z23)
	ADDQ $288, SI
	ADDQ $40, DI
	ADDQ $40, R8
	ADDQ $40, R9
	ADDQ $40, R10
	ADDQ $40, R11
	ADDQ $40, R12
	ADDQ $40, R13
	ADDQ $40, BX
	DECQ CX
	JNZ x16q4x8loop
	MOVQ out+0(FP), DI
	MOVQ ostride+8(FP), DX
	SHLQ $2, DX
	VMOVUPS Z8, (DI)
	ADDQ DX, DI
	VMOVUPS Z9, (DI)
	ADDQ DX, DI
	VMOVUPS Z10, (DI)
	ADDQ DX, DI
	VMOVUPS Z11, (DI)
	ADDQ DX, DI
	VMOVUPS Z20, (DI)
	ADDQ DX, DI
	VMOVUPS Z21, (DI)
	ADDQ DX, DI
	VMOVUPS Z22, (DI)
	ADDQ DX, DI
	VMOVUPS Z23, (DI)
	VZEROUPPER
	RET
