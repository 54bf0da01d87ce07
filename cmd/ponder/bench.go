package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/internal/matmul"
	"github.com/ponder-go/ponder/localmodel/gpt2"
)

func init() {
	register("bench", "measure matmul GFLOP/s and prefill/decode tokens/s on the GPT-2 124M shape (next to gonum when built with -tags gonum)", bench)
}

// bench measures on randomly initialised weights, so it needs no download.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "fewer repetitions and a 2-layer model (for tests)")
	threadList := fs.String("threads", "1,2", "thread counts to measure")
	if err := parse(fs, args); err != nil {
		return err
	}
	var threads []int
	for _, f := range strings.FieldsFunc(*threadList, func(r rune) bool { return r == ',' }) {
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil || n < 1 {
			return fmt.Errorf("-threads: %q is not a thread count", f)
		}
		threads = append(threads, n)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer matmul.SetThreads(matmul.Threads())
	fmt.Fprintf(stdout, "kernel: %s; GOARCH %s; %d CPUs\n\n", matmul.Kernel, runtime.GOARCH, runtime.NumCPU())

	shapes := []struct {
		name          string
		rows, in, out int
		decode        bool
	}{
		{"prefill 64x768x768", 64, 768, 768, false},
		{"prefill 256x768x3072", 256, 768, 3072, false},
		{"decode 1x768x768", 1, 768, 768, true},
		{"decode 1x768x3072", 1, 768, 3072, true},
		{"decode 1x768x50304", 1, 768, 50304, true},
		// A matrix far larger than the caches: its GB/s is the machine's
		// read bandwidth as this kernel sees it, the ceiling of decoding.
		{"bandwidth 1x768x262144", 1, 768, 262144, true},
	}
	r := rand.New(rand.NewPCG(1, 2))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	if peerGemm != nil {
		fmt.Fprintf(tw, "matmul\tthreads\tponder GFLOP/s\tgonum GFLOP/s\tratio\tponder GB/s\t\n")
	} else {
		fmt.Fprintf(tw, "matmul\tthreads\tponder GFLOP/s\tponder GB/s\t\n")
	}
	for _, sh := range shapes {
		in := randFloats(r, sh.rows*sh.in)
		w := randFloats(r, sh.out*sh.in)
		b := randFloats(r, sh.out)
		out := make([]float32, sh.rows*sh.out)
		flops := 2 * float64(sh.rows) * float64(sh.in) * float64(sh.out)
		for _, th := range threads {
			runtime.GOMAXPROCS(th)
			matmul.SetThreads(th)
			ours := timeIt(*quick, func() { matmul.MatMul(out, in, w, b, sh.rows, sh.in, sh.out) })
			gb := float64(len(w)*4) / ours.Seconds() / 1e9
			if peerGemm == nil {
				fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t\n", sh.name, th, flops/ours.Seconds()/1e9, gb)
				continue
			}
			theirs := timeIt(*quick, func() { peerGemm(out, in, w, sh.rows, sh.in, sh.out) })
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.2fx\t%.1f\t\n", sh.name, th, flops/ours.Seconds()/1e9, flops/theirs.Seconds()/1e9, theirs.Seconds()/ours.Seconds(), gb)
		}
	}
	tw.Flush()

	cfg := gpt2.GPT2Small
	if *quick {
		cfg.Layers = 2
		shapes = shapes[:3]
	}
	m, err := gpt2.NewRandom(cfg, 1)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nmodel: GPT-2 shape, %d layers, %.0fM parameters, random weights\n", cfg.Layers, float64(cfg.NumParams())/1e6)
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "phase\tthreads\ttokens/s\t\n")
	for _, th := range threads {
		runtime.GOMAXPROCS(th)
		matmul.SetThreads(th)
		for _, T := range []int{64, 256} {
			toks := make([]int32, T)
			for i := range toks {
				toks[i] = int32(r.IntN(cfg.Vocab))
			}
			d := timeIt(*quick, func() {
				if _, err := m.Forward(m.NewState(), toks, false); err != nil {
					panic(err)
				}
			})
			fmt.Fprintf(tw, "prefill T=%d\t%d\t%.0f\t\n", T, th, float64(T)/d.Seconds())
		}
		st := m.NewState()
		if _, err := m.Forward(st, make([]int32, 64), false); err != nil {
			return err
		}
		steps := 32
		if *quick {
			steps = 4
		}
		t0 := time.Now()
		for i := 0; i < steps; i++ {
			if _, err := m.Forward(st, []int32{int32(i)}, false); err != nil {
				return err
			}
		}
		fmt.Fprintf(tw, "decode (KV cache, after 64)\t%d\t%.1f\t\n", th, float64(steps)/time.Since(t0).Seconds())
	}
	return tw.Flush()
}

// peerGemm is gonum's SGEMM when the binary is built with -tags gonum
// (bench_gonum.go): gonum is a benchmark peer, not linked into the CLI.
var peerGemm func(out, in, w []float32, rows, inDim, outDim int)

func randFloats(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// timeIt returns the best of several runs (after one warm-up).
func timeIt(quick bool, f func()) time.Duration {
	reps := 5
	if quick {
		reps = 1
	}
	f()
	best := time.Duration(1<<63 - 1)
	for i := 0; i < reps; i++ {
		t0 := time.Now()
		f()
		best = min(best, time.Since(t0))
	}
	return best
}
