package react

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/ponder-go/ponder/internal/clip"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/tools"
)

// DefaultInstructions open the text-mode prompt. They follow what works in
// practice: say the model is bad at mental arithmetic and must use the
// calculator, show a worked example, and ask it to check before answering.
const DefaultInstructions = `You answer questions by thinking step by step and using tools.
You are not good at mental arithmetic: use the calculator for ANY arithmetic, even simple sums.
Do not answer facts from memory when you can look them up: use search, one fact per search.`

// DefaultExample is the worked example shown in the text-mode prompt.
const DefaultExample = `Question: What is the combined population of Texas and Florida?
Thought: I need the population of Texas first.
Action: search[population of Texas]
Observation: [1] Texas population: Texas had a population of 29,145,505 at the 2020 United States census.
Thought: Texas had 29,145,505 people. Now I need the population of Florida.
Action: search[population of Florida]
Observation: [1] Florida population: Florida had a population of 21,538,187 at the 2020 United States census.
Thought: Florida had 21,538,187 people. I add the two with the calculator.
Action: calculator[29,145,505 + 21,538,187]
Observation: 50683692
Thought: The sum is 50,683,692. Check: 29.1 million + 21.5 million is about 50.7 million, so it is right.
Final Answer: The combined population of Texas and Florida is 50,683,692.`

const formatHelp = `Use exactly this format, one step per reply:
Thought: what you know so far and what to do next
Action: tool[input]
Then stop and wait: the Observation (the tool's result) will be given to you.
Repeat Thought/Action/Observation as needed. Before answering, check the answer against the question (the right quantities, the right direction of a comparison), then reply:
Thought: I now know the final answer.
Final Answer: the answer, as a sentence with the number`

// FormatReminder is appended as an observation when a reply has neither an
// action nor a final answer.
const FormatReminder = "Reply with 'Thought: ...' and then either 'Action: tool[input]' or 'Final Answer: ...'."

// textSystemPrompt builds the system message for text mode.
func textSystemPrompt(instructions string, reg *tools.Registry, examples []string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(instructions))
	b.WriteString("\n\nTools:\n")
	b.WriteString(reg.Describe())
	b.WriteString("\n")
	b.WriteString(formatHelp)
	for i, ex := range examples {
		if i == 0 {
			b.WriteString("\n\nExample:\n")
		} else {
			b.WriteString("\n\nAnother example:\n")
		}
		b.WriteString(strings.TrimSpace(ex))
	}
	return b.String()
}

// nativeSystemPrompt builds the system message for native function calling.
func nativeSystemPrompt(instructions string) string {
	return strings.TrimSpace(instructions) + "\n\nCall the tools you need, one fact or one calculation per call. " +
		"When you know the answer, check it against the question, then reply with the final answer as a sentence with the number, without calling a tool."
}

// Scratchpad renders the steps so far in the text format.
func Scratchpad(steps []Step) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString(s.Render())
	}
	return b.String()
}

// CompactSteps returns steps as a prompt shows them when the whole
// transcript does not fit the model's context: the last keep steps whole,
// and before them, replies that could not be read dropped and each
// observation cut to its first sentence (at most 160 characters), which in
// a search result is usually the fact that was looked up.
func CompactSteps(steps []Step, keep int) []Step {
	keep = min(max(keep, 0), len(steps))
	out := make([]Step, 0, len(steps))
	for _, s := range steps[:len(steps)-keep] {
		if s.FormatError {
			continue
		}
		s.Observation = firstSentence(s.Observation, 160)
		out = append(out, s)
	}
	return append(out, steps[len(steps)-keep:]...)
}

// firstSentence is text's first sentence (through ". ", "? ", "! " or a
// line end) with " ..." when more followed, or its first max bytes with
// an ellipsis.
func firstSentence(text string, max int) string {
	text = strings.TrimSpace(text)
	cut := len(text)
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' || (text[i] == '.' || text[i] == '?' || text[i] == '!') && (i+1 == len(text) || text[i+1] == ' ') {
			cut = i + 1
			if text[i] == '\n' {
				cut = i
			}
			break
		}
	}
	if cut > max {
		return clip.String(text[:cut], max)
	}
	if cut < len(text) {
		return text[:cut] + " ..."
	}
	return text
}

