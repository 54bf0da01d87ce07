package matmul

// Q8_0 and Q4_0 weights interleaved sixteen rows at a time, for 512-bit
// vectors: the Q8_0x8 and Q4_0x8 layouts (q8x8.go, q4x8.go) with sixteen
// rows in place of eight, so that one AVX-512 VNNI instruction does
// sixteen rows' work with four activations broadcast to every lane. A
// block holds the sixteen rows' f16 scales, then chunks of 64 bytes: chunk
// c holds bytes 4c..4c+3 of each row's quants, row by row. Each row's
// arithmetic is the eight-row kernels' (the same exact integer sums, met
// with the same scales in the same order), so the results are the same
// bit for bit; only the speed differs.
//
// The sixteen-row kernels are vector code only where Wide reports it;
// elsewhere they run in Go, and callers interleave eight rows instead.
const (
	Q8_0x16Block = 16 * Q8_0Block
	Q4_0x16Block = 16 * Q4_0Block
)

// Wide reports whether the sixteen-row kernels run as vector code (AVX-512
// VNNI); loaders interleave sixteen rows when it does, eight otherwise.
func Wide() bool { return wide }

var wide = false

// RepackQ8_0x16 writes sixteen Q8_0 rows of nb blocks (row r at
// src[r·stride:]) into dst (nb·544 bytes) in the Q8_0x16 layout.
func RepackQ8_0x16(dst, src []byte, stride, nb int) {
	for b := 0; b < nb; b++ {
		out := dst[b*Q8_0x16Block : (b+1)*Q8_0x16Block]
		for r := 0; r < 16; r++ {
			putRow(out, 16, r, src[r*stride+b*Q8_0Block:r*stride+(b+1)*Q8_0Block])
		}
	}
}

// RepackQ4_0x16 writes sixteen Q4_0 rows of nb blocks into dst (nb·288
// bytes) in the Q4_0x16 layout.
func RepackQ4_0x16(dst, src []byte, stride, nb int) {
	for b := 0; b < nb; b++ {
		out := dst[b*Q4_0x16Block : (b+1)*Q4_0x16Block]
		for r := 0; r < 16; r++ {
			putRow(out, 16, r, src[r*stride+b*Q4_0Block:r*stride+(b+1)*Q4_0Block])
		}
	}
}

// RepackQ5_0x16 writes sixteen Q5_0 rows as Q8_0x16 blocks of q-16 (see
// RepackQ5_0x8).
func RepackQ5_0x16(dst, src []byte, stride, nb int) { repackQ5_0(dst, src, stride, nb, 16) }

// DotQ8_0x16 writes into out[0:16] the dot products of sixteen interleaved
// Q8_0 rows (nb Q8_0x16 blocks) with one row of nb Q8_0S activation blocks.
func DotQ8_0x16(out []float32, w, a []byte, nb int) {
	checkedX16(out, w, a, nb, Q8_0x16Block, dotQ8_0x16)
}

// DotQ8_0x16x4 is DotQ8_0x16 for four activation rows (at a, a+astride,
// ...): row r against token t goes to out[t·ostride+r].
func DotQ8_0x16x4(out []float32, ostride int, w, a []byte, astride, nb int) {
	checkedX16xT(out, 4, ostride, w, a, astride, nb, Q8_0x16Block, dotQ8_0x16x4)
}

// DotQ8_0x16x8 is DotQ8_0x16x4 for eight activation rows: each weight
// block is read once for the eight (a batch of eight sequences' decode
// step). Row r against token t goes to out[t·ostride+r].
func DotQ8_0x16x8(out []float32, ostride int, w, a []byte, astride, nb int) {
	checkedX16xT(out, 8, ostride, w, a, astride, nb, Q8_0x16Block, dotQ8_0x16x8)
}

// DotQ4_0x16x8 is DotQ8_0x16x8 for Q4_0x16 rows.
func DotQ4_0x16x8(out []float32, ostride int, w, a []byte, astride, nb int) {
	checkedX16xT(out, 8, ostride, w, a, astride, nb, Q4_0x16Block, dotQ4_0x16x8)
}

// DotQ4_0x16 is DotQ8_0x16 for Q4_0x16 rows.
func DotQ4_0x16(out []float32, w, a []byte, nb int) {
	checkedX16(out, w, a, nb, Q4_0x16Block, dotQ4_0x16)
}

// DotQ4_0x16x4 is DotQ8_0x16x4 for Q4_0x16 rows.
func DotQ4_0x16x4(out []float32, ostride int, w, a []byte, astride, nb int) {
	checkedX16xT(out, 4, ostride, w, a, astride, nb, Q4_0x16Block, dotQ4_0x16x4)
}

// checkedX16 checks the slices before a sixteen-row kernel reads them.
func checkedX16(out []float32, w, a []byte, nb, wb int, dot func(out []float32, w, a []byte, nb int)) {
	checkedRows(out, 16, w, a, nb, wb, Q8_0SBlock, dot)
}

// checkedX16xT is checkedX16 for the kernels of T tokens.
func checkedX16xT(out []float32, T, ostride int, w, a []byte, astride, nb, wb int, dot func(out []float32, ostride int, w, a []byte, astride, nb int)) {
	checkedTokens(out, 16, T, ostride, w, a, astride, nb, wb, Q8_0SBlock, dot)
}

var (
	dotQ8_0x16   = dotQ8_0x16Go
	dotQ8_0x16x4 = dotQ8_0x16x4Go
	dotQ4_0x16   = dotQ4_0x16Go
	dotQ4_0x16x4 = dotQ4_0x16x4Go
	dotQ8_0x16x8 = dotQ8_0x16x8Go
	dotQ4_0x16x8 = dotQ4_0x16x8Go
)

func dotQ8_0x16Go(out []float32, w, a []byte, nb int) { dotQ8_0xNGo(out, w, a, nb, 16) }
func dotQ4_0x16Go(out []float32, w, a []byte, nb int) { dotQ4_0xNGo(out, w, a, nb, 16) }

func dotQ8_0x16x4Go(out []float32, ostride int, w, a []byte, astride, nb int) {
	for t := 0; t < 4; t++ {
		dotQ8_0x16Go(out[t*ostride:], w, a[t*astride:], nb)
	}
}

func dotQ8_0x16x8Go(out []float32, ostride int, w, a []byte, astride, nb int) {
	for t := 0; t < 8; t++ {
		dotQ8_0x16Go(out[t*ostride:], w, a[t*astride:], nb)
	}
}

func dotQ4_0x16x8Go(out []float32, ostride int, w, a []byte, astride, nb int) {
	for t := 0; t < 8; t++ {
		dotQ4_0x16Go(out[t*ostride:], w, a[t*astride:], nb)
	}
}

func dotQ4_0x16x4Go(out []float32, ostride int, w, a []byte, astride, nb int) {
	for t := 0; t < 4; t++ {
		dotQ4_0x16Go(out[t*ostride:], w, a[t*astride:], nb)
	}
}
