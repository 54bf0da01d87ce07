package game24

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/ponder-go/ponder/llm"
)

// Compare runs each method on each puzzle with model m and writes a table
// of success rate, model calls and tokens per puzzle, side by side. If
// htmlPath is set, the ToT tree (b=5, else b=1) of the first puzzle is
// written there. It returns the results by method.
func Compare(ctx context.Context, m llm.Model, methods []string, puzzles [][]int, out io.Writer, htmlPath string) (map[string][]MethodResult, error) {
	all := map[string][]MethodResult{}
	for _, method := range methods {
		for i, p := range puzzles {
			r, err := Run(ctx, m, method, p)
			if err != nil {
				return all, fmt.Errorf("%s on %v: %w", method, p, err)
			}
			all[method] = append(all[method], r)
			if i == 0 && htmlPath != "" && r.Tree != nil && (method == "tot-b5" || method == "tot-b1") {
				f, err := os.Create(htmlPath)
				if err != nil {
					return all, err
				}
				err = r.Tree.WriteHTML(f, "Game of 24: "+FormatNumbers(p)+" ("+method+")")
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return all, err
				}
			}
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "method\tpuzzles\tsolved\tsuccess\tcalls/puzzle\ttokens/puzzle\tms/puzzle\t\n")
	for _, method := range methods {
		rs := all[method]
		solved, calls, tokens := 0, 0, 0
		var ms int64
		for _, r := range rs {
			if r.Solved {
				solved++
			}
			calls += r.Calls
			tokens += r.Tokens
			ms += r.Duration.Milliseconds()
		}
		n := max(len(rs), 1)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f%%\t%.1f\t%.0f\t%d\t\n", method, len(rs), solved, 100*float64(solved)/float64(n), float64(calls)/float64(n), float64(tokens)/float64(n), ms/int64(n))
	}
	return all, tw.Flush()
}
