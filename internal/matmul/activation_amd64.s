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

TEXT ·swigluAVX2(SB), NOSPLIT, $0-24
	MOVQ gate+0(FP), DI
	MOVQ up+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   done
	VBROADCASTSS expShift<>(SB), Y15
	VBROADCASTSS expLog2e<>(SB), Y14
	VBROADCASTSS expLn2Hi<>(SB), Y13
	VBROADCASTSS expLn2Lo<>(SB), Y12
	VBROADCASTSS expC4<>(SB), Y11
	VBROADCASTSS expC3<>(SB), Y10
	VBROADCASTSS expC2<>(SB), Y9
	VBROADCASTSS expC1<>(SB), Y8
	VBROADCASTSS expC0<>(SB), Y7
	VBROADCASTSS expOne<>(SB), Y6

loop:
	VMOVUPS (DI), Y0           // g
	VXORPS  Y1, Y1, Y1
	VSUBPS  Y0, Y1, Y1         // x = -g
	VMOVAPS Y15, Y2
	VFMADD231PS Y14, Y1, Y2    // z = x·log2e + shift
	VSUBPS  Y15, Y2, Y3        // n = z - shift
	VMOVAPS Y1, Y4
	VFNMADD231PS Y13, Y3, Y4   // b = x - n·ln2hi
	VFNMADD231PS Y12, Y3, Y4   // b -= n·ln2lo
	VPSLLD  $23, Y2, Y2        // e = bits(z) << 23
	VPADDD  Y6, Y2, Y5         // k = e + bits(1.0)
	VMULPS  Y4, Y4, Y1         // u = b²
	VMOVAPS Y10, Y0
	VFMADD231PS Y11, Y4, Y0    // c4·b + c3
	VMOVAPS Y8, Y13
	VFMADD231PS Y9, Y4, Y13    // c2·b + c1 (Y13 is reloaded below)
	VFMADD231PS Y1, Y0, Y13    // (c4·b + c3)·u + (c2·b + c1)
	VMULPS  Y7, Y4, Y4         // c0·b
	VFMADD231PS Y1, Y13, Y4    // j = (...)·u + c0·b
	VBROADCASTSS expLn2Hi<>(SB), Y13
	VBROADCASTSS expAbs<>(SB), Y0
	VANDPS  Y0, Y3, Y0         // |n|
	VBROADCASTSS exp126<>(SB), Y1
	VCMPPS  $0x1e, Y1, Y0, Y1  // c = |n| > 126
	VMOVMSKPS Y1, AX
	TESTL   AX, AX
	JNZ     wide
	VFMADD231PS Y4, Y5, Y5     // e^x = k + k·j
	JMP     silu

wide:
	// g' = n <= 0 ? 0x82000000 : 0; s1 = g' + 0x7f000000; s2 = e - g'
	VXORPS  Y2, Y2, Y2
	VCMPPS  $0x12, Y2, Y3, Y3  // n <= 0
	VBROADCASTSS expG<>(SB), Y2
	VANDPS  Y2, Y3, Y3         // g'
	VBROADCASTSS expBias<>(SB), Y2
	VPADDD  Y2, Y3, Y2         // s1
	VMOVUPS (DI), Y13          // recompute e from g: z again
	VXORPS  Y12, Y12, Y12
	VSUBPS  Y13, Y12, Y13      // x
	VFMADD213PS Y15, Y14, Y13  // z = x·log2e + shift
	VPSLLD  $23, Y13, Y13      // e
	VPSUBD  Y3, Y13, Y13       // s2 = e - g'
	VMOVAPS Y13, Y12
	VFMADD231PS Y4, Y13, Y12   // s2 + s2·j
	VMULPS  Y2, Y12, Y12       // (s2 + s2·j)·s1
	VFMADD231PS Y4, Y5, Y5     // k + k·j
	VANDPS  Y1, Y12, Y12       // c ? (s2+s2·j)·s1
	VANDNPS Y5, Y1, Y5         // : k + k·j
	VORPS   Y12, Y5, Y5
	VBROADCASTSS exp192<>(SB), Y1
	VCMPPS  $0x1e, Y1, Y0, Y1  // d = |n| > 192
	VMULPS  Y2, Y2, Y2         // s1·s1
	VANDPS  Y1, Y2, Y2
	VANDNPS Y5, Y1, Y5
	VORPS   Y2, Y5, Y5
	VBROADCASTSS expLn2Hi<>(SB), Y13
	VBROADCASTSS expLn2Lo<>(SB), Y12

silu:
	VADDPS  Y6, Y5, Y5         // 1 + e^-g
	VMOVUPS (DI), Y0
	VDIVPS  Y5, Y0, Y0         // silu(g) = g / (1 + e^-g)
	VMULPS  (SI), Y0, Y0       // · up
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     loop
	VZEROUPPER

done:
	RET
