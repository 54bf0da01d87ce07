package clip

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestString(t *testing.T) {
	assert.Equal(t, "abc", String("abc", 3))
	assert.Equal(t, "ab…", String("abc", 2))
	assert.Equal(t, "日…", String("日本", 4)) // never half a character
	assert.Equal(t, "…", String("日本", 1))
}

func ExampleString() {
	fmt.Println(String("How many times larger is California's population than Alaska's?", 24))
	// Output: How many times larger is…
}
