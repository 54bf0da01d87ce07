package synth

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel/constrain"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools/corpus"
)

func TestWorldIsSeededAndHoldsOutRealStates(t *testing.T) {
	w1, err := NewWorld(7, 300)
	require.NoError(t, err)
	w2, err := NewWorld(7, 300)
	require.NoError(t, err)
	assert.Equal(t, w1.Places, w2.Places)
	real, _ := corpus.States()
	shapes := map[int]int{}
	for _, p := range w1.Places {
		for _, s := range real {
			assert.NotEqual(t, strings.ToLower(s.Name), strings.ToLower(p.Name))
		}
		shapes[len(strings.Fields(p.Name))]++
	}
	assert.Greater(t, shapes[1], 50)
	assert.Greater(t, shapes[2], 50)
	assert.Greater(t, shapes[3], 5)
}

func TestTracesAreCorrectAndInTheAgentFormat(t *testing.T) {
	w, err := NewWorld(1, 400)
	require.NoError(t, err)
	names := make([]string, len(w.Places))
	for i, p := range w.Places {
		names[i] = p.Name
	}
	r := rand.New(rand.NewPCG(2, 3))
	kinds := map[string]int{}
	for i := 0; i < 300; i++ {
		task := NewTask(r, names, func(n string) corpus.State { return w.byName[n] })
		kinds[task.Kind]++
		steps, err := Trace(context.Background(), w.Tools, task)
		require.NoError(t, err, task.Question)
		last := steps[len(steps)-1]
		require.True(t, last.Final)
		// The model writes the trained (truncated) figure; the agent's
		// Finish rounds it.
		assert.Contains(t, roundFromCalculator(last.Answer, steps), task.Expect, task.Question)
		text, mask := Render(task.Question, steps)
		require.Len(t, mask, len(text))
		// Every step reads back through the agent's parser.
		for _, s := range steps {
			p, err := react.ParseStep(strings.TrimSuffix(s.Render(), "Observation: "+s.Observation+"\n"))
			require.NoError(t, err, s.Render())
			assert.Equal(t, s.Final, p.Final)
			assert.Equal(t, s.Action, p.Action)
			assert.Equal(t, s.Input, p.Input)
		}
		// Only the model's own lines are trained on.
		var produced strings.Builder
		for j := range text {
			if mask[j] {
				produced.WriteByte(text[j])
			}
		}
		assert.NotContains(t, produced.String(), "Observation:")
		assert.NotContains(t, produced.String(), "Question:")
		assert.Contains(t, produced.String(), "Final Answer: ")
	}
	for _, k := range []string{Ratio, Sum, Difference, Density, Lookup, NoTool} {
		assert.Greater(t, kinds[k], 5, k)
	}
}

// The same traces work on the real states (the held-out evaluation).
func TestTracesOnRealStates(t *testing.T) {
	reg, err := StatesTools()
	require.NoError(t, err)
	real, _ := corpus.States()
	byName := map[string]corpus.State{}
	var names []string
	for _, s := range real {
		byName[s.Name] = s
		names = append(names, s.Name)
	}
	r := rand.New(rand.NewPCG(4, 5))
	for i := 0; i < 100; i++ {
		task := NewTask(r, names, func(n string) corpus.State { return byName[n] })
		steps, err := Trace(context.Background(), reg, task)
		require.NoError(t, err, task.Question)
		assert.Contains(t, roundFromCalculator(steps[len(steps)-1].Answer, steps), task.Expect, task.Question)
	}
	ca, ak := byName["California"], byName["Alaska"]
	steps, err := Trace(context.Background(), reg, Task{Kind: Ratio, A: "California", B: "Alaska", Attr: "population"})
	require.NoError(t, err)
	assert.Equal(t, "California's population is about 53.9 times Alaska's.", steps[3].Answer)
	assert.InDelta(t, float64(ca.Population)/float64(ak.Population), 53.91, 0.01)
}

