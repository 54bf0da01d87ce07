package react

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ponder-go/ponder/internal/clip"
)

// Parsed is one model turn in the text format.
type Parsed struct {
	Thought string
	Action  string // tool name; empty for a final answer
	Input   string // tool input
	Answer  string // the final answer, when Final
	Final   bool
}

// ErrFormat is wrapped by parse errors: the turn had neither an action nor a
// final answer.
var ErrFormat = errors.New("invalid format")

var (
	// Labels may carry the ReAct paper's step numbers ("Thought 2:") and
	// markdown emphasis ("**Action:**").
	labelRE     = regexp.MustCompile(`(?im)^[ \t>*_#-]*(?:\(?\d{1,3}[.)][ \t]*)?[ \t>*_#-]*(thought|action input|action|observation|final answer)(?:[ \t]+\d+)?[ \t]*[*_]*[ \t]*:[*_]*[ \t]*`)
	fenceRE     = regexp.MustCompile("(?m)^[ \t]*```[a-zA-Z]*[ \t]*$")
	toolNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*`)
	finishRE    = regexp.MustCompile(`(?i)^finish\s*\[(.*)\]\s*$`)
	inlineFinal = regexp.MustCompile(`(?i)final answer\s*:`)
)

type section struct {
	label string
	text  string
	pos   int
}

// ParseStep reads one turn of the text format. It is lenient about layout
// and precise about meaning. Accepted actions:
//
//	Action: search[population of Alaska]
//	Action: search: population of Alaska
//	Action: search("population of Alaska")
//	Action: search
//	Action Input: population of Alaska
//	Action: {"action": "search", "action_input": "population of Alaska"}
//	Action: search[{"query": "population of Alaska"}]
//
// plus the ReAct paper's "Thought 1:"/"Action 1: Finish[answer]", markdown
// fences and emphasis, and a Final Answer on the same turn as a thought. If
// an action comes before a final answer, the action wins (the model cannot
// have seen its observation yet). Anything after an "Observation:" label the
// model wrote itself is ignored.
func ParseStep(text string) (Parsed, error) {
	text = fenceRE.ReplaceAllString(text, "")
	var secs []section
	locs := labelRE.FindAllStringSubmatchIndex(text, -1)
	lead := text
	if len(locs) > 0 {
		lead = text[:locs[0][0]]
	}
	for i, l := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		secs = append(secs, section{label: strings.ToLower(text[l[2]:l[3]]), text: strings.TrimSpace(text[l[1]:end]), pos: l[0]})
	}
	var p Parsed
	p.Thought = strings.TrimSpace(lead)
	for i, s := range secs {
		switch s.label {
		case "observation":
			// The model imagined an observation: stop reading.
			return finish(p)
		case "thought":
			if p.Thought == "" {
				p.Thought = s.text
			} else if s.text != "" && p.Action == "" {
				p.Thought += "\n" + s.text
			}
			// A "Final Answer:" inside a thought line still counts.
			if loc := inlineFinal.FindStringIndex(s.text); loc != nil && p.Action == "" {
				p.Thought = strings.TrimSpace(s.text[:loc[0]])
				p.Final, p.Answer = true, strings.TrimSpace(s.text[loc[1]:])
				return finish(p)
			}
		case "final answer":
			if p.Action == "" {
				p.Final, p.Answer = true, s.text
				return finish(p)
			}
		case "action":
			if p.Action != "" {
				return finish(p) // a second action: the first one runs
			}
			name, input, final, err := parseAction(s.text)
			if err != nil {
				return p, err
			}
			if final {
				p.Final, p.Answer = true, input
				return finish(p)
			}
			p.Action, p.Input = name, input
			if input == "" && i+1 < len(secs) && secs[i+1].label == "action input" {
				p.Input = cleanInput(secs[i+1].text)
			}
		case "action input":
			// consumed with its action; a stray one is ignored
		}
	}
	return finish(p)
}

func finish(p Parsed) (Parsed, error) {
	if p.Final {
		p.Answer = strings.TrimSpace(firstParagraph(p.Answer))
		if p.Answer == "" {
			return p, fmt.Errorf("%w: 'Final Answer:' is empty", ErrFormat)
		}
		return p, nil
	}
	if p.Action == "" {
		return p, fmt.Errorf("%w: no 'Action: tool[input]' and no 'Final Answer:' found", ErrFormat)
	}
	return p, nil
}

// firstParagraph cuts an answer at a blank line: models sometimes ramble on
// with a new "Question:".
func firstParagraph(s string) string {
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return s[:i]
	}
	if i := strings.Index(s, "\nQuestion:"); i >= 0 {
		return s[:i]
	}
	return s
}

// parseAction reads the text after "Action:".
func parseAction(s string) (name, input string, final bool, err error) {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	line = strings.Trim(strings.TrimSpace(line), "`")
	if line == "" {
		return "", "", false, fmt.Errorf("%w: 'Action:' is empty", ErrFormat)
	}
	if m := finishRE.FindStringSubmatch(line); m != nil {
		return "", strings.TrimSpace(m[1]), true, nil
	}
	if strings.HasPrefix(line, "{") {
		// JSON on one or more lines.
		var obj map[string]any
		if json.Unmarshal([]byte(s), &obj) == nil || json.Unmarshal([]byte(line), &obj) == nil {
			name := firstString(obj, "action", "tool", "name", "tool_name")
			if name == "" {
				return "", "", false, fmt.Errorf("%w: JSON action without an \"action\" or \"tool\" field", ErrFormat)
			}
			in := obj["action_input"]
			for _, k := range []string{"input", "tool_input", "arguments", "args", "query", "expression"} {
				if in == nil {
					in = obj[k]
				}
			}
			if strings.EqualFold(name, "final answer") || strings.EqualFold(name, "finish") {
				return "", valueString(in), true, nil
			}
			return name, cleanInput(valueString(in)), false, nil
		}
	}
	name = toolNameRE.FindString(line)
	if name == "" {
		return "", "", false, fmt.Errorf("%w: cannot read a tool name in 'Action: %s'", ErrFormat, clip.String(line, 60))
	}
	after := strings.TrimSpace(line[len(name):])
	switch {
	case after == "":
		return name, "", false, nil
	case after[0] == '[':
		end := strings.LastIndexByte(after, ']')
		if end < 0 {
			// The stop sequence or max tokens cut the bracket: take the rest.
			return name, cleanInput(after[1:]), false, nil
		}
		return name, cleanInput(after[1:end]), false, nil
	case after[0] == '(':
		end := strings.LastIndexByte(after, ')')
		if end < 0 {
			end = len(after)
		}
		return name, cleanInput(after[1:end]), false, nil
	case after[0] == ':':
		return name, cleanInput(after[1:]), false, nil
	}
	return name, cleanInput(after), false, nil
}

// cleanInput strips quotes and unwraps a one-field JSON object.
func cleanInput(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		var obj map[string]any
		if json.Unmarshal([]byte(s), &obj) == nil && len(obj) == 1 {
			for _, v := range obj {
				return valueString(v)
			}
		}
		return s
	}
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		var u string
		if json.Unmarshal([]byte(s), &u) == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}

func firstString(obj map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := obj[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

func valueString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case map[string]any:
		if len(v) == 1 {
			for _, x := range v {
				return valueString(x)
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}
