package main

import (
	"context"
	"errors"
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

// A stage is one training run of the recipe, on its own generated world.
type stage struct {
	name   string
	typed  bool // half the questions as people type them (else all in the trained wordings)
	traces int
	steps  int
	seq    int
	lr     float64
}

// tinyRecipe is what `ponder train react-tiny -out FILE` runs: a curriculum
// in one command. A small transformer learns to copy a figure from an
// observation late and suddenly; on the trained wordings alone it does so
// within a few thousand steps, while on data mixed with questions as
// people type them a single run of the same length from scratch did not
// (see localmodel/agentmodel/README.md). So the first stage learns the
// trace format and copying on the plain wordings, in rows of 320 tokens
// (more optimizer steps for the tokens), and the next two add the typed
// questions and refusals on new worlds at a lower learning rate, in rows
// of 512 so every trace's end is trained.
var tinyRecipe = []stage{
	{name: "copy", typed: false, traces: 60000, steps: 4500, seq: 320, lr: 3e-3},
	{name: "typed", typed: true, traces: 36000, steps: 1800, seq: 512, lr: 1e-3},
	{name: "settle", typed: true, traces: 14000, steps: 600, seq: 512, lr: 5e-4},
}

// trainRun is what a stage or a single run needs beyond its stage.
type trainRun struct {
	stage
	seed          uint64
	batch, vocab  int
	layers, chans int
	budget        time.Duration
	out           string
	start         *gpt2.Model
	tok           *tokenizer.BPE
	stdout        io.Writer
}

func trainCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		args = []string{"react-tiny", "-h"}
	}
	if len(args) == 0 || args[0] != "react-tiny" {
		fmt.Fprintln(stderr, "usage: ponder train react-tiny -out FILE [-seed S] [-minutes M]   (the recipe: three stages)\n       ponder train react-tiny -out FILE -steps N [-traces N] [-seq N] [-lr X] [-init FILE]   (one run)")
		return errUsage
	}
	fs := flag.NewFlagSet("train react-tiny", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "checkpoint to write (Ponder format); an interrupted run resumes from FILE and FILE.optim (the recipe from FILE.stageN too)")
	traces := fs.Int("traces", 120000, "one run: synthetic traces to generate")
	steps := fs.Int("steps", 4300, "one run: training steps (the schedule's length); giving it (or -traces, -seq, -lr, -init) trains one run instead of the recipe")
	minutes := fs.Float64("minutes", 0, "stop (and save) after this many minutes in all; 0: run all steps")
	batch := fs.Int("batch", 8, "rows per step")
	seq := fs.Int("seq", 512, "one run: tokens per row")
	vocab := fs.Int("vocab", 512, "BPE vocabulary size")
	lr := fs.Float64("lr", 3e-3, "one run: peak learning rate")
	seed := fs.Uint64("seed", 1, "seed of the world, the data order and the initial weights (stage k of the recipe uses seed+k-1)")
	layers := fs.Int("layers", TinyConfig.Layers, "transformer layers")
	channels := fs.Int("channels", TinyConfig.Channels, "channels")
	initFrom := fs.String("init", "", "one run: start from this checkpoint's weights and tokenizer (Ponder format) with a fresh optimizer and schedule; give a new -seed for new data")
	scale := fs.Float64("scale", 1, "the recipe: multiply every stage's traces and steps by this (a quick trial of the whole recipe)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errUsage
	}
	if *scale <= 0 || *scale > 10 {
		return fmt.Errorf("train: -scale %g: want a factor in (0, 10]", *scale)
	}
	t0 := time.Now()
	run := trainRun{seed: *seed, batch: *batch, vocab: *vocab, layers: *layers, chans: *channels,
		budget: time.Duration(*minutes * float64(time.Minute)), stdout: stdout}
	single := *initFrom != ""
	for _, name := range []string{"steps", "traces", "seq", "lr"} {
		single = single || fs.Changed(name)
	}
	if single {
		run.stage = stage{name: "one run", typed: true, traces: *traces, steps: *steps, seq: *seq, lr: *lr}
		run.out = *out
		// The checkpoint to start from is read first: a wrong path fails
		// before minutes of data generation.
		if *initFrom != "" {
			var err error
			if run.start, run.tok, err = readCheckpoint(*initFrom); err != nil {
				return fmt.Errorf("train: -init %s: %w", *initFrom, err)
			}
		}
		return run.resumeAndTrain(ctx)
	}
	for i, st := range tinyRecipe {
		run.stage = st
		run.steps = max(1, int(float64(st.steps)**scale))
		run.traces = max(1, int(float64(st.traces)**scale))
		run.seed = *seed + uint64(i)
		run.out = *out
		if i < len(tinyRecipe)-1 {
			run.out = fmt.Sprintf("%s.stage%d", *out, i+1)
		}
		if *minutes > 0 {
			run.budget = time.Duration(*minutes*float64(time.Minute)) - time.Since(t0)
			if run.budget <= 0 {
				return fmt.Errorf("train: the %g-minute budget ran out before stage %d (%s); run the same command again to resume", *minutes, i+1, st.name)
			}
		}
		fmt.Fprintf(stdout, "stage %d/%d (%s): %d traces (%s), %d steps of %dx%d tokens, learning rate %g, seed %d -> %s\n",
			i+1, len(tinyRecipe), st.name, run.traces, map[bool]string{false: "trained wordings", true: "half typed by people"}[st.typed],
			run.steps, run.batch, run.seq, run.lr, run.seed, run.out)
		if done, err := train.SavedStep(run.out); err == nil && done >= run.steps {
			fmt.Fprintf(stdout, "stage %d already trained (%s at step %d)\n", i+1, run.out, done)
		} else if err := run.resumeAndTrain(ctx); err != nil {
			return err
		}
		if i < len(tinyRecipe)-1 {
			// The next stage starts from this one's weights and tokenizer,
			// once this one has run all its steps.
			if done, err := train.SavedStep(run.out); err != nil || done < run.steps {
				return fmt.Errorf("train: stage %d stopped at step %d of %d (the -minutes budget); run the same command again to resume", i+1, done, run.steps)
			}
			var err error
			if run.start, run.tok, err = readCheckpoint(run.out); err != nil {
				return fmt.Errorf("train: stage %d: %w", i+1, err)
			}
		}
	}
	fmt.Fprintf(stdout, "recipe done in %s: wrote %s\n", time.Since(t0).Round(time.Second), *out)
	return nil
}

