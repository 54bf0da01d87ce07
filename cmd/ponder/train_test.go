package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/gpt2"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// A short training smoke test (CI never retrains the shipped model): the
// command builds data, trains a few steps, writes a loadable checkpoint
// with its tokenizer, the optimiser state and the loss curve, and resumes.
func TestTrainSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a model (30 s)")
	}
	out := filepath.Join(t.TempDir(), "m.ponder")
	args := []string{"train", "react-tiny", "-out", out, "-traces", "300", "-steps", "4", "-seq", "96", "-batch", "2", "-vocab", "300", "-layers", "1", "-channels", "32"}
	stdout, errs, code := runCLI(t, args...)
	require.Equal(t, 0, code, errs)
	// Traces longer than the model's context are left out (with this
	// 300-token vocabulary, some are).
	assert.Regexp(t, `data: \d+ traces, .*; \d+ left out, longer than the context`, stdout)
	assert.Contains(t, stdout, "trained 4 steps")
	m, err := localmodel.Load(out)
	require.NoError(t, err)
	require.NotNil(t, m.Tok)
	assert.True(t, m.Tok.(*tokenizer.BPE).SplitDigits)
	assert.Equal(t, m.Tok.VocabSize(), m.Net.VocabSize())
	svg, err := os.ReadFile(out + ".loss.svg")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(svg), "<svg"))
	_, err = os.Stat(out + ".optim")
	require.NoError(t, err)
	// Resuming with more steps continues from step 4, from the saved
	// weights and optimizer state: the checkpoint is the one a run of 6
	// steps straight writes (the first steps' learning rates are the
	// warm-up's, the same for both schedules).
	args[7] = "6" // -steps
	stdout, errs, code = runCLI(t, args...)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, stdout, "resuming from")
	assert.Contains(t, stdout, "trained 6 steps")
	straight := filepath.Join(t.TempDir(), "m.ponder")
	args[3] = straight // -out
	_, errs, code = runCLI(t, args...)
	require.Equal(t, 0, code, errs)
	resumed, err := os.ReadFile(out)
	require.NoError(t, err)
	want, err := os.ReadFile(straight)
	require.NoError(t, err)
	assert.True(t, string(resumed) == string(want), "a resumed run differs from one run straight")
	// -init continues from the checkpoint's weights and tokenizer, on new
	// data, with a fresh optimiser and schedule, into a new file.
	out2 := filepath.Join(t.TempDir(), "m2.ponder")
	stdout, errs, code = runCLI(t, "train", "react-tiny", "-init", out, "-out", out2, "-traces", "200", "-steps", "2", "-seq", "96", "-batch", "2", "-seed", "2")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, stdout, "trained 2 steps")
	m2, err := localmodel.Load(out2)
	require.NoError(t, err)
	assert.Equal(t, gpt2.Network(m).Config, gpt2.Network(m2).Config)
	assert.Equal(t, m.Tok.VocabSize(), m2.Tok.VocabSize())
	_, errs, code = runCLI(t, "train", "react-tiny", "-init", filepath.Join(t.TempDir(), "none.ponder"), "-out", out2)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "none.ponder")
	_, _, code = runCLI(t, "train", "gpt5")
	assert.Equal(t, 2, code)
}

// The default recipe runs its three stages, each from the last one's
// checkpoint, and a second run of the same command finds them done.
func TestTrainRecipeSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a model")
	}
	out := filepath.Join(t.TempDir(), "m.ponder")
	args := []string{"train", "react-tiny", "-out", out, "-scale", "0.002", "-batch", "2", "-vocab", "300", "-layers", "1", "-channels", "32"}
	stdout, errs, code := runCLI(t, args...)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, stdout, "stage 1/3 (copy): 120 traces (trained wordings), 9 steps of 2x320 tokens")
	assert.Contains(t, stdout, "stage 3/3 (settle)")
	assert.Contains(t, stdout, "recipe done")
	first, err := localmodel.Load(out + ".stage1")
	require.NoError(t, err)
	last, err := localmodel.Load(out)
	require.NoError(t, err)
	assert.Equal(t, first.Tok.VocabSize(), last.Tok.VocabSize(), "later stages keep the first stage's tokenizer")
	stdout, errs, code = runCLI(t, args...)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, stdout, "stage 1 already trained")
	assert.Contains(t, stdout, "stage 2 already trained")
	_, errs, code = runCLI(t, "train", "react-tiny", "-out", out, "-scale", "0")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "-scale")
}

// The evaluation runs end to end on the bundled model (a small sample).
func TestEvalReactSmall(t *testing.T) {
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("PONDER_LOCAL_WEIGHTS", "")
	out, errs, code := runCLI(t, "eval", "react", "-n", "3", "-vote", "2", "-natural", "12")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "natural questions (react/natural dev set:")
	assert.Contains(t, out, "honest refusals out of scope")
	assert.Contains(t, out, "held-out synthetic places")
	assert.Contains(t, out, "real US states (50 + DC)")
	assert.Contains(t, out, "ReAct + constraints")
	assert.Contains(t, out, "+ vote of 2")
	assert.Contains(t, out, "/3")
}