// Every line a trace asks the model to write passes the constraint the
// agent uses with the trained model: thoughts, actions and answers are
// grounded in the question, the observations so far and Vocabulary.
func TestTracesPassTheAgentConstraint(t *testing.T) {
	w, err := NewWorld(3, 200)
	require.NoError(t, err)
	names := make([]string, len(w.Places))
	for i, p := range w.Places {
		names[i] = p.Name
	}
	r := rand.New(rand.NewPCG(8, 8))
	for i := 0; i < 40; i++ {
		task := NewTask(r, names, w.Facts)
		steps, err := Trace(context.Background(), w.Tools, task)
		require.NoError(t, err)
		user := "Question: " + task.Question + "\n"
		for _, s := range steps {
			c := react.StepConstraint(w.Tools, user+"\n"+Vocabulary, true)
			prog, err := constrain.Compile(c)
			require.NoError(t, err)
			line := strings.TrimSuffix(s.Render(), "Observation: "+s.Observation+"\n")
			assert.True(t, constrain.MatchString(prog, line), "%q must pass the step constraint", line)
			user += s.Render()
		}
	}
}

func TestUserTasksAreAnsweredRightAsTyped(t *testing.T) {
	w, err := NewWorld(3, 400)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(4, 5))
	kinds, said := map[string]int{}, map[string]int{}
	for i := 0; i < 600; i++ {
		task := NewUserTask(r, w)
		kinds[task.Kind]++
		steps, err := Trace(context.Background(), w.Tools, task)
		require.NoError(t, err, task.Question)
		last := steps[len(steps)-1]
		require.True(t, last.Final, task.Question)
		answer := roundFromCalculator(last.Answer, steps)
		switch {
		case task.Kind == Refuse || task.Missing:
			assert.Equal(t, refuseAnswer, answer, task.Question)
			continue
		case task.Kind == Compare && task.Ask == "yes/no":
			assert.True(t, strings.HasPrefix(answer, task.Expect+". "), "%s: %s", task.Question, answer)
		case task.Kind == Compare:
			_, named, _ := strings.Cut(answer, ", so ")
			assert.True(t, strings.HasPrefix(named, task.Expect+" is "), "%s: %s", task.Question, answer)
		default:
			assert.Contains(t, answer, task.Expect, task.Question)
		}
		// The question types the places as SayA and SayB; the first
		// search asks for the first place as typed and finds it.
		assert.Contains(t, task.Question, task.SayA)
		assert.Contains(t, steps[0].Input, task.SayA)
		assert.Contains(t, steps[0].Observation, task.A, task.Question)
		for _, say := range []string{task.SayA, task.SayB} {
			switch {
			case say == "":
			case len(say) == 2:
				said["code"]++
			case !strings.EqualFold(say, task.A) && !strings.EqualFold(say, task.B):
				said["typo"]++
			case say == strings.ToLower(say):
				said["lower"]++
			}
		}
		if !strings.HasSuffix(task.Question, "?") {
			said["no question mark"]++
		}
		text, mask := Render(task.Question, steps)
		require.Len(t, mask, len(text))
		for _, s := range steps {
			_, err := react.ParseStep(strings.TrimSuffix(s.Render(), "Observation: "+s.Observation+"\n"))
			require.NoError(t, err, s.Render())
		}
	}
	for _, k := range []string{Lookup, Capital, Density, Ratio, Sum, Difference, Compare, Refuse} {
		assert.Greater(t, kinds[k], 15, k)
	}
	for _, k := range []string{"lower", "code", "typo", "no question mark"} {
		assert.Greater(t, said[k], 15, k)
	}
}

// A search that ranks another passage first (world 2 names a place
// "Scucle Area", and a question about its population found its area
// passage) is an errObservation, which the generator drops instead of
// stopping: 1 task in 36,000 of that world.
func TestExtractMarksAMissingFigure(t *testing.T) {
	obs := "[1] Scucle Area area: Scucle Area has a total area of 19,104.59 square miles. Scucle Area has a land area of 16,787.09 square miles and a water area of 2,317.5 square miles."
	_, err := extract(obs, "Scucle Area", "population")
	require.ErrorIs(t, err, errObservation)
	_, err = extract(obs, "Scucle Area", "capital")
	require.ErrorIs(t, err, errObservation)
	v, err := extract(obs, "Scucle Area", "land area")
	require.NoError(t, err)
	assert.Equal(t, "16,787.09", v)
}
