// Self-consistency on a grade-school word problem: chain-of-thought with a
// few worked examples, ten samples at temperature 0.7, answers extracted,
// normalised and put to a vote.
//
//	go run ./examples/self-consistency [-backend auto|openai|local] [-n 10]
//
// It needs a model: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local
// OpenAI-compatible server (Ollama, vLLM, llama.cpp), and optionally PONDER_MODEL.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/chain"
)

// The problem and examples were written for Ponder (GSM8K style).
const problem = "A library has 4 shelves with 35 books on each shelf. It lends out 27 books, " +
	"then receives a donation of 3 boxes with 12 books in each box. How many books are on the shelves now?"

var examples = []chain.CoTExample{
	{
		Question:  "Tom has 3 bags with 8 marbles each. He gives away 5 marbles. How many marbles does he have left?",
		Reasoning: "Tom starts with 3 * 8 = 24 marbles. He gives away 5, so 24 - 5 = 19 are left.",
		Answer:    "19",
	},
	{
		Question:  "A baker makes 6 trays of 12 rolls and sells 50 rolls. She then bakes 2 more trays. How many rolls does she have?",
		Reasoning: "She makes 6 * 12 = 72 rolls and sells 50, leaving 72 - 50 = 22. Two more trays add 2 * 12 = 24, so 22 + 24 = 46.",
		Answer:    "46",
	},
}

func main() {
	be := flag.String("backend", "auto", "model backend: auto, openai or local")
	model := flag.String("model", "", "model name")
	n := flag.Int("n", 10, "number of reasoning samples")
	flag.Parse()

	m, err := backend.OpenGeneral(*be, *model, "self-consistency")
	if err != nil {
		fmt.Fprintln(os.Stderr, "self-consistency:", err)
		os.Exit(1)
	}
	sc := &chain.SelfConsistency{
		CoT: &chain.CoT{Model: m, Examples: examples, Trigger: chain.StepByStep},
		N:   *n,
	}
	fmt.Println("Q:", problem)
	v, err := sc.Run(context.Background(), problem)
	if v != nil {
		for i, s := range v.Samples {
			if s.Err != "" {
				fmt.Printf("sample %2d: no answer (%s)\n", i+1, s.Err)
				continue
			}
			fmt.Printf("sample %2d: %s\n", i+1, s.Answer)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "self-consistency:", err)
		os.Exit(1)
	}
	fmt.Println("votes:")
	for _, a := range v.Ranked() {
		fmt.Printf("  %-8s %d\n", a, v.Counts[a])
	}
	fmt.Printf("answer: %s (agreement %.0f%%; correct answer 149)\n", v.Answer, 100*v.Agreement)
}
