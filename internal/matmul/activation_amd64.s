//go:build amd64 && !purego

#include "textflag.h"

// swigluAVX2(gate, up *float32, n int): gate[i] = gate[i]/(1+e^-gate[i])·up[i]
// for n (a multiple of 8) values.
//
// e^x for x = -g, eight lanes at a time (Arm optimized-routines' expf, the
// approximation llama.cpp's AVX2 backend uses):
//   z = x·log2(e) + 0x1.8p23      n = z - 0x1.8p23 (x/ln 2 rounded)
//   b = x - n·ln2hi - n·ln2lo     the reduced argument, |b| <= ln2/2
//   k = 2^n, built in the exponent bits from z's low bits
//   j = ((c4·b + c3)·b² + (c2·b + c1))·b² + c0·b    so e^b ≈ 1 + j
//   e^x = k + k·j
// When some lane has |n| > 126, 2^n is not a normal float: it is split in
// two factors s1·s2, and beyond |n| > 192 the result is s1·s1 (0 or +Inf).

DATA expShift<>+0(SB)/4, $0x4b400000 // 0x1.8p23
DATA expLog2e<>+0(SB)/4, $0x3fb8aa3b // 0x1.715476p+0
DATA expLn2Hi<>+0(SB)/4, $0x3f317200 // 0x1.62e4p-1
DATA expLn2Lo<>+0(SB)/4, $0x35bfbe8e // 0x1.7f7d1cp-20
DATA expC4<>+0(SB)/4, $0x3c072010    // 0x1.0e4020p-7
DATA expC3<>+0(SB)/4, $0x3d2b9f17    // 0x1.573e2ep-5
DATA expC2<>+0(SB)/4, $0x3e2aaf33    // 0x1.555e66p-3
DATA expC1<>+0(SB)/4, $0x3efffedb    // 0x1.fffdb6p-2
DATA expC0<>+0(SB)/4, $0x3f7ffff6    // 0x1.ffffecp-1
DATA expOne<>+0(SB)/4, $0x3f800000   // 1.0
DATA expAbs<>+0(SB)/4, $0x7fffffff
DATA exp126<>+0(SB)/4, $0x42fc0000   // 126.0
DATA exp192<>+0(SB)/4, $0x43400000   // 192.0
DATA expG<>+0(SB)/4, $0x82000000
DATA expBias<>+0(SB)/4, $0x7f000000
GLOBL expShift<>(SB), RODATA|NOPTR, $4
GLOBL expLog2e<>(SB), RODATA|NOPTR, $4
GLOBL expLn2Hi<>(SB), RODATA|NOPTR, $4
GLOBL expLn2Lo<>(SB), RODATA|NOPTR, $4
GLOBL expC4<>(SB), RODATA|NOPTR, $4
GLOBL expC3<>(SB), RODATA|NOPTR, $4
GLOBL expC2<>(SB), RODATA|NOPTR, $4
GLOBL expC1<>(SB), RODATA|NOPTR, $4
GLOBL expC0<>(SB), RODATA|NOPTR, $4
GLOBL expOne<>(SB), RODATA|NOPTR, $4
GLOBL expAbs<>(SB), RODATA|NOPTR, $4
GLOBL exp126<>(SB), RODATA|NOPTR, $4
GLOBL exp192<>(SB), RODATA|NOPTR, $4
GLOBL expG<>(SB), RODATA|NOPTR, $4
GLOBL expBias<>(SB), RODATA|NOPTR, $4

// EXPCONST loads the constants EXP8 keeps in registers.
#define EXPCONST \
	VBROADCASTSS expShift<>(SB), Y15 \
	VBROADCASTSS expLog2e<>(SB), Y14 \
	VBROADCASTSS expLn2Hi<>(SB), Y13 \
	VBROADCASTSS expLn2Lo<>(SB), Y12 \
	VBROADCASTSS expC4<>(SB), Y11 \
	VBROADCASTSS expC3<>(SB), Y10 \
	VBROADCASTSS expC2<>(SB), Y9 \
	VBROADCASTSS expC1<>(SB), Y8 \
	VBROADCASTSS expC0<>(SB), Y7 \
	VBROADCASTSS expOne<>(SB), Y6

// EXP8(WIDE, DONE) sets Y5 = e^Y1 for eight lanes (Y0-Y4 scratch; Y6-Y15
// as EXPCONST left them, and left so again); WIDE and DONE name its labels.
#define EXP8(WIDE, DONE) \
	VMOVAPS Y1, Y0 \
	VMOVAPS Y15, Y2 \
	VFMADD231PS Y14, Y1, Y2 \
	VSUBPS  Y15, Y2, Y3 \
	VMOVAPS Y1, Y4 \
	VFNMADD231PS Y13, Y3, Y4 \
	VFNMADD231PS Y12, Y3, Y4 \
	VPSLLD  $23, Y2, Y2 \
	VPADDD  Y6, Y2, Y5 \
	VMULPS  Y4, Y4, Y1 \
	VMOVAPS Y10, Y12 \
	VFMADD231PS Y11, Y4, Y12 \
	VMOVAPS Y8, Y13 \
	VFMADD231PS Y9, Y4, Y13 \
	VFMADD231PS Y1, Y12, Y13 \
	VMULPS  Y7, Y4, Y4 \
	VFMADD231PS Y1, Y13, Y4 \
	VBROADCASTSS expAbs<>(SB), Y1 \
	VANDPS  Y1, Y3, Y1 \
	VBROADCASTSS exp126<>(SB), Y12 \
	VCMPPS  $0x1e, Y12, Y1, Y12 \
	VMOVMSKPS Y12, AX \
	TESTL   AX, AX \
	JNZ     WIDE \
	VFMADD231PS Y4, Y5, Y5 \
	JMP     DONE \
