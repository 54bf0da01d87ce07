package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/llm"
)

func init() {
	register("chat", "chat in the terminal with a model (-model FILE.gguf|ollama:NAME, or an OpenAI backend)", chatCmd)
}

const chatHelp = `/reset forgets the conversation, /system TEXT sets the system prompt, /exit (or end of input) quits`

func chatCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	be := fs.String("backend", "auto", "model backend: auto, openai or local")
	model := fs.String("model", "", "model: a GGUF file or ollama:NAME[:TAG] for local, a model name for openai")
	system := fs.String("system", "", "system prompt")
	temp := fs.Float64("temperature", 0.7, "sampling temperature (0: greedy)")
	maxTokens := fs.Int("max-tokens", 512, "longest reply in tokens")
	seed := fs.Int64("seed", 0, "random seed (0: vary)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ponder chat [-model FILE.gguf|ollama:NAME[:TAG]] [-backend auto|openai|local] [-system TEXT]\n"+chatHelp)
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if backend.Bundled(*be, *model) {
		return errors.New("the bundled agent model is not a chat model: give -model FILE.gguf (or ollama:NAME), or set OPENAI_API_KEY / OPENAI_BASE_URL for a server")
	}
	m, err := backend.Open(*be, *model)
	if err != nil {
		return err
	}
	if c, ok := m.(io.Closer); ok {
		defer c.Close()
	}
	var history []llm.Message
	sys := *system
	fmt.Fprintf(stdout, "Chatting with %s. %s.\n", cmp.Or(*model, backend.Resolve(*be)), chatHelp)
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	for turn := 0; ; turn++ {
		fmt.Fprint(stdout, "> ")
		if !in.Scan() {
			fmt.Fprintln(stdout)
			return in.Err()
		}
		line := strings.TrimSpace(in.Text())
		switch {
		case line == "":
			continue
		case line == "/exit" || line == "/quit":
			return nil
		case line == "/reset":
			history = nil
			fmt.Fprintln(stdout, "(conversation cleared)")
			continue
		case strings.HasPrefix(line, "/system"):
			sys = strings.TrimSpace(strings.TrimPrefix(line, "/system"))
			fmt.Fprintf(stdout, "(system prompt set: %q)\n", sys)
			continue
		case strings.HasPrefix(line, "/"):
			fmt.Fprintln(stdout, "(unknown command; "+chatHelp+")")
			continue
		}
		history = append(history, llm.User(line))
		reply, err := chatTurn(ctx, m, sys, &history, *temp, *maxTokens, *seed+int64(turn), stdout)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(stdout, "\n(error: %v)\n", err)
			history = history[:len(history)-1]
			continue
		}
		history = append(history, llm.Assistant(reply))
	}
}

// chatTurn streams one reply; when the conversation no longer fits the
// context it drops the oldest exchanges and tries again.
func chatTurn(ctx context.Context, m llm.Model, sys string, history *[]llm.Message, temp float64, maxTokens int, seed int64, stdout io.Writer) (string, error) {
	for {
		msgs := *history
		if sys != "" {
			msgs = append([]llm.Message{llm.System(sys)}, msgs...)
		}
		req := llm.Request{Messages: msgs, Temperature: llm.Temp(temp), MaxTokens: maxTokens}
		if seed != 0 {
			req.Seed = llm.Seed(seed)
		}
		var resp *llm.Response
		var err error
		streamed := false
		if s, ok := m.(llm.Streamer); ok {
			resp, err = s.Stream(ctx, req, func(c llm.Chunk) error {
				streamed = true
				_, werr := io.WriteString(stdout, c.Text)
				return werr
			})
		} else {
			resp, err = m.Generate(ctx, req)
		}
		var le *llm.Error
		if errors.As(err, &le) && le.Kind == llm.ErrContextLength && len(*history) > 2 {
			*history = (*history)[2:] // the oldest user/assistant exchange
			fmt.Fprintln(stdout, "(the conversation outgrew the context: dropped the oldest exchange)")
			continue
		}
		if err != nil {
			return "", err
		}
		text := resp.Text()
		if !streamed {
			fmt.Fprint(stdout, text)
		}
		fmt.Fprintln(stdout)
		return text, nil
	}
}
