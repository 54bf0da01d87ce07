package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/localmodel/gpt2"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
	"github.com/ponder-go/ponder/localmodel/train"
	"github.com/ponder-go/ponder/react/synth"
)

func init() {
	register("train", "train the bundled tiny ReAct agent model: ponder train react-tiny -out FILE", trainCmd)
}

// TinyConfig is the shape of the bundled agent model (vocabulary set by the
// trained tokenizer).
var TinyConfig = gpt2.Config{MaxSeq: 512, Layers: 4, Heads: 4, Channels: 128}

func trainCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		args = []string{"react-tiny", "-h"}
	}
	if len(args) == 0 || args[0] != "react-tiny" {
		fmt.Fprintln(stderr, "usage: ponder train react-tiny -out FILE [-traces N] [-steps N] [-minutes M] [-seed S]")
		return errUsage
	}
	fs := flag.NewFlagSet("train react-tiny", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "checkpoint to write (Ponder format); resumes from FILE.optim if present")
	traces := fs.Int("traces", 120000, "synthetic traces to generate")
	steps := fs.Int("steps", 4300, "training steps (the schedule's length)")
	minutes := fs.Float64("minutes", 0, "stop (and save) after this many minutes; 0: run all steps")
	batch := fs.Int("batch", 8, "rows per step")
	seq := fs.Int("seq", 512, "tokens per row")
	vocab := fs.Int("vocab", 512, "BPE vocabulary size")
	lr := fs.Float64("lr", 3e-3, "peak learning rate")
	seed := fs.Uint64("seed", 1, "seed of the world, the data order and the initial weights")
	layers := fs.Int("layers", TinyConfig.Layers, "transformer layers")
	channels := fs.Int("channels", TinyConfig.Channels, "channels")
	initFrom := fs.String("init", "", "start from this checkpoint's weights and tokenizer (Ponder format) with a fresh optimizer and schedule; give a new -seed for new data")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errUsage
	}
	t0 := time.Now()
	// The checkpoint to start from is read first: a wrong path fails
	// before minutes of data generation.
	var start *gpt2.Model
	var tok *tokenizer.BPE
	if *initFrom != "" {
		data, err := os.ReadFile(*initFrom)
		if err != nil {
			return err
		}
		if start, tok, err = gpt2.Read(data); err != nil {
			return fmt.Errorf("train: -init %s: %w", *initFrom, err)
		}
		if tok == nil {
			return fmt.Errorf("train: -init %s: the checkpoint has no tokenizer (want one written by 'ponder train')", *initFrom)
		}
	}
	ex, err := synth.Examples(ctx, *seed, 3000, *traces)
	if err != nil {
		return err
	}
	if tok == nil {
		texts := make([]string, 0, 3000)
		for i := 0; i < len(ex) && i < 3000; i++ {
			texts = append(texts, ex[i].Text)
		}
		if tok, err = tokenizer.TrainBPE(texts, *vocab, true, tokenizer.EndOfText); err != nil {
			return err
		}
	}
	eot, _ := tok.SpecialID(tokenizer.EndOfText)
	ds := &train.Dataset{}
	context := TinyConfig.MaxSeq
	if start != nil {
		context = start.Config.MaxSeq
	}
	longest, tooLong := 0, 0
	for _, e := range ex {
		ids := tok.Encode(e.Text)
		if len(ids) >= context {
			// The agent could never run a trace longer than the model's
			// context: it would be trained on a prompt it cannot see.
			tooLong++
			continue
		}
		produce := make([]bool, len(ids))
		off := 0
		for i, id := range ids {
			produce[i] = e.Produce[off]
			off += len(tok.Token(id))
		}
		longest = max(longest, len(ids))
		ds.Add(ids, produce, eot)
	}
	fmt.Fprintf(stdout, "data: %d traces, %d tokens (%.0f per trace, longest %d; %d left out, longer than the context), vocabulary %d, built in %s\n",
		len(ex)-tooLong, len(ds.Tokens), float64(len(ds.Tokens))/float64(len(ex)-tooLong), longest, tooLong, tok.VocabSize(), time.Since(t0).Round(time.Millisecond))
	m := start
	if m == nil {
		cfg := TinyConfig
		cfg.Layers, cfg.Channels = *layers, *channels
		cfg.Vocab, cfg.PaddedVocab = tok.VocabSize(), tok.VocabSize()
		if m, err = gpt2.NewRandom(cfg, *seed); err != nil {
			return err
		}
	}
	cfg := m.Config
	fmt.Fprintf(stdout, "model: %d layers, %d channels, %d heads, context %d, %.2fM parameters\n", cfg.Layers, cfg.Channels, cfg.Heads, cfg.MaxSeq, float64(cfg.NumParams())/1e6)
	bar := newProgress(stdout)
	res, err := train.Run(train.New(m, tok), ds, train.Options{Steps: *steps, Batch: *batch, Seq: *seq, Seed: *seed, Out: *out,
		Schedule: train.Schedule{LR: *lr, MinLR: *lr / 10, Warmup: 100, Steps: *steps},
		Budget:   time.Duration(*minutes * float64(time.Minute)),
		OnStep: func(step, steps int, loss, tps float64) {
			bar.update(step, steps, fmt.Sprintf("step %d/%d loss %.3f %.0f tok/s", step, steps, loss, tps))
		}})
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %d steps, %d tokens in %s (%.0f tok/s); final loss %.3f; wrote %s, %s.loss.svg\n",
		res.Steps, res.Tokens, res.Duration.Round(time.Second), float64(res.Tokens)/res.Duration.Seconds(), res.Loss, *out, *out)
	return nil
}
