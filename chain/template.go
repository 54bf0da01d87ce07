package chain

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// Template is a prompt template on text/template. Rendering with a variable
// missing fails with an error naming it, never "<no value>".
type Template struct {
	name string
	t    *template.Template
}

// NewTemplate parses text. Besides text/template's built-ins it has the
// functions trim, upper, lower and join.
func NewTemplate(name, text string) (*Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("chain: template %q: %w", name, err)
	}
	return &Template{name: name, t: t}, nil
}

// MustTemplate is NewTemplate that panics on a parse error, for templates
// written in the program's source.
func MustTemplate(name, text string) *Template {
	t, err := NewTemplate(name, text)
	if err != nil {
		panic(err)
	}
	return t
}

var funcs = template.FuncMap{
	"trim":  strings.TrimSpace,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"join":  strings.Join,
}

var missingKey = regexp.MustCompile(`map has no entry for key "([^"]*)"`)

// Name is the template's name.
func (t *Template) Name() string { return t.name }

// Render executes the template with vars.
func (t *Template) Render(vars map[string]any) (string, error) {
	var b strings.Builder
	if vars == nil {
		vars = map[string]any{}
	}
	if err := t.t.Execute(&b, vars); err != nil {
		if m := missingKey.FindStringSubmatch(err.Error()); m != nil {
			return "", fmt.Errorf("chain: template %q: missing variable %q", t.name, m[1])
		}
		return "", fmt.Errorf("chain: template %q: %w", t.name, err)
	}
	return b.String(), nil
}

// FewShot builds a prompt from instructions, worked examples and a query,
// dropping examples from the end until the prompt fits the budget.
type FewShot struct {
	Prefix    string           // instructions before the examples
	Example   *Template        // renders one example
	Examples  []map[string]any // example variables
	Separator string           // between parts; default "\n\n"
	Suffix    *Template        // renders the query from the caller's vars
	// MaxChars and MaxTokens bound the rendered prompt (0: unbounded).
	// Tokens are counted with CountTokens (default: whitespace words).
	MaxChars    int
	MaxTokens   int
	CountTokens func(string) int
}

// Render renders the prompt with as many examples as fit, in order. It fails
// if even the prompt without examples exceeds the budget.
func (f *FewShot) Render(vars map[string]any) (string, error) {
	sep := f.Separator
	if sep == "" {
		sep = "\n\n"
	}
	count := f.CountTokens
	if count == nil {
		count = func(s string) int { return len(strings.Fields(s)) }
	}
	fits := func(s string) bool {
		return (f.MaxChars <= 0 || len(s) <= f.MaxChars) && (f.MaxTokens <= 0 || count(s) <= f.MaxTokens)
	}
	suffix := ""
	if f.Suffix != nil {
		var err error
		if suffix, err = f.Suffix.Render(vars); err != nil {
			return "", err
		}
	}
	parts := []string{}
	if f.Prefix != "" {
		parts = append(parts, f.Prefix)
	}
	join := func(examples []string) string {
		all := append(append(append([]string{}, parts...), examples...), suffix)
		return strings.Join(all, sep)
	}
	if !fits(join(nil)) {
		return "", fmt.Errorf("chain: few-shot prompt exceeds its budget (%d chars, %d tokens) even without examples", f.MaxChars, f.MaxTokens)
	}
	var examples []string
	for i, ex := range f.Examples {
		if f.Example == nil {
			return "", fmt.Errorf("chain: few-shot has examples but no Example template")
		}
		s, err := f.Example.Render(ex)
		if err != nil {
			return "", fmt.Errorf("example %d: %w", i, err)
		}
		if !fits(join(append(examples, s))) {
			break
		}
		examples = append(examples, s)
	}
	return join(examples), nil
}
