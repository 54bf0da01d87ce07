package jinja

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func render(t *testing.T, src string, vars map[string]any) (string, error) {
	t.Helper()
	tp, err := Parse(src)
	if err != nil {
		return "", err
	}
	return tp.Render(vars)
}

func TestExpressions(t *testing.T) {
	msgs := []any{NewDict("role", "system", "content", " sys "), NewDict("role", "user", "content", "hi")}
	vars := map[string]any{"messages": msgs, "n": 3, "s": "a,b,c", "d": NewDict("b", 1, "a", 2)}
	for _, c := range []struct{ src, want string }{
		{"{{ 1 + 2 * 3 }}", "7"},
		{"{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }}", "3 -4 1 2 3.5 1024"},
		{"{{ 'a' ~ 1 ~ none }}", "a1None"},
		{"{{ messages | length - 1 }}", "1"},
		{"{{ messages[0].content | trim }}|{{ messages[-1]['role'] }}", "sys|user"},
		{"{{ messages[::-1][0].role }} {{ messages[1:] | length }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }}", "user 1 el olleh"},
		{"{{ s.split(',') }} {{ s.split(',', 1) }}", "['a', 'b', 'c'] ['a', 'b,c']"},
		{"{{ '  x\n'.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\nhi'.lstrip('\n') }}", "x|hi|hi"},
		{"{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith(('x', 'lo')) }}", "True True"},
		{"{{ 'a' in 'cat' }} {{ 'z' not in 'cat' }} {{ 'a' in d }} {{ 2 in [1, 2] }}", "True True True True"},
		{"{{ x is defined }} {{ n is defined }} {{ none is none }} {{ n is number }} {{ s is string }} {{ d is mapping }}", "False True True True True True"},
		{"{{ x | default('dflt') }} {{ '' | default('e', true) }}", "dflt e"},
		{"{{ 'yes' if n > 2 else 'no' }} {{ 'yes' if n > 5 else 'no' }}", "yes no"},
		{"{{ d | tojson }} {{ [1, 'a', none, true, 1.5] | tojson }}", `{"b": 1, "a": 2} [1, "a", null, true, 1.5]`},
		{"{{ d | tojson(indent=2) }}", "{\n  \"b\": 1,\n  \"a\": 2\n}"},
		{"{{ 'é\"<' | tojson }}", `"é\"<"`},
		{"{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "b=1;a=2;"},
		{"{% for m in messages %}{{ loop.index }}/{{ loop.length }}{{ ',' if not loop.last }}{% endfor %}", "1/2,2/2"},
		{"{% for i in range(5) if i is odd %}{{ i }}{% else %}none{% endfor %}", "13"},
		{"{% for i in [] %}x{% else %}empty{% endfor %}", "empty"},
		{"{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}", "02"},
		{"{% set ns = namespace(found=false) %}{% for m in messages %}{% if m.role == 'user' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}", "True"},
		{"{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", "1"},
		{"{% set a, b = [1, 2] %}{{ b }}{{ a }}", "21"},
		{"{% set block %}in{{ n }}{% endset %}[{{ block }}]", "[in3]"},
		{"{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bo', punct='?') }}", "Hi Ann! Hi Bo?"},
		{"{{ messages | map(attribute='role') | join(', ') }}", "system, user"},
		{"{{ messages | selectattr('role', 'equalto', 'user') | list | length }}", "1"},
		{"{{ ['a', 'code_interpreter', 'b'] | reject('equalto', 'code_interpreter') | join(',') }}", "a,b"},
		{"{{ 'hello world' | title }} {{ 'ABC' | lower }} {{ 'x' | upper }} {{ 'hELLO' | capitalize }}", "Hello World abc X Hello"},
		{"{{ 3.0 }} {{ 2.5 | round }} {{ 3.7 | int }} {{ '42' | int + 1 }}", "3.0 2.0 3 43"},
		{"{{ {'k': [1, 2]}['k'][1] }}", "2"},
		{"{{ 'a' 'b' }}", "ab"},
		{"{# comment #}x", "x"},
	} {
		got, err := render(t, c.src, vars)
		if assert.NoError(t, err, c.src) {
			assert.Equal(t, c.want, got, c.src)
		}
	}
}

// TestWhitespace: trim_blocks, lstrip_blocks and "-" modifiers as
// transformers configures Jinja.
func TestWhitespace(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"{% if true %}\nyes\n{% endif %}\n", "yes\n"},
		{"  {% if true %}\n  x\n  {% endif %}\n", "  x\n"},
		{"a  {{- 'b' -}}  c", "abc"},
		{"a\n{%- if true -%}\n  b\n{%- endif %}", "ab"},
		{"{{ 'x' }}\n", "x"},
		{"{{ 'x' }}\n\n", "x\n"},
	} {
		got, err := render(t, c.src, nil)
		if assert.NoError(t, err, c.src) {
			assert.Equal(t, c.want, got, "%q", c.src)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"{{ x ", "never closed"},
		{"{% if x %}a", "missing {% endif %}"},
		{"{% foo %}", `statement "foo"`},
		{"{{ x | nosuch }}", `filter "nosuch"`},
		{"{{ x is nosuch }}", `test "nosuch"`},
		{"{{ raise_exception('bad roles') }}", "bad roles"},
		{"{{ 1 / 0 }}", "division by zero"},
		{"{{ 'a' - 1 }}", "string - integer"},
		{"{{ nope() }}", "not callable"},
		{"{% for i in range(3000) %}{% for j in range(3000) %}{% endfor %}{% endfor %}", "steps"},
		{"{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "output passed"},
		{"{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recursed"},
		{"{{ ( }}", "end of expression"},
		{"{{ a[1:2:3:4] }}", "slice"},
	} {
		_, err := render(t, c.src, nil)
		if assert.Error(t, err, c.src) {
			assert.Contains(t, err.Error(), c.want, c.src)
		}
	}
	_, err := render(t, "{{ raise_exception('x') }}", nil)
	assert.ErrorIs(t, err, ErrRaised)
}

