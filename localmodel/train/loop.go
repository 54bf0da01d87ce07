package train

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/ponder-go/ponder/localmodel/gpt2"
)

// Dataset is a packed token stream with a loss weight per token (the weight
// of predicting that token) and the offsets where examples start.
type Dataset struct {
	Tokens  []int32
	Weights []float32
	Starts  []int
}

// Add appends one example: its tokens, and which of them the model must
// produce. Examples are separated by sep (end-of-text), which is trained on
// so the model learns to stop.
func (d *Dataset) Add(tokens []int32, produce []bool, sep int32) {
	d.Starts = append(d.Starts, len(d.Tokens))
	for i, t := range tokens {
		d.Tokens = append(d.Tokens, t)
		w := float32(0)
		if produce[i] {
			w = 1
		}
		d.Weights = append(d.Weights, w)
	}
	d.Tokens = append(d.Tokens, sep)
	d.Weights = append(d.Weights, 1)
}

// Batch draws B windows of T tokens starting at example starts (so every
// row begins like an agent prompt), deterministically from r.
func (d *Dataset) Batch(r *rand.Rand, B, T int) Batch {
	b := Batch{B: B, T: T, Inputs: make([]int32, B*T), Targets: make([]int32, B*T), Weights: make([]float32, B*T)}
	for row := 0; row < B; row++ {
		start := d.Starts[r.IntN(len(d.Starts))]
		for t := 0; t < T; t++ {
			i := (start + t) % (len(d.Tokens) - 1)
			b.Inputs[row*T+t] = d.Tokens[i]
			b.Targets[row*T+t] = d.Tokens[i+1]
			b.Weights[row*T+t] = d.Weights[i+1]
		}
	}
	return b
}

// Options control a training run.
type Options struct {
	Steps      int           // total steps (the schedule's length)
	Batch, Seq int           // rows and tokens per row
	Schedule   Schedule      // learning rate
	Optim      AdamW         // default DefaultAdamW
	Seed       uint64        // batch order
	Budget     time.Duration // stop early (and save) after this long; 0: none
	Out        string        // checkpoint path (Ponder format); also Out.optim and Out.loss.svg
	Every      int           // save every so many steps (default 200)
	OnStep     func(step, steps int, loss float64, tokPerSec float64)
}

// Result summarises a run.
type Result struct {
	Steps    int
	Loss     float64 // mean of the last 20 steps
	Tokens   int
	Duration time.Duration
	Losses   []float64
}

// Run trains tr on d, resuming from Out.optim when present.
func Run(tr *Trainer, d *Dataset, o Options) (Result, error) {
	if o.Optim == (AdamW{}) {
		o.Optim = DefaultAdamW
	}
	if o.Every <= 0 {
		o.Every = 200
	}
	var res Result
	if o.Out != "" {
		if losses, err := tr.loadOptim(o.Out + ".optim"); err == nil {
			res.Losses = losses
		} else if !errors.Is(err, os.ErrNotExist) {
			return res, err
		}
	}
	r := rand.New(rand.NewPCG(o.Seed, 77))
	for i := 0; i < tr.Step; i++ { // replay the batch order when resuming
		d.Batch(r, o.Batch, o.Seq)
	}
	start := time.Now()
	for tr.Step < o.Steps {
		b := d.Batch(r, o.Batch, o.Seq)
		loss, err := tr.Forward(b)
		if err != nil {
			return res, err
		}
		tr.Backward(b)
		tr.Update(o.Optim, o.Schedule.At(tr.Step))
		res.Losses = append(res.Losses, loss)
		res.Tokens += o.Batch * o.Seq
		if o.OnStep != nil {
			o.OnStep(tr.Step, o.Steps, loss, float64(res.Tokens)/time.Since(start).Seconds())
		}
		stop := o.Budget > 0 && time.Since(start) > o.Budget
		if o.Out != "" && (tr.Step%o.Every == 0 || tr.Step == o.Steps || stop) {
			if err := tr.save(o.Out, res.Losses); err != nil {
				return res, err
			}
		}
		if stop {
			break
		}
	}
	res.Steps, res.Duration = tr.Step, time.Since(start)
	n := min(20, len(res.Losses))
	for _, l := range res.Losses[len(res.Losses)-n:] {
		res.Loss += l / float64(n)
	}
	return res, nil
}

