// Package pgvectortest runs a real Postgres with pgvector for tests:
// PGlite (Postgres compiled to WebAssembly, with its vector extension,
// npm @electric-sql/pglite) served over the Postgres wire protocol by
// @electric-sql/pglite-socket, both installed by .ci/run into
// retrieval/pgvector/testdata/npm. Nothing is downloaded at run time.
package pgvectortest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	mu   sync.Mutex
	cmd  *exec.Cmd
	url  string
	fail error
)

// npmDir is testdata/npm next to this package's parent.
func npmDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "npm")
}

// URL returns the URL of the shared server, starting it on first use; a
// test is skipped when the npm packages are missing (failed when
// PONDER_REQUIRE_NPM is set). Call Stop from TestMain after m.Run.
func URL(t testing.TB) string {
	t.Helper()
	server := filepath.Join(npmDir(), "node_modules", "@electric-sql", "pglite-socket", "dist", "scripts", "server.js")
	if _, err := os.Stat(server); err != nil {
		if os.Getenv("PONDER_REQUIRE_NPM") != "" {
			t.Fatal("PGlite missing (npm install --prefix retrieval/pgvector/testdata/npm)")
		}
		t.Skip("PGlite (npm) is not installed")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	mu.Lock()
	defer mu.Unlock()
	if url == "" && fail == nil {
		url, fail = start(server)
	}
	if fail != nil {
		t.Fatal(fail)
	}
	return url
}

var listening = regexp.MustCompile(`listening on \{"port":(\d+)`)

func start(server string) (string, error) {
	c := exec.Command("node", server, "--db=memory://", "--port=0", "--extensions=@electric-sql/pglite-pgvector:vector", "--max-connections=4")
	c.Dir = npmDir()
	out, err := c.StdoutPipe()
	if err != nil {
		return "", err
	}
	c.Stderr = os.Stderr
	if err := c.Start(); err != nil {
		return "", fmt.Errorf("starting PGlite: %w", err)
	}
	cmd = c
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
			}
		}
		close(port)
	}()
	select {
	case p, ok := <-port:
		if !ok {
			return "", fmt.Errorf("PGlite exited before listening")
		}
		// PGlite runs one Postgres session behind a multiplexer: one
		// connection per pool keeps transactions apart, and the exec mode
		// (no named prepared statements) keeps pools from colliding.
		return fmt.Sprintf("postgres://postgres:postgres@127.0.0.1:%s/postgres?sslmode=disable&pool_max_conns=1&default_query_exec_mode=exec", p), nil
	case <-time.After(60 * time.Second):
		c.Process.Kill()
		return "", fmt.Errorf("PGlite did not start in 60 s")
	}
}

// Stop ends the server if one was started.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if cmd != nil {
		cmd.Process.Kill()
		cmd.Wait()
		cmd, url = nil, ""
	}
}

var tables atomic.Int64

// Table returns a table name unique to the test, so tests sharing the
// server do not see each other's rows.
func Table(t testing.TB) string {
	name := fmt.Sprintf("t%d_%s", tables.Add(1), strings.ToLower(nonWord.ReplaceAllString(t.Name(), "_")))
	return name[:min(len(name), 40)]
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)