// Render writes the step in the text format, ending with a newline.
func (s Step) Render() string {
	var b strings.Builder
	if s.Raw != "" && s.FormatError {
		fmt.Fprintf(&b, "%s\n", strings.TrimSpace(s.Raw))
	} else {
		if s.Thought != "" {
			fmt.Fprintf(&b, "Thought: %s\n", s.Thought)
		}
		if s.Final {
			fmt.Fprintf(&b, "Final Answer: %s\n", s.Answer)
			return b.String()
		}
		if s.Action != "" {
			fmt.Fprintf(&b, "Action: %s[%s]\n", s.Action, s.Input)
		}
	}
	obs := s.Observation
	if !s.FormatError { // the agent's own format reminders keep their labels
		obs = ObservationText(obs)
	}
	fmt.Fprintf(&b, "Observation: %s\n", obs)
	return b.String()
}

// labelLine matches a line of tool output that reads like one of the
// agent's own (Thought:, Action:, Observation:, Final Answer:).
var labelLine = regexp.MustCompile(`(?im)^([ \t>*_#-]*)(thought|action input|action|observation|final answer)([ \t]*:)`)

// ObservationText renders tool output as data: its lines are indented
// under "Observation:", and a line of it that reads like an agent label
// ("Final Answer: 12345" in a search result) loses the colon that makes it
// one, so it cannot end the run or call a tool.
func ObservationText(obs string) string {
	obs = labelLine.ReplaceAllString(obs, "${1}${2} -")
	obs = inlineFinal.ReplaceAllStringFunc(obs, func(m string) string { return strings.TrimRight(m, ": \t") + " -" })
	return strings.ReplaceAll(strings.TrimRight(obs, "\n"), "\n", "\n  ")
}

// StepConstraint is the constraint of one text-mode step: a thought line,
// then an action on one of the registry's tools with an argument grounded in
// context (its words and exact numbers, or the tool's own input shape when it
// is a tools.InputConstrainer, as the calculator is), or a final answer
// line. With grounded set, the thought and the final answer are grounded in
// context too (a number may be shortened to fewer decimals); otherwise they
// are free lines. Each step may end with a newline.
func StepConstraint(reg *tools.Registry, context string, grounded bool) *llm.Constraint {
	words := &llm.Constraint{Kind: llm.ConstraintSpan, Source: context, Words: true}
	line := &llm.Constraint{Kind: llm.ConstraintRegex, Regex: `[^\n]{1,300}`}
	if grounded {
		line = words
	}
	nl := &llm.Constraint{Kind: llm.ConstraintRegex, Regex: `\n?`}
	// Tools with their own input shape get an alternative each; the rest
	// share one, so the tool name stays a single choice where it can.
	var plain []string
	var actions []*llm.Constraint
	for _, name := range reg.Names() {
		t, _ := reg.Get(name)
		var in *llm.Constraint
		if ic, ok := t.(tools.InputConstrainer); ok {
			in = ic.InputConstraint(context)
		}
		if in == nil {
			plain = append(plain, name)
			continue
		}
		actions = append(actions, &llm.Constraint{Kind: llm.ConstraintTemplate, Segments: []llm.Segment{
			{Text: name + "["}, {Hole: in}, {Text: "]"}}})
	}
	if len(plain) > 0 {
		actions = append(actions, &llm.Constraint{Kind: llm.ConstraintTemplate, Segments: []llm.Segment{
			{Hole: &llm.Constraint{Kind: llm.ConstraintChoice, Choices: plain}}, {Text: "["}, {Hole: words}, {Text: "]"}}})
	}
	action := &llm.Constraint{Kind: llm.ConstraintTemplate, Segments: []llm.Segment{
		{Text: "Thought: "}, {Hole: line}, {Text: "\nAction: "},
		{Hole: &llm.Constraint{Kind: llm.ConstraintAnyOf, AnyOf: actions}}, {Hole: nl},
	}}
	final := &llm.Constraint{Kind: llm.ConstraintTemplate, Segments: []llm.Segment{
		{Text: "Thought: "}, {Hole: line}, {Text: "\nFinal Answer: "}, {Hole: line}, {Hole: nl},
	}}
	return &llm.Constraint{Kind: llm.ConstraintAnyOf, AnyOf: []*llm.Constraint{action, final}}
}

// PrintStep writes a step for people, in the text format, as the CLI and
// examples show it live.
func PrintStep(w io.Writer, s Step) {
	if s.Thought != "" {
		fmt.Fprintf(w, "Thought: %s\n", s.Thought)
	}
	if s.Final {
		fmt.Fprintf(w, "Final Answer: %s\n", s.Answer)
		return
	}
	if s.FormatError {
		fmt.Fprintf(w, "(unreadable reply: %q)\n", clip.String(s.Raw, 200))
	}
	if s.Action != "" {
		fmt.Fprintf(w, "Action: %s[%s]\n", s.Action, s.Input)
	}
	fmt.Fprintf(w, "Observation: %s\n", s.Observation)
}
