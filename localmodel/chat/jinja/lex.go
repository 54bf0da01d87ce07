// Package jinja renders the Jinja subset that Hugging Face chat templates
// (tokenizer.chat_template) are written in: {{ expressions }}, {% if %},
// {% for %}, {% set %}, {% macro %}, filters, tests, Python string and dict
// methods, namespace(), raise_exception(), with the whitespace rules
// transformers uses (trim_blocks, lstrip_blocks, "-" modifiers). Values
// are Go strings, ints, float64s, bools, nil, []any and *Dict (a map that
// keeps its key order, as tojson must).
package jinja

import (
	"fmt"
	"regexp"
	"strings"
)

// segment is literal text, an {{ expression }} or a {% statement %}.
type segment struct {
	kind byte // 't' text, 'e' expression, 's' statement
	src  string
	line int
}

var (
	lstripBlocks = regexp.MustCompile(`(?m)^[ \t]*(\{[#%-])`)
	trimBlocks   = regexp.MustCompile(`([#%-]\})\n`)
	generation   = regexp.MustCompile(`(?s)(\s*)\{%(-?)\s*(?:end)?generation\s*(-?)%\}(\s*)`)
)

// preprocess applies transformers' environment: a final newline dropped,
// lstrip_blocks, trim_blocks, and the {% generation %} marker removed.
func preprocess(src string) string {
	src = strings.TrimSuffix(src, "\n")
	src = lstripBlocks.ReplaceAllString(src, "$1")
	src = trimBlocks.ReplaceAllString(src, "$1")
	return generation.ReplaceAllStringFunc(src, func(m string) string {
		g := generation.FindStringSubmatch(m)
		out := ""
		if g[2] == "" {
			out += g[1]
		}
		if g[3] == "" {
			out += g[4]
		}
		return out
	})
}

// lex splits a template into segments, applying "-" whitespace control.
func lex(src string) ([]segment, error) {
	src = preprocess(src)
	var segs []segment
	line := 1
	trimNext := false
	for len(src) > 0 {
		i := tagStart(src)
		text := src
		if i >= 0 {
			text = src[:i]
		}
		if trimNext {
			text = strings.TrimLeft(text, " \t\r\n")
			trimNext = false
		}
		if i < 0 {
			if text != "" {
				segs = append(segs, segment{'t', text, line})
			}
			break
		}
		line += strings.Count(src[:i], "\n")
		open := src[i+1]
		body := src[i+2:]
		if strings.HasPrefix(body, "-") {
			text = strings.TrimRight(text, " \t\r\n")
			body = body[1:]
		} else if strings.HasPrefix(body, "+") {
			body = body[1:]
		}
		if text != "" {
			segs = append(segs, segment{'t', text, line})
		}
		closeTag := map[byte]string{'{': "}}", '%': "%}", '#': "#}"}[open]
		end := findClose(body, closeTag, open != '#')
		if end < 0 {
			return nil, fmt.Errorf("jinja: line %d: %q is never closed", line, "{"+string(open))
		}
		inner := body[:end]
		if strings.HasSuffix(inner, "-") {
			inner = inner[:len(inner)-1]
			trimNext = true
		} else if strings.HasSuffix(inner, "+") {
			inner = inner[:len(inner)-1]
		}
		switch open {
		case '{':
			segs = append(segs, segment{'e', strings.TrimSpace(inner), line})
		case '%':
			segs = append(segs, segment{'s', strings.TrimSpace(inner), line})
		}
		line += strings.Count(body[:end], "\n")
		src = body[end+len(closeTag):]
	}
	return segs, nil
}

// tagStart is the index of the first "{{", "{%" or "{#", or -1.
func tagStart(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '{' && (s[i+1] == '{' || s[i+1] == '%' || s[i+1] == '#') {
			return i
		}
	}
	return -1
}

// findClose finds the closing tag, skipping string literals inside code.
func findClose(s, closeTag string, code bool) int {
	for i := 0; i < len(s); i++ {
		if code && (s[i] == '"' || s[i] == '\'') {
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			continue
		}
		if strings.HasPrefix(s[i:], closeTag) {
			return i
		}
	}
	return -1
}

// token is a lexeme of an expression or statement.
type token struct {
	kind byte // 'n' name, 's' string, 'i' int, 'f' float, 'o' operator, 0 end
	s    string
}

// tokenize splits code into tokens.
func tokenize(code string) ([]token, error) {
	var out []token
	for i := 0; i < len(code); {
		c := code[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'':
			var sb strings.Builder
			j := i + 1
			for ; j < len(code) && code[j] != c; j++ {
				if code[j] == '\\' && j+1 < len(code) {
					j++
					switch code[j] {
					case 'n':
						sb.WriteByte('\n')
					case 't':
						sb.WriteByte('\t')
					case 'r':
						sb.WriteByte('\r')
					case 'b':
						sb.WriteByte('\b')
					case 'f':
						sb.WriteByte('\f')
					case 'v':
						sb.WriteByte('\v')
					default:
						sb.WriteByte(code[j])
					}
					continue
				}
				sb.WriteByte(code[j])
			}
			if j >= len(code) {
				return nil, fmt.Errorf("unterminated string in %q", code)
			}
			out = append(out, token{'s', sb.String()})
			i = j + 1
		case c >= '0' && c <= '9':
			j := i
			for j < len(code) && (code[j] >= '0' && code[j] <= '9' || code[j] == '_') {
				j++
			}
			kind := byte('i')
			if j+1 < len(code) && code[j] == '.' && code[j+1] >= '0' && code[j+1] <= '9' {
				kind = 'f'
				for j++; j < len(code) && code[j] >= '0' && code[j] <= '9'; j++ {
				}
			}
			out = append(out, token{kind, strings.ReplaceAll(code[i:j], "_", "")})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(code) && (code[j] == '_' || code[j] >= 'a' && code[j] <= 'z' || code[j] >= 'A' && code[j] <= 'Z' || code[j] >= '0' && code[j] <= '9') {
				j++
			}
			out = append(out, token{'n', code[i:j]})
			i = j
		default:
			op := ""
			for _, o := range []string{"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ".", ",", ":", "|", "="} {
				if strings.HasPrefix(code[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, fmt.Errorf("unexpected %q in %q", c, code)
			}
			out = append(out, token{'o', op})
			i += len(op)
		}
	}
	return out, nil
}
