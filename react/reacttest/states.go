// Package reacttest plays a competent ReAct agent for questions about US
// states, behind llmtest.Server: it reads the question and the observations
// so far and replies with the next step (search, calculate, answer) in text
// mode or as native tool calls. End-to-end tests of the agent, the CLI and
// the examples use it as the "model" on the other end of the wire.
package reacttest

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/tools/corpus"
)

type fact struct {
	state, attr string // attr: "population" or "area"
}

// StatesAgent returns a Respond function for llmtest.Server.
func StatesAgent() func(req *llmtest.ChatRequest, sample int) llmtest.Reply {
	states, err := corpus.States()
	if err != nil {
		panic(err)
	}
	names := make([]string, len(states))
	for i, s := range states {
		names[i] = s.Name
	}
	// Longest names first so "West Virginia" wins over "Virginia".
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	return func(req *llmtest.ChatRequest, _ int) llmtest.Reply {
		native := len(req.Tools) > 0
		q, obs := readConversation(req, native)
		step := plan(q, obs, names)
		if native {
			if step.tool == "" {
				return llmtest.Reply{Content: step.answer}
			}
			arg := "query"
			if step.tool == "calculator" {
				arg = "expression"
			}
			b, _ := json.Marshal(map[string]string{arg: step.input})
			return llmtest.Reply{Content: step.thought, ToolCalls: []llmtest.ToolCallReply{{ID: fmt.Sprintf("call_%d", len(obs)+1), Name: step.tool, Arguments: string(b)}}}
		}
		if step.tool == "" {
			return llmtest.Reply{Content: "Thought: " + step.thought + "\nFinal Answer: " + step.answer}
		}
		// Like a real model, it runs on past the action; the stop sequence cuts it.
		return llmtest.Reply{Content: fmt.Sprintf("Thought: %s\nAction: %s[%s]\nObservation: (imagined)", step.thought, step.tool, step.input)}
	}
}

type observation struct{ tool, input, text string }

var textStep = regexp.MustCompile(`(?m)^Action: (\w+)\[(.*)\]\nObservation: ((?:.|\n)*?)(?:\nThought:|\z)`)

func readConversation(req *llmtest.ChatRequest, native bool) (string, []observation) {
	var q string
	var obs []observation
	if !native {
		user := ""
		for _, m := range req.Messages {
			if m.Role == "user" {
				user = m.Text()
			}
		}
		line, _, _ := strings.Cut(strings.TrimPrefix(user, "Question: "), "\n")
		q = line
		for _, m := range textStep.FindAllStringSubmatch(user, -1) {
			obs = append(obs, observation{m[1], m[2], m[3]})
		}
		return q, obs
	}
	calls := map[string][2]string{}
	for _, m := range req.Messages {
		switch m.Role {
		case "user":
			if q == "" {
				q = m.Text()
			}
		case "assistant":
			for _, tc := range m.ToolCalls {
				var args map[string]string
				_ = json.Unmarshal([]byte(tc.Function.Arguments), &args)
				in := args["query"] + args["expression"]
				calls[tc.ID] = [2]string{tc.Function.Name, in}
			}
		case "tool":
			c := calls[m.ToolCallID]
			obs = append(obs, observation{c[0], c[1], m.Text()})
		}
	}
	return q, obs
}

type next struct {
	thought, tool, input, answer string
}

