package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/internal/clip"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/constrain"
	_ "github.com/ponder-go/ponder/localmodel/gpt2"  // llm.c, safetensors, Ponder checkpoints
	_ "github.com/ponder-go/ponder/localmodel/llama" // GGUF
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

func init() {
	register("tokenize", "print the token ids of stdin as a JSON array (-vocab gpt2|tokenizer.json, or -model FILE)", tokenize)
	register("detokenize", "read a JSON array of token ids on stdin and write the decoded bytes", detokenize)
	register("logits", "print the logits at every position of -tokens as JSON (-model FILE)", logits)
	register("generate", "generate text with a local model (-model FILE.gguf, ollama:NAME or a GPT-2 checkpoint)", generate)
}

// stdin is replaceable in tests.
var stdin io.Reader = os.Stdin

func tokenize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokenize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vocab := fs.String("vocab", "gpt2", "gpt2, a Hugging Face tokenizer.json or a Ponder tokenizer file")
	model := fs.String("model", "", "use this model file's tokenizer (GGUF, Ponder) instead of -vocab")
	special := fs.Bool("special", false, "encode special-token text (<|endoftext|>, <|im_start|>...) as its id")
	if err := parse(fs, args); err != nil {
		return err
	}
	tok, done, err := openTokenizer(*vocab, *model)
	if err != nil {
		return err
	}
	defer done()
	data, err := io.ReadAll(stdin)
	if err != nil {
		return err
	}
	var ids []int32
	if *special {
		ids = tok.EncodeSpecial(string(data))
	} else {
		ids = tok.Encode(string(data))
	}
	if ids == nil {
		ids = []int32{}
	}
	b, _ := json.Marshal(ids)
	_, err = fmt.Fprintln(stdout, string(b))
	return err
}

func detokenize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("detokenize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vocab := fs.String("vocab", "gpt2", "gpt2, a Hugging Face tokenizer.json or a Ponder tokenizer file")
	model := fs.String("model", "", "use this model file's tokenizer (GGUF, Ponder) instead of -vocab")
	if err := parse(fs, args); err != nil {
		return err
	}
	tok, done, err := openTokenizer(*vocab, *model)
	if err != nil {
		return err
	}
	defer done()
	ids, err := readTokenIDs(stdin)
	if err != nil {
		return err
	}
	b, err := tok.Decode(ids)
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

// readTokenIDs reads exactly one JSON array of token ids: null, another
// value or anything after the array is an error.
func readTokenIDs(r io.Reader) ([]int32, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	trimmed := strings.TrimSpace(string(data))
	if !strings.HasPrefix(trimmed, "[") {
		return nil, fmt.Errorf("stdin: want a JSON array of token ids such as [15496, 995], got %q", clip.String(trimmed, 40))
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	var ids []int32
	if err := dec.Decode(&ids); err != nil {
		return nil, fmt.Errorf("stdin: want a JSON array of token ids: %w", err)
	}
	if dec.More() || dec.InputOffset() != int64(len(trimmed)) {
		return nil, fmt.Errorf("stdin: unexpected text after the array of token ids: %q", clip.String(trimmed[dec.InputOffset():], 40))
	}
	return ids, nil
}

// openTokenizer opens -vocab, or the tokenizer of -model when given.
func openTokenizer(vocab, model string) (tokenizer.Tokenizer, func(), error) {
	if model == "" {
		tok, err := tokenizer.Open(vocab)
		return tok, func() {}, err
	}
	m, err := loadWithTokenizer(model)
	if err != nil {
		return nil, nil, err
	}
	return m.Tok, func() { m.Close() }, nil
}

func parseTokens(s string) ([]int32, error) {
	var out []int32
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("-tokens: %q is not a token id", f)
		}
		out = append(out, int32(n))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-tokens: no token ids")
	}
	return out, nil
}

