package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/reports"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/faults"
	"github.com/syncsim/syncsim/sim/scenarios"
)

// TestMain lets the test binary serve as simrun's worker process: a
// campaign re-executes os.Executable(), which under go test is this
// binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// readSum reads dir/summary.json, its paths relative to the working
// directory.
func readSum(t *testing.T, dir string) *reports.Campaign {
	t.Helper()
	c, err := readCampaign(dir)
	require.NoError(t, err)
	return c
}

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

	// Cut short (as a crash leaves it): incomplete, bad input.
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(b), "\n")
	cut := filepath.Join(dir, "cut.jsonl")
	require.NoError(t, os.WriteFile(cut, []byte(strings.Join(lines[:len(lines)/2], "")), 0o644))
	code, _, errs = simrun(t, "replay", cut)
	assert.Equal(t, 2, code, errs)
	assert.Contains(t, errs, "the trace is incomplete")

	// An edited event breaks the footer hash: refused as bad input.
	edited := filepath.Join(dir, "edited.jsonl")
	require.NoError(t, os.WriteFile(edited, []byte(strings.Replace(string(b), `"seq":3}`, `"seq":4}`, 1)), 0o644))
	code, _, errs = simrun(t, "replay", edited)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "does not match")

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
			p.Faults = faults.Options{}
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

func TestMutantFlag_RefusesAnUnknownNameAndNamesTheKnownOnes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name   string
		mutant string
		says   []string
	}{
		{"unknown name", "no-such-bug", []string{`unknown mutant "no-such-bug"`, "download-overlaps-cursor", "restore-keeps-salt"}},
		{"one unknown among known", "ack-before-sync,typo", []string{`unknown mutant "typo"`, "ack-before-sync"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := simrun(t, "run", "--seeds", "1", "--mutant", c.mutant, "--out", dir)
			assert.Equal(t, 2, code, "stdout: %s\nstderr: %s", out, errs)
			for _, s := range c.says {
				assert.Contains(t, errs, s)
			}
		})
	}
}

func TestFailingSeed_WritesItsViewsWhereTheScenarioCan(t *testing.T) {
	cases := []struct {
		name      string
		args      []string
		wantViews bool
	}{
		{"sync with a sync-log mutant", []string{"--scenario", "sync", "--mutant", "download-overlaps-cursor", "--seeds", "2"}, true},
		{"views switched off", []string{"--scenario", "sync", "--mutant", "download-overlaps-cursor", "--seeds", "2", "--views=false"}, false},
		{"a scenario that cannot write views", []string{"--scenario", "test-reorder", "--seeds", "3"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			code, out, errs := simrun(t, append(append([]string{"run"}, c.args...), "--out", dir)...)
			require.Equal(t, 1, code, "stdout: %s\nstderr: %s", out, errs)
			sum := readSum(t, dir)
			html, _ := filepath.Glob(filepath.Join(dir, "views", "*", "*.html"))
			if !c.wantViews {
				assert.Empty(t, html)
				assert.NotContains(t, out, "views:")
				assert.NoDirExists(t, filepath.Join(dir, "views", sum.Scenarios[0]+"-0"))
				return
			}
			require.NotEmpty(t, html)
			for _, r := range sum.Results {
				if !r.Failed() {
					continue
				}
				want := filepath.Join(dir, "views", fmt.Sprintf("%s-%d", r.Scenario, r.Seed))
				assert.Equal(t, want, r.Files.Views, "seed %d", r.Seed)
				assert.Contains(t, out, "  views: "+want)
				got, _ := filepath.Glob(filepath.Join(want, "*.html"))
				assert.NotEmpty(t, got, "seed %d's views", r.Seed)
				// The trace was written by the run that wrote the views:
				// a replay, which writes none, still matches it.
				_, rout, rerrs := simrun(t, "replay", r.Files.Trace)
				assert.Contains(t, rout+rerrs, "matches the trace", "seed %d", r.Seed)
			}
		})
	}
}

func TestReplay_SwitchesOnTheTracesMutants(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := simrun(t, "run", "--scenario", "sync", "--mutant", "download-overlaps-cursor", "--seeds", "1", "--views=false", "--out", dir)
	require.Equal(t, 1, code)
	sum := readSum(t, dir)
	assert.Equal(t, []string{"download-overlaps-cursor"}, sum.Mutants)

	path := filepath.Join(dir, "fail-sync-0.trace.jsonl")
	code, out, errs := simrun(t, "replay", path)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "with mutants download-overlaps-cursor seed 0 matches the trace")
	assert.Contains(t, errs, "fails again")
	assert.Contains(t, errs, "sync-log")

	// The unmutated engine does not reproduce the failure: the mutants
	// matter.
	sc, err := scenarios.Lookup("sync")
	require.NoError(t, err)
	res, err := sc.Run(0, nil)
	require.NoError(t, err)
	assert.NoError(t, judged(res, ""))
}

// TestCheck_ASavedFailingHistoryGivesTheRunsVerdict: a failing seed saves
// its history beside its trace; simrun check judges the saved file again
// and convicts it with the same oracle and the same failures as the run.
func TestCheck_ASavedFailingHistoryGivesTheRunsVerdict(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := simrun(t, "run", "--scenario", "sync", "--mutant", "download-overlaps-cursor", "--seeds", "1", "--views=false", "--out", dir)
	require.Equal(t, 1, code)
	path := filepath.Join(dir, "fail-sync-0.history.json")
	assert.Contains(t, out, "history: "+path)
	sum := readSum(t, dir)
	require.Len(t, sum.Results, 1)
	require.Equal(t, "sync-log", sum.Results[0].Oracle)
	runErr := sum.Results[0].Message

	code, cout, cerr := simrun(t, "check", path)
	assert.Equal(t, 1, code, cerr)
	assert.Contains(t, cout, "FAIL "+path+": sync-log: ")
	// The run's first failure is among what the check prints.
	first, _, _ := strings.Cut(runErr, ";")
	assert.Contains(t, cout, first[:min(len(first), 200)])
}
