package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress prints a one-line progress bar that redraws in place on a
// terminal, and plain lines (at most one per second) otherwise.
type progress struct {
	w        io.Writer
	tty      bool
	start    time.Time
	last     time.Time
	lastLine string
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty, start: time.Now()}
}

// update shows done of total (total <= 0: unknown) with a free-form suffix.
func (p *progress) update(done, total int, suffix string) {
	now := time.Now()
	line := ""
	if total > 0 {
		frac := float64(done) / float64(total)
		const width = 30
		n := int(frac * width)
		line = fmt.Sprintf("[%s%s] %3.0f%% ", strings.Repeat("=", n), strings.Repeat(" ", width-n), 100*frac)
		if done > 0 && done < total {
			eta := time.Duration(float64(now.Sub(p.start)) / frac * (1 - frac))
			suffix += " ETA " + eta.Round(time.Second).String()
		}
	}
	line += suffix
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.lastLine = line
		return
	}
	if now.Sub(p.last) >= time.Second || done == total {
		fmt.Fprintln(p.w, line)
		p.last = now
	}
}

// done ends the bar's line on a terminal.
func (p *progress) done() {
	if p.tty && p.lastLine != "" {
		fmt.Fprintln(p.w)
	}
}
