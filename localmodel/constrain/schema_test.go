package constrain

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
)

func schemaProgram(t *testing.T, schema string) *Program {
	t.Helper()
	p, err := Compile(llm.JSONSchema("x", json.RawMessage(schema)))
	require.NoError(t, err, schema)
	return p
}

// Hardening #5: string patterns and lengths constrain the decoded string,
// and the JSON text escapes it (before, the pattern ran on the raw JSON
// text: "a\"b" produced the invalid JSON "a"b" and [\x00-\x1f] a raw NUL).
func TestStringPatternsAreEscaped(t *testing.T) {
	p := schemaProgram(t, `{"type":"string","pattern":"a\"b"}`)
	assert.True(t, MatchString(p, `"a\"b"`))
	assert.False(t, MatchString(p, `"a"b"`))

	p = schemaProgram(t, `{"type":"string","pattern":"[\\x00-\\x1f]{2}"}`)
	assert.True(t, MatchString(p, `"\n\u0000"`))
	assert.True(t, MatchString(p, `"\t\u001F"`))
	assert.False(t, MatchString(p, "\"\x00\x01\""), "raw control characters are not JSON")

	p = schemaProgram(t, `{"type":"string","pattern":"^c:\\\\[a-z]+$"}`)
	assert.True(t, MatchString(p, `"c:\\dir"`))
	assert.False(t, MatchString(p, `"c:\dir"`))

	// Lengths count decoded characters, escapes included.
	p = schemaProgram(t, `{"type":"string","minLength":2,"maxLength":3}`)
	for s, want := range map[string]bool{`"ab"`: true, `"\"\n"`: true, `"日本語"`: true, `"a"`: false, `"abcd"`: false, `"\u0041bc"`: false} {
		assert.Equal(t, want, MatchString(p, s), s)
		if want {
			var v string
			require.NoError(t, json.Unmarshal([]byte(s), &v), s)
		}
	}
	// Long bounds (above the regex repeat limit that refused 251+).
	p = schemaProgram(t, `{"type":"string","maxLength":2000}`)
	assert.True(t, MatchString(p, `"`+strings.Repeat("x", 2000)+`"`))
	assert.False(t, MatchString(p, `"`+strings.Repeat("x", 2001)+`"`))
}

// Invalid schemas fail naming the keyword (before: {"enum":[]} gave empty
// output, minLength -5 forced the text ",{-5,3}").
func TestInvalidSchemasNameTheKeyword(t *testing.T) {
	for s, want := range map[string]string{
		`{"enum":[]}`:                                            "enum at $ must be a non-empty array",
		`{"type":"string","minLength":-5}`:                       "minLength at $ must be an integer from 0",
		`{"type":"string","minLength":5,"maxLength":3}`:          "maxLength 3 < minLength 5",
		`{"type":"string","maxLength":"x"}`:                      "maxLength at $",
		`{"type":"array","items":{"type":"null"},"maxItems":-1}`: "maxItems at $",
		`{"type":"integer","minimum":"low"}`:                     "minimum at $ must be a number",
		`{"type":"integer","minimum":5,"maximum":3}`:             "leave no number",
		`{"type":"number","minimum":0.5}`:                        "non-integer minimum",
		`{"type":"string","pattern":"("}`:                        "pattern at $",
		`{"type":"string","pattern":"(\\p{L}|\\p{N}){5000}"}`:    "",
	} {
		_, err := Compile(llm.JSONSchema("x", json.RawMessage(s)))
		require.Error(t, err, s)
		assert.Contains(t, err.Error(), want, s)
	}
}

// Numeric bounds: every integer in a window around the bounds is accepted
// exactly when it is in range, for many random ranges.
func TestIntegerBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for k := 0; k < 60; k++ {
		lo := r.IntN(2000) - 1000
		hi := lo + r.IntN(1500)
		schema := fmt.Sprintf(`{"type":"integer","minimum":%d,"maximum":%d}`, lo, hi)
		if k%5 == 0 {
			schema = fmt.Sprintf(`{"type":"integer","exclusiveMinimum":%d}`, lo)
		}
		p := schemaProgram(t, schema)
		for v := lo - 30; v <= hi+30; v++ {
			want := v >= lo && v <= hi
			if k%5 == 0 {
				want = v > lo
			}
			require.Equal(t, want, MatchString(p, strconv.Itoa(v)), "%s: %d", schema, v)
		}
		assert.False(t, MatchString(p, "0"+strconv.Itoa(max(lo, 1))), "no leading zeros")
	}
}

// Bounds of many digits compile in time linear in their length (a full
// range of digits recursed three ways a digit: maximum 1e20 ran out of
// memory), and still bound exactly.
func TestLongIntegerBounds(t *testing.T) {
	p := schemaProgram(t, `{"type":"integer","maximum":1e20}`)
	for s, want := range map[string]bool{"100000000000000000000": true, "99999999999999999999": true, "100000000000000000001": false,
		"-123456789012345678901234": true, "0": true, "1000000000000000000000": false} {
		assert.Equal(t, want, MatchString(p, s), s)
	}
	p = schemaProgram(t, `{"type":"integer","minimum":-1e39,"maximum":1e39}`)
	assert.True(t, MatchString(p, "-"+strings.Repeat("9", 39)))
	assert.False(t, MatchString(p, strings.Repeat("9", 40)))
}

func TestNumberBounds(t *testing.T) {
	p := schemaProgram(t, `{"type":"number","minimum":-2,"exclusiveMaximum":3}`)
	for s, want := range map[string]bool{"-2": true, "-2.0": true, "-2.5": false, "-1.999": true, "0": true, "2.999": true, "3": false, "3.0": false, "2": true, "-0.5": true, "10": false, "1e2": false} {
		assert.Equal(t, want, MatchString(p, s), s)
	}
	p = schemaProgram(t, `{"type":"number","minimum":0}`)
	for s, want := range map[string]bool{"0": true, "0.5": true, "123.25": true, "-0.5": false, "-1": false} {
		assert.Equal(t, want, MatchString(p, s), s)
	}
}

// FuzzSchema: any schema compiles or fails with an error; what compiles
// accepts only valid JSON among random probes.
func FuzzSchema(f *testing.F) {
	for _, s := range []string{`{"type":"string","pattern":"a\"b"}`, `{"type":"integer","minimum":-5,"maximum":120}`,
		`{"type":"object","properties":{"a":{"type":"array","items":{"type":"number"},"maxItems":3}}}`, `{"enum":[1,"x",null]}`} {
		f.Add(s, `"a\"b"`)
	}
	f.Fuzz(func(t *testing.T, schema, probe string) {
		p, err := Compile(llm.JSONSchema("x", json.RawMessage(schema)))
		if err != nil {
			return
		}
		if MatchString(p, probe) && !json.Valid([]byte(probe)) {
			t.Fatalf("schema %s accepts invalid JSON %q", schema, probe)
		}
	})
}
