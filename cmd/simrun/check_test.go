package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/scenarios"
)

// recorded is the history of a passing sync seed, recorded once.
var recorded = func() func(t *testing.T) *history.History {
	var h *history.History
	return func(t *testing.T) *history.History {
		t.Helper()
		if h == nil {
			w, err := sim.New(scenarios.SyncConfig(5), nil)
			require.NoError(t, err)
			require.NoError(t, scenarios.DefaultSync().Install(w))
			res := w.Run()
			require.NoError(t, res.Err)
			h = res.History
		}
		// A deep copy, so a test may tamper with it.
		path := filepath.Join(t.TempDir(), "copy.history.json")
		require.NoError(t, history.WriteFile(path, h, history.Meta{}))
		c, _, err := history.ReadFile(path)
		require.NoError(t, err)
		return c
	}
}()

// saved writes h under dir as name and returns its path.
func saved(t *testing.T, dir, name string, h *history.History) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, history.WriteFile(path, h, history.Meta{Scenario: "sync", Seed: 5}))
	return path
}

// TestCheck_ExitCodes: a passing history exits 0, a convicted one 1 naming
// the oracle, and bad usage or a history that cannot be read 2, naming the
// file and the problem.
func TestCheck_ExitCodes(t *testing.T) {
	dir := t.TempDir()
	pass := saved(t, dir, "pass.history.json", recorded(t))

	diverged := recorded(t)
	require.NotNil(t, diverged.Convergence)
	require.NotEmpty(t, diverged.Convergence.Replicas)
	diverged.Convergence.Replicas[0].Hash = "not-the-server's"
	diverging := saved(t, dir, "diverged.history.json", diverged)

	lost := recorded(t)
	for i := range lost.Downloads {
		if d := &lost.Downloads[i]; len(d.Entries) > 1 {
			d.Entries = d.Entries[1:]
			break
		}
	}
	losing := saved(t, dir, "lost.history.json", lost)

	raw := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		return path
	}
	b, err := os.ReadFile(pass)
	require.NoError(t, err)
	truncated := raw("truncated.history.json", string(b[:len(b)/2]))
	newer := raw("newer.history.json", strings.Replace(string(b), `"version": 1`, `"version": 2`, 1))
	notJSON := raw("notes.txt", "# not the histories you are looking for\n")
	missing := filepath.Join(dir, "none.history.json")

	cases := []struct {
		name string
		args []string
		code int
		says []string
	}{
		{"a passing history", []string{"check", pass}, 0, []string{"PASS " + pass}},
		{"a history whose replica diverged", []string{"check", diverging}, 1, []string{"FAIL " + diverging + ": convergence: ", "1 of 1 histories convicted"}},
		{"a history with a lost changeset", []string{"check", "--timeout", "30s", losing}, 1, []string{"FAIL " + losing + ": sync-log: realm /shared: not linearizable"}},
		{"passing and failing together", []string{"check", pass, diverging}, 1, []string{"PASS " + pass, "FAIL " + diverging, "1 of 2 histories convicted"}},
		{"a truncated file", []string{"check", truncated}, 2, []string{truncated + ": line ", "unexpected end of input"}},
		{"a file of another version", []string{"check", newer}, 2, []string{newer + ": file version 2: this build reads version 1"}},
		{"a file that is not JSON", []string{"check", notJSON}, 2, []string{notJSON + ": line 1 column 1: invalid character '#' looking for beginning of value"}},
		{"a missing file", []string{"check", missing}, 2, []string{"none.history.json: no such file or directory"}},
		{"a bad file among good ones", []string{"check", pass, newer}, 2, []string{"PASS " + pass, newer + ": file version 2", "1 of 2 histories could not be judged"}},
		{"no files", []string{"check"}, 2, []string{"usage", "one or more history files"}},
		{"help", []string{"check", "-h"}, 2, []string{"usage: simrun check", "-views"}},
		{"an unknown flag", []string{"check", "--veiws", dir}, 2, []string{"veiws"}},
		{"a timeout of zero", []string{"check", "--timeout", "0s", pass}, 2, []string{"--timeout 0s"}},
		{"a directory without histories", []string{"check", t.TempDir()}, 2, []string{"no history files"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := simrun(t, c.args...)
			assert.Equal(t, c.code, code, "stdout: %s\nstderr: %s", out, errs)
			for _, s := range c.says {
				assert.Contains(t, out+errs, s)
			}
		})
	}
}

// TestCheck_WalksDirectoriesInOrder: a directory argument judges every
// *.history.json and history.json under it, recursively, sorted, and
// nothing else.
func TestCheck_WalksDirectoriesInOrder(t *testing.T) {
	dir := t.TempDir()
	h := recorded(t)
	paths := []string{
		saved(t, dir, "b/history.json", h),
		saved(t, dir, "a.history.json", h),
		saved(t, dir, "b/c/seed-1.history.json", h), // b/c/… sorts before b/history.json
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b", "summary.json"), []byte("{}"), 0o644))
	code, out, errs := simrun(t, "check", dir)
	require.Equal(t, 0, code, errs)
	want := "PASS " + paths[1] + "\nPASS " + paths[2] + "\nPASS " + paths[0] + "\n"
	assert.Equal(t, want, out)
}

// TestCheck_WritesViewsOfLinearizabilityFailures: --views DIR puts the
// porcupine views of a convicted history in a directory named after it.
func TestCheck_WritesViewsOfLinearizabilityFailures(t *testing.T) {
	dir := t.TempDir()
	lost := recorded(t)
	for i := range lost.Downloads {
		if d := &lost.Downloads[i]; len(d.Entries) > 1 {
			d.Entries = d.Entries[1:]
			break
		}
	}
	path := saved(t, dir, "lost.history.json", lost)
	views := filepath.Join(dir, "views")
	code, out, errs := simrun(t, "check", "--views", views, path)
	require.Equal(t, 1, code, errs)
	html, err := filepath.Glob(filepath.Join(views, "*", "sync-log-*.html"))
	require.NoError(t, err)
	require.NotEmpty(t, html, out)
	assert.Contains(t, out, "  view: "+html[0])
}