func TestFromJSONKeepsOrder(t *testing.T) {
	v, err := FromJSON([]byte(`{"z": 1, "a": {"y": [1, 2.5, "s", null, false]}, "m": -3}`))
	require.NoError(t, err)
	s, err := ToJSON(v)
	require.NoError(t, err)
	assert.Equal(t, `{"z": 1, "a": {"y": [1, 2.5, "s", null, false]}, "m": -3}`, s)
	_, err = FromJSON([]byte(strings.Repeat("[", 200) + strings.Repeat("]", 200)))
	assert.ErrorContains(t, err, "nested")
}

// FuzzTemplate: any template source and a fixed conversation render or
// fail cleanly, without panics or hangs.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"{{ messages[0].content | trim }}", "{% for m in messages %}{{ m.role }}{% endfor %}",
		"{%- if x -%}a{%- elif y %}b{% else %}c{% endif %}", "{{ a[::-1] ~ (1 + 2) | string }}", "{% set ns = namespace(a=1) %}{{ ns.a }}",
		"{% macro m(a, b=2) %}{{ a }}{% endmacro %}{{ m(1) }}", "{{ {'a': [1, 2]} | tojson(indent=2) }}"} {
		f.Add(s)
	}
	msgs := []any{NewDict("role", "user", "content", "hi")}
	f.Fuzz(func(t *testing.T, src string) {
		tp, err := Parse(src)
		if err != nil {
			return
		}
		tp.Render(map[string]any{"messages": msgs, "x": 1})
	})
}

func ExampleTemplate_Render() {
	tp, err := Parse("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}" +
		"{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
	if err != nil {
		panic(err)
	}
	out, err := tp.Render(map[string]any{
		"messages":              []any{NewDict("role", "user", "content", "Hi!")},
		"add_generation_prompt": true,
	})
	if err != nil {
		panic(err)
	}
	fmt.Print(out)
	// Output:
	// <|im_start|>user
	// Hi!<|im_end|>
	// <|im_start|>assistant
}
