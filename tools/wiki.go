package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/ponder-go/ponder/internal/clip"
	"github.com/ponder-go/ponder/retrieval"
)

// WikiSearch is a retrieval.Retriever over a MediaWiki search API
// (action=query&list=search), such as Wikipedia's. Use it as a Search
// backend where the network allows:
//
//	&tools.Search{Backend: &tools.WikiSearch{Endpoint: "https://en.wikipedia.org/w/api.php"}}
type WikiSearch struct {
	Endpoint string
	Client   *http.Client
	// UserAgent is sent with each request (MediaWiki asks for one).
	UserAgent string
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// Retrieve implements retrieval.Retriever.
func (w *WikiSearch) Retrieve(ctx context.Context, query string, k int) ([]retrieval.Result, error) {
	u, err := url.Parse(w.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("wiki search: endpoint %q: %w", w.Endpoint, err)
	}
	q := u.Query()
	q.Set("action", "query")
	q.Set("list", "search")
	q.Set("format", "json")
	q.Set("srsearch", query)
	q.Set("srlimit", strconv.Itoa(max(k, 1)))
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	ua := w.UserAgent
	if ua == "" {
		ua = "ponder-go (https://github.com/ponder-go/ponder)"
	}
	req.Header.Set("User-Agent", ua)
	c := w.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wiki search: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("wiki search: reading reply: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wiki search: HTTP %d: %s", resp.StatusCode, clip.String(strings.TrimSpace(string(body)), 200))
	}
	var out struct {
		Query struct {
			Search []struct {
				Title   string `json:"title"`
				Snippet string `json:"snippet"`
				PageID  int    `json:"pageid"`
			} `json:"search"`
		} `json:"query"`
		Error *struct {
			Code, Info string
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("wiki search: malformed reply: %w", err)
	}
	if out.Error != nil {
		return nil, fmt.Errorf("wiki search: %s: %s", out.Error.Code, out.Error.Info)
	}
	var res []retrieval.Result
	for i, s := range out.Query.Search {
		if i >= k {
			break
		}
		text := html.UnescapeString(tagRE.ReplaceAllString(s.Snippet, ""))
		res = append(res, retrieval.Result{Document: retrieval.Document{ID: strconv.Itoa(s.PageID), Title: s.Title, Text: text, Source: w.Endpoint}, Score: float64(len(out.Query.Search) - i)})
	}
	return res, nil
}
