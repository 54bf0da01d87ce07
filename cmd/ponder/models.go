package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/localmodel/ollama"
)

func init() {
	register("models", "list the models in Ollama's local store (use one with -model ollama:NAME[:TAG])", modelsCmd)
}

func modelsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("models", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := ollama.Dir()
	if err != nil {
		return err
	}
	list, err := ollama.List()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintf(stdout, "no models in the Ollama store at %s (OLLAMA_MODELS sets another; 'ollama pull NAME' adds one)\n", dir)
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "MODEL\tSIZE\tMODIFIED\tFILE")
	for _, m := range list {
		fmt.Fprintf(w, "ollama:%s\t%s\t%s\t%s\n", m.Name, humanBytes(m.Size), m.Modified.Format("2006-01-02 15:04"), m.Path)
	}
	return w.Flush()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
