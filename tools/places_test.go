package tools

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlacesAsPeopleTypeThem(t *testing.T) {
	s, err := NewStateSearch()
	require.NoError(t, err)
	s.K = 1
	for q, want := range map[string]string{
		"population of Pennsylvnia":        "Pennsylvania had a population of 13,002,700",
		"how many people live in new york": "New York had a population of 20,201,249",
		"texas population":                 "Texas had a population of 29,145,505",
		"Missisippi population":            "Mississippi had a population of 2,961,279",
		"TX population":                    "Texas had a population of 29,145,505",
		"land area of Utah":                "Utah has a total area",
		"Ohio's population":                "Ohio had a population",
		"population of West Virginia":      "West Virginia had a population",
	} {
		out, err := s.Call(context.Background(), q)
		require.NoError(t, err)
		assert.Contains(t, out, want, q)
	}
	for _, q := range []string{"population of Atlantis", "population of Ontario", "what is 2+2"} {
		out, err := s.Call(context.Background(), q)
		require.NoError(t, err)
		assert.Contains(t, out, "No results", q)
	}
	// Postal codes only in capitals ("in", "or", "me" are words).
	assert.Empty(t, s.Places.Find("what is in or me"))
	assert.Equal(t, []string{"Indiana", "Oregon"}, s.Places.Find("compare IN and OR"))
	assert.Equal(t, []string{"Virginia"}, s.Places.Find("population of Virginia"))
	assert.Equal(t, []string{"West Virginia"}, s.Places.Find("population of west virginia"))
	// Traditional abbreviations and the postal codes that are not words, in
	// any case, with or without periods.
	assert.Equal(t, []string{"California", "Florida", "New York"}, s.Places.Find("ca vs Fla. vs N.Y."))
	assert.Equal(t, []string{"California", "Texas"}, s.Places.Find("Calif and tx"))
	assert.Empty(t, s.Places.Find("is ok hi la mi md"))
	out, err := s.Call(context.Background(), "tx population")
	require.NoError(t, err)
	assert.Contains(t, out, "Texas had a population", "tx population")
}
