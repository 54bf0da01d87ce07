package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ponder-go/ponder/internal/clip"
)

// Extractor pulls an answer out of a model's text.
type Extractor func(text string) (string, error)

// ErrNoAnswer is returned (wrapped) when an extractor finds nothing.
var ErrNoAnswer = errors.New("no answer found")

var (
	numberRE = regexp.MustCompile(`[-+]?\$?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+`)
	// Phrases after which the answer follows; the last such phrase wins.
	// After a strong cue the answer must follow; a weak cue only hints.
	strongCue = regexp.MustCompile(`(?i)(?:final answer:?|the answer is:?|answer:)\s*`)
	weakCue   = regexp.MustCompile(`(?i)(?:therefore,?|=)\s*`)
)

// Number extracts a number: the first number after the last answer cue
// ("the answer is", "Final Answer:"; it fails if none follows), else after
// the last "therefore" or "=", else the last number in the text. The result
// is normalised: "1,234.50" -> "1234.5", "$18" -> "18".
func Number(text string) (string, error) {
	if locs := strongCue.FindAllStringIndex(text, -1); len(locs) > 0 {
		after := text[locs[len(locs)-1][1]:]
		if m := numberRE.FindString(after); m != "" {
			return normaliseNumber(m)
		}
		return "", fmt.Errorf("chain: %w: no number after the answer cue in %q", ErrNoAnswer, clip.String(after, 80))
	}
	if locs := weakCue.FindAllStringIndex(text, -1); len(locs) > 0 {
		if m := numberRE.FindString(text[locs[len(locs)-1][1]:]); m != "" {
			return normaliseNumber(m)
		}
	}
	all := numberRE.FindAllString(text, -1)
	if len(all) == 0 {
		return "", fmt.Errorf("chain: %w: no number in %q", ErrNoAnswer, clip.String(text, 80))
	}
	return normaliseNumber(all[len(all)-1])
}

func normaliseNumber(s string) (string, error) {
	s = strings.NewReplacer(",", "", "$", "").Replace(s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", fmt.Errorf("chain: %w: bad number %q", ErrNoAnswer, s)
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}

// Choice returns an extractor for multiple-choice letters among letters
// (e.g. "ABCDE"): it accepts "(B)", "answer is B", "B." on the last line.
func Choice(letters string) Extractor {
	cls := regexp.QuoteMeta(letters)
	paren := regexp.MustCompile(`\(([` + cls + `])\)`)
	cue := regexp.MustCompile(`(?i:answer(?: is)?:?)\s*\(?([` + cls + `])\b`)
	bare := regexp.MustCompile(`^\(?([` + cls + `])[).:]?(?:\s|$)`)
	return func(text string) (string, error) {
		if m := cue.FindAllStringSubmatch(text, -1); len(m) > 0 {
			return m[len(m)-1][1], nil
		}
		last, _ := FinalLine(text)
		if m := bare.FindStringSubmatch(last); m != nil {
			return m[1], nil
		}
		if m := paren.FindAllStringSubmatch(text, -1); len(m) > 0 {
			return m[len(m)-1][1], nil
		}
		return "", fmt.Errorf("chain: %w: no choice among %q in %q", ErrNoAnswer, letters, clip.String(text, 80))
	}
}

// JSON extracts the first JSON object or array in text (markdown fences
// allowed) that parses, and returns it compacted.
func JSON(text string) (string, error) {
	for i := 0; i < len(text); i++ {
		if text[i] != '{' && text[i] != '[' {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(text[i:]))
		var v json.RawMessage
		if err := dec.Decode(&v); err == nil {
			var b bytes.Buffer
			if err := json.Compact(&b, v); err == nil {
				return b.String(), nil
			}
		}
	}
	return "", fmt.Errorf("chain: %w: no JSON value in %q", ErrNoAnswer, clip.String(text, 80))
}

var answerLine = regexp.MustCompile(`(?i)(?:final answer|the answer is|answer)\s*:?\s*([^\n]+)`)

// Answer extracts a free-form answer: the rest of the line after the last
// "The answer is" / "Final Answer:" / "Answer:" (a trailing period dropped),
// else the final line.
func Answer(text string) (string, error) {
	if m := answerLine.FindAllStringSubmatch(text, -1); len(m) > 0 {
		a := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(m[len(m)-1][1]), "."))
		if a != "" {
			return a, nil
		}
	}
	return FinalLine(text)
}

// listMarker is the decoration models put before a line: bullets,
// numbering ("1.", "2)", "(3)", "Step 4:"), quote marks and headings.
var listMarker = regexp.MustCompile(`^(?:[-*•+>#]+\s+|\(?\d{1,3}[.)]\s+|(?i:step|option)\s*\d{1,3}\s*[:.)-]\s*)`)

// CleanLine removes the harmless decoration models add to a line of an
// answer (list markers, numbering, markdown emphasis, surrounding space),
// so parsers can match its content: "1. **13 - 9 = 4** (left: 4 4 10)"
// reads as "13 - 9 = 4 (left: 4 4 10)". A number that starts the content
// ("4 + 9 = 13") is not a list marker: one needs "." or ")" and a space.
func CleanLine(line string) string {
	line = strings.TrimSpace(line)
	for {
		m := listMarker.FindString(line)
		if m == "" {
			break
		}
		line = strings.TrimSpace(line[len(m):])
	}
	line = strings.ReplaceAll(strings.ReplaceAll(line, "**", ""), "__", "")
	return strings.TrimSpace(strings.Trim(line, "`"))
}

// FinalLine returns the last non-empty line, trimmed.
func FinalLine(text string) (string, error) {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l, nil
		}
	}
	return "", fmt.Errorf("chain: %w: empty text", ErrNoAnswer)
}

// Pattern returns an extractor giving the first capture group (or the whole
// match) of the last match of re.
func Pattern(re *regexp.Regexp) Extractor {
	return func(text string) (string, error) {
		m := re.FindAllStringSubmatch(text, -1)
		if len(m) == 0 {
			return "", fmt.Errorf("chain: %w: %q does not match %q", ErrNoAnswer, clip.String(text, 80), re)
		}
		last := m[len(m)-1]
		if len(last) > 1 {
			return strings.TrimSpace(last[1]), nil
		}
		return strings.TrimSpace(last[0]), nil
	}
}

// NormalizeAnswer makes answers comparable for voting: a text that is a
// number with decoration ("53.90", "53.9x", "about 53.9 times", "$1,200")
// becomes the number ("53.9", "1200"); anything else is lower-cased with
// surrounding punctuation and spaces removed.
func NormalizeAnswer(s string) string {
	s = strings.TrimSpace(s)
	if nums := numberRE.FindAllString(s, -1); len(nums) == 1 {
		if n, err := normaliseNumber(nums[0]); err == nil {
			return n
		}
	}
	return strings.ToLower(strings.Trim(s, " \t\n.,;:!?\"'()[]*"))
}