WIDE: \
	VXORPS  Y13, Y13, Y13 \
	VCMPPS  $0x12, Y13, Y3, Y3 \
	VBROADCASTSS expG<>(SB), Y13 \
	VANDPS  Y13, Y3, Y3 \
	VBROADCASTSS expBias<>(SB), Y13 \
	VPADDD  Y13, Y3, Y13 \
	VFMADD213PS Y15, Y14, Y0 \
	VPSLLD  $23, Y0, Y0 \
	VPSUBD  Y3, Y0, Y0 \
	VMOVAPS Y0, Y3 \
	VFMADD231PS Y4, Y0, Y3 \
	VMULPS  Y13, Y3, Y3 \
	VFMADD231PS Y4, Y5, Y5 \
	VANDPS  Y12, Y3, Y3 \
	VANDNPS Y5, Y12, Y5 \
	VORPS   Y3, Y5, Y5 \
	VBROADCASTSS exp192<>(SB), Y12 \
	VCMPPS  $0x1e, Y12, Y1, Y12 \
	VMULPS  Y13, Y13, Y13 \
	VANDPS  Y12, Y13, Y13 \
	VANDNPS Y5, Y12, Y5 \
	VORPS   Y13, Y5, Y5 \
DONE: \
	VBROADCASTSS expLn2Hi<>(SB), Y13 \
	VBROADCASTSS expLn2Lo<>(SB), Y12

// The steps of EXP8, for x in Y1 (kept in Y0):
//   z = x·log2e + 0x1.8p23 (Y2)   n = z - 0x1.8p23 (Y3)
//   b = x - n·ln2hi - n·ln2lo (Y4)   k = bits(z)<<23 + bits(1.0) (Y5)
//   u = b² (Y1)   j = ((c4·b + c3)·u + (c2·b + c1))·u + c0·b (Y4)
//   |n| <= 126 in every lane: e^x = k + k·j
//   otherwise g' = n <= 0 ? 0x82000000 : 0, s1 = g' + 0x7f000000,
//   s2 = bits(z)<<23 - g' (z recomputed from x), and per lane
//   e^x = |n| > 192 ? s1·s1 : |n| > 126 ? (s2 + s2·j)·s1 : k + k·j.

// func swigluAVX2(gate, up *float32, n int)
TEXT ·swigluAVX2(SB), NOSPLIT, $0-24
	MOVQ gate+0(FP), DI
	MOVQ up+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   swdone
	EXPCONST
swloop:
	VXORPS  Y1, Y1, Y1
	VSUBPS  (DI), Y1, Y1       // x = -g
	EXP8(swwide, swexp)
	VADDPS  Y6, Y5, Y5         // 1 + e^-g
	VMOVUPS (DI), Y0
	VDIVPS  Y5, Y0, Y0         // silu(g) = g / (1 + e^-g)
	VMULPS  (SI), Y0, Y0       // · up
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     swloop
	VZEROUPPER
swdone:
	RET

DATA geluK<>+0(SB)/4, $0xbfcc422a    // -2·sqrt(2/pi)
DATA geluC<>+0(SB)/4, $0x3d372713    // 0.044715
GLOBL geluK<>(SB), RODATA|NOPTR, $4
GLOBL geluC<>(SB), RODATA|NOPTR, $4

// func geluAVX2(x *float32, n int)
// GPT-2's tanh GELU, 0.5·u·(1 + tanh(z)) with z = sqrt(2/pi)·(u + 0.044715·u³),
// written as u / (1 + e^-2z).
TEXT ·geluAVX2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	JZ   gedone
	EXPCONST
geloop:
	VMOVUPS (DI), Y0           // u
	VMULPS  Y0, Y0, Y1         // u²
	VBROADCASTSS geluC<>(SB), Y2
	VMULPS  Y2, Y1, Y1         // 0.044715·u²
	VFMADD213PS Y0, Y0, Y1     // u + 0.044715·u³
	VBROADCASTSS geluK<>(SB), Y2
	VMULPS  Y2, Y1, Y1         // -2z
	EXP8(gewide, geexp)
	VADDPS  Y6, Y5, Y5         // 1 + e^-2z
	VMOVUPS (DI), Y0
	VDIVPS  Y5, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     geloop
	VZEROUPPER
gedone:
	RET

// func expSubAVX2(x *float32, n int, m float32)
// x[i] = e^(x[i]-m) for n (a multiple of 8) values: a softmax's
// numerators, with EXP8's e^x (ggml's AVX2 softmax uses the same).
TEXT ·expSubAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	JZ   esdone
	EXPCONST
esloop:
	VBROADCASTSS m+16(FP), Y0
	VMOVUPS (DI), Y1
	VSUBPS  Y0, Y1, Y1         // x - m
	EXP8(eswide, esexp)
	VMOVUPS Y5, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     esloop
	VZEROUPPER
esdone:
	RET