// readCheckpoint reads a Ponder checkpoint written by 'ponder train'.
func readCheckpoint(path string) (*gpt2.Model, *tokenizer.BPE, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	m, tok, err := gpt2.Read(data)
	if err != nil {
		return nil, nil, err
	}
	if tok == nil {
		return nil, nil, errors.New("the checkpoint has no tokenizer (want one written by 'ponder train')")
	}
	return m, tok, nil
}

// resumeAndTrain trains one run into r.out. An earlier run that saved
// r.out.optim is continued from r.out's weights (the optimizer state alone
// would pair saved moments with fresh weights).
func (r trainRun) resumeAndTrain(ctx context.Context) error {
	if _, err := train.SavedStep(r.out); err == nil {
		m, tok, err := readCheckpoint(r.out)
		if err != nil {
			return fmt.Errorf("train: resuming %s: %w", r.out, err)
		}
		r.start, r.tok = m, tok
		fmt.Fprintf(r.stdout, "resuming from %s\n", r.out)
	}
	return r.train(ctx)
}

func (r trainRun) train(ctx context.Context) error {
	t0 := time.Now()
	gen := synth.TrainedExamples
	if r.typed {
		gen = synth.Examples
	}
	ex, err := gen(ctx, r.seed, 3000, r.traces)
	if err != nil {
		return err
	}
	tok := r.tok
	if tok == nil {
		texts := make([]string, 0, 3000)
		for i := 0; i < len(ex) && i < 3000; i++ {
			texts = append(texts, ex[i].Text)
		}
		if tok, err = tokenizer.TrainBPE(texts, r.vocab, true, tokenizer.EndOfText); err != nil {
			return err
		}
	}
	eot, _ := tok.SpecialID(tokenizer.EndOfText)
	ds := &train.Dataset{}
	context := TinyConfig.MaxSeq
	if r.start != nil {
		context = r.start.Config.MaxSeq
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
	if len(ds.Tokens) == 0 {
		return fmt.Errorf("train: no trace fits the context of %d tokens", context)
	}
	fmt.Fprintf(r.stdout, "data: %d traces, %d tokens (%.0f per trace, longest %d; %d left out, longer than the context), vocabulary %d, built in %s\n",
		len(ex)-tooLong, len(ds.Tokens), float64(len(ds.Tokens))/float64(len(ex)-tooLong), longest, tooLong, tok.VocabSize(), time.Since(t0).Round(time.Millisecond))
	m := r.start
	if m == nil {
		cfg := TinyConfig
		cfg.Layers, cfg.Channels = r.layers, r.chans
		cfg.Vocab, cfg.PaddedVocab = tok.VocabSize(), tok.VocabSize()
		if m, err = gpt2.NewRandom(cfg, r.seed); err != nil {
			return err
		}
	}
	cfg := m.Config
	fmt.Fprintf(r.stdout, "model: %d layers, %d channels, %d heads, context %d, %.2fM parameters\n", cfg.Layers, cfg.Channels, cfg.Heads, cfg.MaxSeq, float64(cfg.NumParams())/1e6)
	bar := newProgress(r.stdout)
	res, err := train.Run(train.New(m, tok), ds, train.Options{Steps: r.steps, Batch: r.batch, Seq: r.seq, Seed: r.seed, Out: r.out,
		Schedule: train.Schedule{LR: r.lr, MinLR: r.lr / 10, Warmup: 100, Steps: r.steps},
		Budget:   r.budget,
		OnStep: func(step, steps int, loss, tps float64) {
			bar.update(step, steps, fmt.Sprintf("step %d/%d loss %.3f %.0f tok/s", step, steps, loss, tps))
		}})
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(r.stdout, "trained %d steps, %d tokens in %s (%.0f tok/s); final loss %.3f; wrote %s, %s.loss.svg\n",
		res.Steps, res.Tokens, res.Duration.Round(time.Second), float64(res.Tokens)/res.Duration.Seconds(), res.Loss, r.out, r.out)
	return nil
}