func (tr *Trainer) save(out string, losses []float64) error {
	tmp := out + ".tmp"
	if err := gpt2.SavePonder(tmp, tr.Model, tr.Tok); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	if err := tr.saveOptim(out+".optim", losses); err != nil {
		return err
	}
	return os.WriteFile(out+".loss.svg", []byte(LossSVG(losses)), 0o644)
}

// SavedStep reports the step at which a run writing out last saved (read
// from out.optim), so a caller can tell a finished run from one to resume.
// A run never saved gives an error wrapping os.ErrNotExist.
func SavedStep(out string) (int, error) {
	f, err := os.Open(out + ".optim")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var step uint64
	if err := binary.Read(f, binary.LittleEndian, &step); err != nil || step > 1<<40 {
		return 0, fmt.Errorf("train: %s.optim: no step recorded", out)
	}
	return int(step), nil
}

// saveOptim writes step, AdamW moments and the loss history.
func (tr *Trainer) saveOptim(path string, losses []float64) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	w := func(v any) {
		if err == nil {
			err = binary.Write(f, binary.LittleEndian, v)
		}
	}
	w(uint64(tr.Step))
	w(uint64(len(tr.m)))
	w(tr.m)
	w(tr.v)
	w(uint64(len(losses)))
	w(losses)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

func (tr *Trainer) loadOptim(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var step, n, nl uint64
	if err := binary.Read(f, binary.LittleEndian, &step); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	if err := binary.Read(f, binary.LittleEndian, &n); err != nil || int(n) != len(tr.m) {
		return nil, fmt.Errorf("train: %s holds %d moments, the model has %d parameters", path, n, len(tr.m))
	}
	if err := binary.Read(f, binary.LittleEndian, tr.m); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	if err := binary.Read(f, binary.LittleEndian, tr.v); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	if err := binary.Read(f, binary.LittleEndian, &nl); err != nil || nl > 1<<24 {
		return nil, fmt.Errorf("train: %s: bad loss history", path)
	}
	losses := make([]float64, nl)
	if err := binary.Read(f, binary.LittleEndian, losses); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	tr.Step = int(step)
	return losses, nil
}

// LossSVG draws the loss curve (raw and a 50-step moving average).
func LossSVG(losses []float64) string {
	const W, H, pad = 640.0, 320.0, 40.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`, W, H)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>`)
	if len(losses) == 0 {
		return b.String() + "</svg>"
	}
	hi, lo := 0.0, math.Inf(1)
	for _, l := range losses {
		hi, lo = math.Max(hi, l), math.Min(lo, l)
	}
	x := func(i int) float64 { return pad + (W-2*pad)*float64(i)/math.Max(1, float64(len(losses)-1)) }
	y := func(v float64) float64 { return H - pad - (H-2*pad)*(v-lo)/math.Max(1e-9, hi-lo) }
	line := func(vals []float64, color string, width float64) {
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="%.1f" points="`, color, width)
		for i, v := range vals {
			fmt.Fprintf(&b, "%.1f,%.1f ", x(i), y(v))
		}
		b.WriteString(`"/>`)
	}
	line(losses, "#9ab", 1)
	avg := make([]float64, len(losses))
	var sum float64
	for i, l := range losses {
		sum += l
		if i >= 50 {
			sum -= losses[i-50]
		}
		avg[i] = sum / float64(min(i+1, 50))
	}
	line(avg, "#c33", 2)
	fmt.Fprintf(&b, `<text x="%.0f" y="20">training loss: %d steps, last (50-step mean) %.3f</text>`, pad, len(losses), avg[len(avg)-1])
	fmt.Fprintf(&b, `<text x="4" y="%.0f">%.2f</text><text x="4" y="%.0f">%.2f</text>`, pad, hi, H-pad, lo)
	return b.String() + "</svg>"
}
