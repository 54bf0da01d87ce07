package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ponder-go/ponder/retrieval"
	"github.com/ponder-go/ponder/tools/corpus"
)

// Search looks things up through a retrieval backend: the bundled offline
// corpus by default, or anything implementing retrieval.Retriever (a vector
// store, an HTTP search API).
type Search struct {
	Backend retrieval.Retriever
	// K is the number of passages shown per search (default 2).
	K int
	// MaxChars trims each passage (default 500).
	MaxChars int
	// Places, when set, are the places the corpus knows, with PlaceKey the
	// metadata key naming a passage's place: a query's results come from
	// the places it names (whatever their case or small typos), and a
	// query that names none gets "No results".
	Places   *Places
	PlaceKey string
}

// NewStateSearch returns a Search over the bundled US state facts.
func NewStateSearch() (*Search, error) {
	docs, err := corpus.Passages()
	if err != nil {
		return nil, err
	}
	ss, err := corpus.States()
	if err != nil {
		return nil, err
	}
	names, codes := make([]string, len(ss)), make([]string, len(ss))
	for i, st := range ss {
		names[i], codes[i] = st.Name, st.Abbr
	}
	places := NewPlaces(names, codes)
	aliases := map[string]string{}
	for i, code := range codes {
		for _, a := range stateAbbreviations[code] {
			aliases[a] = names[i]
		}
	}
	places.AddAliases(aliases)
	return &Search{Backend: retrieval.NewBM25(docs...), Places: places, PlaceKey: "state"}, nil
}

// stateAbbreviations are the ways people shorten state names besides the
// capitalised postal code: the traditional (AP style) abbreviations and
// the postal codes that are not everyday words in lower case ("ca", "tx";
// not "in", "or", "me", "hi", "ok", "la", "mi" or "md"), each of which
// names its state in any case.
var stateAbbreviations = map[string][]string{
	"AL": {"ala"}, "AK": {"ak"}, "AZ": {"az", "ariz"}, "AR": {"ark"}, "CA": {"ca", "calif", "cali"},
	"CO": {"colo"}, "CT": {"ct", "conn"}, "DC": {"dc"}, "FL": {"fl", "fla"}, "GA": {"ga"},
	"IA": {"ia"}, "IL": {"il"}, "KS": {"ks", "kan", "kans"}, "KY": {"ky"},
	"MI": {"mich"}, "MN": {"mn", "minn"}, "MT": {"mont"}, "NE": {"neb", "nebr"},
	"NV": {"nv", "nev"}, "NH": {"nh"}, "NJ": {"nj"}, "NM": {"nm"}, "NY": {"ny"}, "NC": {"nc"},
	"OK": {"okla"}, "PA": {"penn", "penna"}, "RI": {"ri"}, "SC": {"sc"}, "SD": {"sd"},
	"TN": {"tn", "tenn"}, "TX": {"tx", "tex"}, "UT": {"ut"}, "VT": {"vt"}, "VA": {"va"},
	"WA": {"wa"}, "WV": {"wv"}, "WI": {"wi", "wis", "wisc"}, "WY": {"wy", "wyo"},
}

// filtered is a backend that can restrict results by metadata.
type filtered interface {
	RetrieveFiltered(ctx context.Context, query string, k int, keep func(retrieval.Document) bool) ([]retrieval.Result, error)
}

func (s *Search) Name() string { return "search" }
func (s *Search) Description() string {
	return "Searches an encyclopedia and returns the best matching passages, e.g. search[population of California]."
}
func (s *Search) Schema() json.RawMessage {
	return StringSchema("query", "what to look up, e.g. population of California")
}

// Call runs the query and renders the passages as "[1] Title: text" lines.
func (s *Search) Call(ctx context.Context, query string) (string, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return "", errors.New("search: empty query")
	}
	if s.Backend == nil {
		return "", errors.New("search: no backend configured")
	}
	k := s.K
	if k <= 0 {
		k = 2
	}
	maxChars := s.MaxChars
	if maxChars <= 0 {
		maxChars = 500
	}
	var res []retrieval.Result
	var err error
	fb, canFilter := s.Backend.(filtered)
	if s.Places != nil && canFilter {
		places := s.Places.Find(query)
		if len(places) == 0 {
			return fmt.Sprintf("No results for %q.", query), nil
		}
		// Search each named place's passages with the query in which the
		// place is spelled right.
		q0 := s.Places.normalize(query)
		for _, pl := range places {
			q := q0 + " " + pl
			r, err := fb.RetrieveFiltered(ctx, q, k, func(d retrieval.Document) bool { return d.Metadata[s.PlaceKey] == pl })
			if err != nil {
				return "", fmt.Errorf("search: %w", err)
			}
			res = append(res, r...)
		}
		if len(res) > k {
			res = res[:k]
		}
	} else if res, err = s.Backend.Retrieve(ctx, query, k); err != nil {
		return "", fmt.Errorf("search: %w", err)
	}
	if len(res) == 0 {
		return fmt.Sprintf("No results for %q.", query), nil
	}
	var b strings.Builder
	for i, r := range res {
		if i > 0 {
			b.WriteString("\n")
		}
		text := r.Text
		if len(text) > maxChars {
			text = text[:maxChars] + "…"
		}
		fmt.Fprintf(&b, "[%d] %s: %s", i+1, r.Title, text)
	}
	return b.String(), nil
}
