package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/agentmodel"
	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/gpt2"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

func init() {
	register("convert", "export a GPT-2 checkpoint (Ponder, llm.c, Hugging Face; the bundled agent model by default) to GGUF for llama.cpp", convertCmd)
}

func convertCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("model", "", "checkpoint to export (Ponder, llm.c or Hugging Face GPT-2 safetensors); empty: the bundled agent model")
	out := fs.String("out", "", "GGUF file to write")
	typName := fs.String("type", "f32", "tensor type of the matrices: f32, f16, bf16 or q8_0")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ponder convert [-model FILE] -out FILE.gguf [-type f32|f16|bf16|q8_0]")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errUsage
	}
	typ, ok := map[string]gguf.Type{"f32": gguf.F32, "f16": gguf.F16, "bf16": gguf.BF16, "q8_0": gguf.Q8_0}[strings.ToLower(*typName)]
	if !ok {
		return fmt.Errorf("-type %q: want f32, f16, bf16 or q8_0", *typName)
	}
	var m *localmodel.Model
	var err error
	if *in == "" {
		m, err = agentmodel.Load()
	} else {
		m, err = localmodel.Load(*in)
	}
	if err != nil {
		return err
	}
	defer m.Close()
	net := gpt2.Network(m)
	if net == nil {
		return fmt.Errorf("%s is a %s model: convert exports GPT-2 checkpoints (GGUF files are already GGUF)", *in, m.Arch)
	}
	tok, ok := m.Tok.(*tokenizer.BPE)
	if !ok {
		return errors.New("the checkpoint has no byte-level BPE tokenizer to export")
	}
	var w gguf.Writer
	warning, err := gpt2.WriteGGUF(&w, net, tok, typ)
	if err != nil {
		return err
	}
	if warning != "" {
		fmt.Fprintln(stderr, "ponder convert: warning:", warning)
	}
	if err := w.WriteFile(*out); err != nil {
		return err
	}
	c := net.Config
	fmt.Fprintf(stdout, "wrote %s: gpt2, %d layers, %d channels, %d heads, vocabulary %d, context %d, %s\n", *out, c.Layers, c.Channels, c.Heads, c.Vocab, c.MaxSeq, typ)
	return nil
}
