package train

import "math"

// Schedule is warmup + cosine decay of the learning rate.
type Schedule struct {
	LR, MinLR     float64
	Warmup, Steps int
}

// At returns the learning rate at step (0-based).
func (s Schedule) At(step int) float64 {
	if s.Warmup > 0 && step < s.Warmup {
		return s.LR * float64(step+1) / float64(s.Warmup)
	}
	if s.Steps <= s.Warmup {
		return s.LR
	}
	p := math.Min(1, float64(step-s.Warmup)/float64(s.Steps-s.Warmup))
	return s.MinLR + 0.5*(s.LR-s.MinLR)*(1+math.Cos(math.Pi*p))
}

// AdamW settings.
type AdamW struct {
	Beta1, Beta2, Eps, WeightDecay float64
	// ClipNorm clips the global gradient norm (0: no clipping).
	ClipNorm float64
}

// DefaultAdamW are GPT-2-style settings.
var DefaultAdamW = AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, ClipNorm: 1}

// Update applies one AdamW step with learning rate lr and returns the
// gradient norm before clipping. Weight decay applies to the weight
// matrices only (not biases, LayerNorm gains or position embeddings).
func (tr *Trainer) Update(o AdamW, lr float64) float64 {
	var sq float64
	for _, g := range tr.Grads {
		sq += float64(g) * float64(g)
	}
	norm := math.Sqrt(sq)
	scale := 1.0
	if o.ClipNorm > 0 && norm > o.ClipNorm {
		scale = o.ClipNorm / norm
	}
	tr.Step++
	b1c := 1 - math.Pow(o.Beta1, float64(tr.Step))
	b2c := 1 - math.Pow(o.Beta2, float64(tr.Step))
	p := tr.Model.Flat()
	decay := tr.decayMask()
	for i := range p {
		g := float64(tr.Grads[i]) * scale
		m := o.Beta1*float64(tr.m[i]) + (1-o.Beta1)*g
		v := o.Beta2*float64(tr.v[i]) + (1-o.Beta2)*g*g
		tr.m[i], tr.v[i] = float32(m), float32(v)
		upd := (m / b1c) / (math.Sqrt(v/b2c) + o.Eps)
		if decay[i] {
			upd += o.WeightDecay * float64(p[i])
		}
		p[i] -= float32(lr * upd)
	}
	return norm
}

func (tr *Trainer) decayMask() []bool {
	mask := make([]bool, len(tr.Grads))
	c := tr.Model.Config
	off := 0
	for _, t := range c.Layout() {
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		switch t.Name {
		case "wte", "qkvw", "attprojw", "fcw", "fcprojw":
			for i := off; i < off+n; i++ {
				mask[i] = true
			}
		}
		off += n
	}
	return mask
}
