package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/scenarios"
)

func simrun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"passing campaign", []string{"run", "--seeds", "5", "--out", dir}, 0, "5 seeds, 0 failed"},
		{"no command", nil, 2, "usage"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown scenario", []string{"run", "--scenario", "nope", "--out", dir}, 2, `no scenario "nope"`},
		{"bad shard", []string{"run", "--shard", "3/2", "--out", dir}, 2, "--shard"},
		{"zero seeds", []string{"run", "--seeds", "0", "--out", dir}, 2, "--seeds 0"},
		{"unknown flag", []string{"run", "--sedes", "3"}, 2, "sedes"},
		{"replay without file", []string{"replay"}, 2, "one trace file"},
		{"replay of a missing file", []string{"replay", filepath.Join(dir, "none.jsonl")}, 2, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := simrun(t, c.args...)
			assert.Equal(t, c.code, code, "stdout: %s\nstderr: %s", out, errs)
			assert.Contains(t, out+errs, c.says)
		})
	}
}

func TestShards_CoverEverySeedOnce(t *testing.T) {
	dir := t.TempDir()
	var all []string
	for i := 0; i < 3; i++ {
		code, out, _ := simrun(t, "run", "--scenario", "pingecho", "--seeds", "10", "--shard", []string{"0/3", "1/3", "2/3"}[i], "--out", filepath.Join(dir, "s"+string(rune('0'+i))))
		require.Equal(t, 0, code)
		all = append(all, out)
	}
	assert.Contains(t, all[0], "4 seeds")
	assert.Contains(t, all[1], "3 seeds")
	assert.Contains(t, all[2], "3 seeds")
}

func TestReplay_MatchesAKeptTraceAndRefusesAnEditedOne(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := simrun(t, "run", "--scenario", "pingecho", "--seed", "11", "--seeds", "1", "--keep-traces", "--out", dir)
	require.Equal(t, 0, code)
	path := filepath.Join(dir, "seed-pingecho-11.trace.jsonl")

	code, out, errs := simrun(t, "replay", path)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "matches the trace")

	// Cut short (as a crash leaves it): the prefix still matches.
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(b), "\n")
	cut := filepath.Join(dir, "cut.jsonl")
	require.NoError(t, os.WriteFile(cut, []byte(strings.Join(lines[:len(lines)/2], "")), 0o644))
	code, _, errs = simrun(t, "replay", cut)
	assert.Equal(t, 0, code, errs)

	// An edited event breaks the footer hash: refused as bad input.
	edited := filepath.Join(dir, "edited.jsonl")
	require.NoError(t, os.WriteFile(edited, []byte(strings.Replace(string(b), `"seq":3}`, `"seq":4}`, 1)), 0o644))
	code, _, errs = simrun(t, "replay", edited)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "does not match")

	// Edited and without the footer: the replay runs and shows where it diverges.
	noFooter := filepath.Join(dir, "diverge.jsonl")
	el := strings.SplitAfter(strings.Replace(string(b), `"seq":3}`, `"seq":4}`, 1), "\n")
	require.NoError(t, os.WriteFile(noFooter, []byte(strings.Join(el[:len(el)-2], "")), 0o644))
	code, _, errs = simrun(t, "replay", noFooter)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "diverges")
}

func init() {
	// A scenario that fails on most seeds: a network that reorders behind
	// the toy workload's back.
	err := scenarios.Register(scenarios.Scenario{
		Name:  "test-reorder",
		Story: "pingecho on a network that reorders (fails on purpose)",
		Config: func(seed uint64) sim.Config {
			c := scenarios.PingEchoConfig(seed)
			c.Network.ReorderRate = 0.5
			c.Network.ReorderWindow = 5 * time.Second
			return c
		},
		Install: func(w *sim.World) error {
			p := scenarios.DefaultPingEcho()
			p.Faults = false
			return p.Install(w)
		},
	})
	if err != nil {
		panic(err)
	}
}

func TestFailingSeed_KeepsItsTraceAndReplaysTheFailure(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := simrun(t, "run", "--scenario", "test-reorder", "--seeds", "3", "--out", dir)
	require.Equal(t, 1, code)
	assert.Contains(t, out, "FAIL seed")
	traces, _ := filepath.Glob(filepath.Join(dir, "fail-test-reorder-*.trace.jsonl"))
	require.NotEmpty(t, traces)
	code, out, errs := simrun(t, "replay", traces[0])
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "matches the trace")
	assert.Contains(t, errs, "fails again")
	left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	assert.Empty(t, left, "no temporary files left behind")
}