func logits(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("logits", flag.ContinueOnError)
	fs.SetOutput(stderr)
	weights := fs.String("weights", "", "checkpoint file")
	fs.StringVar(weights, "model", "", "model file: GGUF (Llama, Qwen2, Qwen3), llm.c, Hugging Face GPT-2 safetensors or Ponder")
	_ = fs.MarkHidden("weights") // the older name of -model
	tokens := fs.String("tokens", "", "comma-separated token ids")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *weights == "" || *tokens == "" {
		fmt.Fprintln(stderr, "usage: ponder logits -model FILE -tokens 1,2,3")
		return errUsage
	}
	ids, err := parseTokens(*tokens)
	if err != nil {
		return err
	}
	m, err := localmodel.Load(*weights)
	if err != nil {
		return err
	}
	defer m.Close()
	lg, err := m.Net.Forward(m.Net.NewState(), ids, true)
	if err != nil {
		return err
	}
	V := m.Net.VocabSize()
	rows := make([][]float32, len(ids))
	for i := range rows {
		rows[i] = lg[i*V : (i+1)*V]
	}
	return json.NewEncoder(stdout).Encode(rows)
}

func generate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	weights := fs.String("weights", "", "checkpoint file")
	fs.StringVar(weights, "model", "", "model file: GGUF (Llama, Qwen2, Qwen3), llm.c, Hugging Face GPT-2 safetensors or Ponder")
	_ = fs.MarkHidden("weights") // the older name of -model
	n := fs.Int("max-tokens", 64, "tokens to generate at most")
	fs.IntVar(n, "n", 64, "same as -max-tokens")
	_ = fs.MarkHidden("n")
	temp := fs.Float64("temperature", 0, "sampling temperature (0: greedy)")
	topP := fs.Float64("top-p", 1, "nucleus sampling mass")
	topK := fs.Int("top-k", 0, "sample among the k most likely tokens (0: all)")
	seed := fs.Uint64("seed", 0, "random seed")
	regex := fs.String("regex", "", "constrain the output to match this regular expression")
	schemaFile := fs.String("json-schema", "", "constrain the output to JSON valid for the schema in `FILE`")
	choices := fs.String("choices", "", "constrain the output to one of these comma-separated strings")
	if err := parse(fs, args); err != nil {
		return err
	}
	prompt := question(fs.Args())
	var c *llm.Constraint
	switch {
	case *regex != "":
		c = &llm.Constraint{Kind: llm.ConstraintRegex, Regex: *regex}
	case *schemaFile != "":
		b, err := os.ReadFile(*schemaFile)
		if err != nil {
			return err
		}
		c = llm.JSONSchema("output", b)
	case *choices != "":
		c = &llm.Constraint{Kind: llm.ConstraintChoice, Choices: strings.Split(*choices, ",")}
	}
	if *weights == "" {
		fmt.Fprintln(stderr, "usage: ponder generate -model FILE [-max-tokens 64] [-temperature T] [-top-p P] [-seed S] \"prompt\"")
		return errUsage
	}
	m, err := loadWithTokenizer(*weights)
	if err != nil {
		return err
	}
	defer m.Close()
	opts := localmodel.GenerateOptions{MaxTokens: *n,
		Sampling: localmodel.Sampling{Temperature: *temp, TopP: *topP, TopK: *topK, Seed: *seed},
		OnToken:  func(_ int, s string) error { _, err := io.WriteString(stdout, s); return err }}
	if c != nil {
		prog, err := constrain.Compile(c)
		if err != nil {
			return err
		}
		opts.Constraint = constrain.NewMatcher(prog, m.ConstraintIndex(), m.StopToken())
	}
	fmt.Fprint(stdout, prompt)
	out, _, err := m.Generate(ctx, m.EncodeText(prompt), opts)
	fmt.Fprintln(stdout)
	if err == nil && c != nil && out[0].FinishReason != llm.FinishStop {
		return fmt.Errorf("the constrained output was cut at -n %d tokens before it was complete", *n)
	}
	return err
}

// loadWithTokenizer loads a checkpoint that can read and write text: its own
// tokenizer, or GPT-2's for a 50,257-token vocabulary.
func loadWithTokenizer(path string) (*localmodel.Model, error) {
	m, err := localmodel.Load(path)
	if err != nil {
		return nil, err
	}
	if m.Tok == nil {
		m.Close()
		return nil, fmt.Errorf("%s: a %d-token vocabulary and no tokenizer of its own (GPT-2's 50,257 tokens get GPT-2's BPE)", path, m.Net.VocabSize())
	}
	return m, nil
}
