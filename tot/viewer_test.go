package tot_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/tot"
	"github.com/ponder-go/ponder/tot/game24"
)

// webdriver is a minimal W3C WebDriver client for chromedriver.
type webdriver struct {
	t       *testing.T
	base    string
	session string
}

const elementKey = "element-6066-11e4-a52e-4f735466cecf"

func (w *webdriver) do(method, path string, body any) map[string]any {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	url := w.base + path
	if w.session != "" {
		url = w.base + "/session/" + w.session + path
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(w.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(w.t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(w.t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(w.t, 200, resp.StatusCode, "%s %s: %v", method, path, out)
	return out
}

func (w *webdriver) find(css string) string {
	v := w.do("POST", "/element", map[string]string{"using": "css selector", "value": css})["value"].(map[string]any)
	return v[elementKey].(string)
}

func (w *webdriver) text(el string) string {
	return w.do("GET", "/element/"+el+"/text", nil)["value"].(string)
}

// TestHTMLViewerInChromium loads the viewer in headless Chromium, clicks a
// node, takes a screenshot and checks the detail panel shows that node.
// CI installs chromium and chromium-driver and sets PONDER_REQUIRE_BROWSER=1,
// so there the test cannot skip.
func TestHTMLViewerInChromium(t *testing.T) {
	driver, err := exec.LookPath("chromedriver")
	if err != nil {
		if os.Getenv("PONDER_REQUIRE_BROWSER") != "" {
			t.Fatal("chromedriver not found but PONDER_REQUIRE_BROWSER is set")
		}
		t.Skip("chromedriver not installed (apt-get install chromium chromium-driver)")
	}
	browser := "/usr/bin/chromium"
	if _, err := os.Stat(browser); err != nil {
		t.Skip("chromium not installed")
	}
	p := game24.Problem([]int{4, 9, 10, 13}, game24.Proposer(), game24.Evaluator())
	r, err := tot.BFS{Breadth: 2, Depth: 3}.Search(context.Background(), p, tot.Budget{})
	require.NoError(t, err)
	dir := t.TempDir()
	page := filepath.Join(dir, "tree.html")
	f, err := os.Create(page)
	require.NoError(t, err)
	require.NoError(t, r.WriteHTML(f, "Game of 24: 4 9 10 13"))
	require.NoError(t, f.Close())

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, driver, fmt.Sprintf("--port=%d", port))
	require.NoError(t, cmd.Start())
	defer func() { cancel(); _ = cmd.Wait() }()
	wd := &webdriver{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(wd.base + "/status")
		if err == nil {
			resp.Body.Close()
			break
		}
		require.True(t, time.Now().Before(deadline), "chromedriver did not start")
		time.Sleep(100 * time.Millisecond)
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{"binary": browser, "args": []string{
			"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--window-size=1200,800", "--user-data-dir=" + filepath.Join(dir, "profile")}},
	}}}
	wd.session = wd.do("POST", "/session", caps)["value"].(map[string]any)["sessionId"].(string)
	defer wd.do("DELETE", "", nil)

	wd.do("POST", "/url", map[string]string{"url": "file://" + page})
	summary := wd.text(wd.find("#summary"))
	assert.Contains(t, summary, "BFS: solved")
	target := r.Best
	el := wd.find(fmt.Sprintf("#node-%d", target.ID))
	wd.do("POST", "/element/"+el+"/click", map[string]any{})
	detail := wd.text(wd.find("#detail"))
	assert.Contains(t, detail, fmt.Sprintf("Node %d", target.ID))
	assert.Contains(t, detail, target.Thought)
	assert.Contains(t, detail, "solution")
	cls := wd.do("GET", "/element/"+el+"/attribute/class", nil)["value"].(string)
	assert.Contains(t, cls, "selected")

	shot := wd.do("GET", "/screenshot", nil)["value"].(string)
	png, err := base64.StdEncoding.DecodeString(shot)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(png, []byte("\x89PNG")), "a PNG screenshot")
	out := filepath.Join(dir, "viewer.png")
	if d := os.Getenv("PONDER_SCREENSHOT_DIR"); d != "" {
		out = filepath.Join(d, "tot-viewer.png")
	}
	require.NoError(t, os.WriteFile(out, png, 0o644))
	t.Logf("screenshot: %s (%d bytes); detail panel: %q", out, len(png), strings.SplitN(detail, "\n", 2)[0])
}