func plan(q string, obs []observation, names []string) next {
	mentioned := findStates(q, names)
	lq := strings.ToLower(q)
	var op string
	switch {
	case strings.Contains(lq, "density"):
		op = "density"
	case strings.Contains(lq, "times"):
		op = "ratio"
	case strings.Contains(lq, "combined") || strings.Contains(lq, "total") || strings.Contains(lq, "sum"):
		op = "sum"
	case strings.Contains(lq, "how many more") || strings.Contains(lq, "difference"):
		op = "difference"
	default:
		op = "lookup"
	}
	attr := "population"
	if strings.Contains(lq, "area") {
		attr = "area"
	}
	if len(mentioned) == 0 {
		return next{thought: "The question names no state I can look up.", answer: "I cannot tell which state the question is about."}
	}
	var need []fact
	for _, s := range mentioned {
		if op == "density" {
			need = append(need, fact{s, "population"}, fact{s, "area"})
		} else {
			need = append(need, fact{s, attr})
		}
	}
	vals := map[fact]string{}
	for _, f := range need {
		v, ok := findFact(f, obs)
		if !ok {
			return next{thought: fmt.Sprintf("I need the %s of %s.", f.attr, f.state), tool: "search", input: f.attr + " of " + f.state}
		}
		vals[f] = v
	}
	var expr string
	a := mentioned[0]
	switch op {
	case "lookup":
		v := vals[fact{a, attr}]
		unit := " people"
		if attr == "area" {
			unit = " square miles"
		}
		return next{thought: "I now know the final answer.", answer: fmt.Sprintf("The %s of %s is %s%s.", attr, a, v, unit)}
	case "density":
		expr = vals[fact{a, "population"}] + " / " + landArea(a, obs)
	default:
		if len(mentioned) < 2 {
			return next{thought: "I need two states to compare.", answer: "The question needs two states."}
		}
		b := mentioned[1]
		sym := map[string]string{"ratio": "/", "sum": "+", "difference": "-"}[op]
		expr = vals[fact{a, attr}] + " " + sym + " " + vals[fact{b, attr}]
	}
	var result string
	for _, o := range obs {
		if o.tool == "calculator" && o.input == expr {
			result = o.text
		}
	}
	if result == "" {
		return next{thought: "I have the numbers; now I calculate.", tool: "calculator", input: expr}
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(result), 64)
	if err != nil {
		return next{thought: "The calculator failed.", answer: "I could not compute it: " + result}
	}
	switch op {
	case "ratio":
		return next{thought: "I now know the final answer.", answer: fmt.Sprintf("%s's %s is about %.1f times %s's.", a, attr, x, mentioned[1])}
	case "density":
		return next{thought: "I now know the final answer.", answer: fmt.Sprintf("The population density of %s is about %.1f people per square mile.", a, x)}
	default:
		return next{thought: "I now know the final answer.", answer: fmt.Sprintf("The %s of %s is %s.", op, a+" and "+mentioned[1], corpus.Group(math.Abs(x), 0))}
	}
}

func findStates(q string, names []string) []string {
	type hit struct {
		name string
		pos  int
	}
	var hits []hit
	taken := make([]bool, len(q))
	for _, n := range names {
		re := regexp.MustCompile(`\b` + regexp.QuoteMeta(n) + `\b`)
		for _, loc := range re.FindAllStringIndex(q, -1) {
			if taken[loc[0]] {
				continue
			}
			for i := loc[0]; i < loc[1]; i++ {
				taken[i] = true
			}
			hits = append(hits, hit{n, loc[0]})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].pos < hits[j].pos })
	var out []string
	for _, h := range hits {
		out = append(out, h.name)
	}
	return out
}

func findFact(f fact, obs []observation) (string, bool) {
	var re *regexp.Regexp
	if f.attr == "population" {
		re = regexp.MustCompile(`(?:^|[,.:\]] )` + regexp.QuoteMeta(f.state) + ` had a population of ([\d,]+)`)
	} else {
		re = regexp.MustCompile(`(?:^|[,.:\]] )` + regexp.QuoteMeta(f.state) + ` has a total area of ([\d,.]+) square miles`)
	}
	for _, o := range obs {
		if m := re.FindStringSubmatch(o.text); m != nil {
			return m[1], true
		}
	}
	return "", false
}

func landArea(state string, obs []observation) string {
	re := regexp.MustCompile(regexp.QuoteMeta(state) + ` has a land area of ([\d,.]+) square miles`)
	for _, o := range obs {
		if m := re.FindStringSubmatch(o.text); m != nil {
			return m[1]
		}
	}
	return "1"
}
