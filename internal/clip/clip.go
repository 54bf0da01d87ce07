// Package clip shortens text for messages, once for every package.
package clip

import "unicode/utf8"

// String shortens s to at most n bytes (cut at a character boundary)
// followed by "…", for quoting model output and input in messages.
func String(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
