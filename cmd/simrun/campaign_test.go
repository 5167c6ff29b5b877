package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/reports"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/scenarios"
)

// keptTrace runs pingecho seed 0 keeping its trace and returns the trace's
// lines.
func keptTrace(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	code, _, errs := simrun(t, "run", "--scenario", "pingecho", "--seeds", "1", "--keep-traces", "--out", dir)
	require.Equal(t, 0, code, errs)
	b, err := os.ReadFile(filepath.Join(dir, "seed-pingecho-0.trace.jsonl"))
	require.NoError(t, err)
	return strings.SplitAfter(string(b), "\n")
}

// TestBadInput_ExitsTwoWithOneLineNamingTheProblem: every malformed flag,
// spec or file a new user could give is refused with exit code 2 and one
// line on stderr that says what is wrong.
func TestBadInput_ExitsTwoWithOneLineNamingTheProblem(t *testing.T) {
	dir := t.TempDir()
	lines := keptTrace(t)
	write := func(name string, ls []string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(strings.Join(ls, "")), 0o644))
		return p
	}
	cut := write("cut.jsonl", lines[:len(lines)/2])
	noFooter := write("nofooter.jsonl", lines[:len(lines)-2]) // the footer line and the empty tail
	otherVersion := write("v9.jsonl", append([]string{strings.Replace(lines[0], `{"format":1,`, `{"format":9,`, 1)}, lines[1:]...))
	require.Contains(t, lines[0], `"EventBudget":`)
	unknownMutant := write("mutant.jsonl", append([]string{strings.Replace(lines[0], `"EventBudget":`, `"Mutants":["no-such-bug"],"EventBudget":`, 1)}, lines[1:]...))
	file := write("a-file", []string{"x"})
	out := filepath.Join(dir, "out")

	cases := []struct {
		name string
		env  string // JOB_COMPLETION_INDEX, "-" for unset
		args []string
		says string
	}{
		{"seed range overflows", "-", []string{"run", "--seed", "18446744073709551615", "--seeds", "2", "--out", out}, "past 18446744073709551615"},
		{"seed past 64 bits", "-", []string{"run", "--seed", "18446744073709551616", "--out", out}, "--seed"},
		{"empty seed range", "-", []string{"run", "--seed-range", "5:3", "--out", out}, "empty"},
		{"seed range malformed", "-", []string{"run", "--seed-range", "5-8", "--out", out}, "want A:B"},
		{"seed range with seeds", "-", []string{"run", "--seed-range", "5:8", "--seeds", "3", "--out", out}, "cannot be combined"},
		{"zero seeds", "-", []string{"run", "--seeds", "0", "--out", out}, "--seeds 0"},
		{"seeds not a number", "-", []string{"run", "--seeds", "abc", "--out", out}, "not a whole number"},
		{"seeds a fraction", "-", []string{"run", "--seeds", "1.5", "--out", out}, "not a whole number"},
		{"seeds past 64 bits", "-", []string{"run", "--seeds", "1e20", "--out", out}, "too large"},
		{"shard index past count", "-", []string{"run", "--shard", "4/4", "--out", out}, "--shard"},
		{"shard malformed", "-", []string{"run", "--shard", "two", "--out", out}, "want i/n"},
		{"shard of zero", "-", []string{"run", "--shard", "0/0", "--out", out}, "want i/n"},
		{"shards without JOB_COMPLETION_INDEX", "-", []string{"run", "--shards", "4", "--out", out}, "JOB_COMPLETION_INDEX"},
		{"shards with an index past count", "4", []string{"run", "--shards", "4", "--out", out}, "JOB_COMPLETION_INDEX=\"4\""},
		{"shards with a malformed index", "x", []string{"run", "--shards", "4", "--out", out}, "JOB_COMPLETION_INDEX=\"x\""},
		{"shard and shards", "1", []string{"run", "--shard", "1/4", "--shards", "4", "--out", out}, "not both"},
		{"shard holding no seed", "-", []string{"run", "--seeds", "2", "--shard", "3/4", "--out", out}, "holds none"},
		{"unknown scenario", "-", []string{"run", "--scenario", "nope", "--out", out}, `no scenario "nope"`},
		{"unknown mutant", "-", []string{"run", "--mutant", "no-such-bug", "--out", out}, `unknown mutant "no-such-bug"`},
		{"mutant the scenario never exercises", "-", []string{"run", "--scenario", "sync", "--mutant", "restore-keeps-salt", "--out", out}, "never exercises"},
		{"reset mutant on sync", "-", []string{"run", "--scenario", "sync", "--mutant", "discard-unreported", "--out", out}, "try --scenario resets"},
		{"any mutant on pingecho", "-", []string{"run", "--scenario", "pingecho", "--mutant", "ack-before-sync", "--out", out}, "never exercises"},
		{"unwritable out", "-", []string{"run", "--seeds", "1", "--out", filepath.Join(file, "sub")}, "--out"},
		{"bad worker memory", "-", []string{"run", "--worker-memory", "lots", "--out", out}, "--worker-memory"},
		{"negative budget", "-", []string{"run", "--budget", "-1s", "--out", out}, "--budget"},
		{"recheck above one", "-", []string{"run", "--recheck", "2", "--out", out}, "--recheck"},
		{"run takes no arguments", "-", []string{"run", "--out", out, "extra"}, "no arguments"},
		{"unknown flag", "-", []string{"run", "--sedes", "3"}, "sedes"},
		{"help of simrun", "-", []string{"-h"}, "usage"},
		{"help of run", "-", []string{"run", "-h"}, "usage"},
		{"help of replay", "-", []string{"replay", "-h"}, "usage"},
		{"trace cut at a line", "-", []string{"replay", cut}, "the trace is incomplete"},
		{"trace without its footer", "-", []string{"replay", noFooter}, "the trace is incomplete"},
		{"trace of another format version", "-", []string{"replay", otherVersion}, "format version 9"},
		{"trace naming an unknown mutant", "-", []string{"replay", unknownMutant}, `mutant "no-such-bug"`},
		{"not a trace", "-", []string{"replay", file}, "not a readable trace"},
		{"report of nothing", "-", []string{"report"}, "one or more campaign directories"},
		{"report of a directory without a summary", "-", []string{"report", dir}, "summary.json"},
		{"report of several without out", "-", []string{"report", dir, dir}, "needs --out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.env == "-" {
				t.Setenv("JOB_COMPLETION_INDEX", "")
				os.Unsetenv("JOB_COMPLETION_INDEX")
			} else {
				t.Setenv("JOB_COMPLETION_INDEX", c.env)
			}
			code, stdout, errs := simrun(t, c.args...)
			assert.Equal(t, 2, code, "stdout: %s\nstderr: %s", stdout, errs)
			if !strings.HasSuffix(c.name, "help of simrun") && !strings.HasPrefix(c.name, "help") {
				assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
			}
			last := errs
			if i := strings.LastIndex(strings.TrimSuffix(errs, "\n"), "\n"); i >= 0 {
				last = errs[i+1:]
			}
			assert.Contains(t, last, c.says)
			assert.True(t, strings.HasPrefix(last, "simrun: "), "%q", last)
		})
	}
}

// TestSeeds_AHugeCountIsStreamedNotListed: --seeds 1e18 starts at once
// (no list of seeds is built) and a budget stops it with a partial
// report that says why.
func TestSeeds_AHugeCountIsStreamedNotListed(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	code, out, errs := simrun(t, "run", "--scenario", "pingecho", "--seeds", "1e18", "--budget", "2s", "--parallel", "1", "--out", dir)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", out, errs)
	assert.Less(t, time.Since(start), 30*time.Second)
	c := readSum(t, dir)
	assert.True(t, c.Partial)
	assert.Contains(t, c.PartialReason, "--budget 2s spent")
	assert.NotEmpty(t, c.Results)
	assert.Contains(t, out, "PARTIAL")
}

// TestSeedRange_IsInclusiveExclusive: --seed-range 5:8 runs 5, 6 and 7.
func TestSeedRange_IsInclusiveExclusive(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := simrun(t, "run", "--scenario", "pingecho", "--seed-range", "5:8", "--out", dir)
	require.Equal(t, 0, code, errs)
	var seeds []uint64
	for _, r := range readSum(t, dir).Results {
		seeds = append(seeds, r.Seed)
	}
	assert.Equal(t, []uint64{5, 6, 7}, seeds)
}

// TestSeedSpace_EachAndCountAgree, including at the top of the 64-bit
// range, where a naive loop would wrap around.
func TestSeedSpace_EachAndCountAgree(t *testing.T) {
	const top = ^uint64(0)
	cases := []struct {
		name  string
		s     seedSpace
		seeds []uint64
	}{
		{"unsharded", seedSpace{lo: 3, hi: 6, shards: 1}, []uint64{3, 4, 5, 6}},
		{"shard 1 of 3", seedSpace{lo: 0, hi: 9, shard: 1, shards: 3}, []uint64{1, 4, 7}},
		{"shard below lo", seedSpace{lo: 5, hi: 12, shard: 0, shards: 4}, []uint64{8, 12}},
		{"empty shard", seedSpace{lo: 0, hi: 1, shard: 3, shards: 4}, nil},
		{"the last seeds", seedSpace{lo: top - 2, hi: top, shards: 1}, []uint64{top - 2, top - 1, top}},
		{"the last seed in a shard", seedSpace{lo: top - 5, hi: top, shard: top % 4, shards: 4}, []uint64{top - 4, top}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []uint64
			c.s.each(func(s uint64) bool { got = append(got, s); return true })
			assert.Equal(t, c.seeds, got)
			assert.Equal(t, uint64(len(c.seeds)), c.s.count())
		})
	}
}

// TestWorker_ACrashOrHangIsThatSeedsFailureAndTheCampaignGoesOn: the
// test-only hook kills one worker mid-seed, hangs another and makes a
// third run out of memory; each seed is recorded with its verdict, its
// configuration and a replay command, and every other seed completes.
func TestWorker_ACrashOrHangIsThatSeedsFailureAndTheCampaignGoesOn(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(faultEnv, "crash@2,hang@5,oom@7")
	code, out, errs := simrun(t, "run", "--scenario", "pingecho", "--seeds", "10", "--parallel", "2",
		"--seed-timeout", "3s", "--worker-memory", "64MiB", "--out", dir)
	require.Equal(t, 1, code, "stdout: %s\nstderr: %s", out, errs)
	c := readSum(t, dir)
	require.Len(t, c.Results, 10, "every seed has a verdict")
	want := map[uint64]string{2: reports.VerdictCrash, 5: reports.VerdictTimeout, 7: reports.VerdictCrash}
	for _, r := range c.Results {
		v, bad := want[r.Seed]
		if !bad {
			assert.Equal(t, reports.VerdictPass, r.Verdict, "seed %d: %s", r.Seed, r.Message)
			continue
		}
		assert.Equal(t, v, r.Verdict, "seed %d", r.Seed)
		assert.Contains(t, r.Message, "scenario pingecho seed")
		assert.Equal(t, "go run ./cmd/simrun run --scenario pingecho --seed "+itoa(r.Seed)+" --seeds 1 --out "+filepath.Join(dir, "rerun-pingecho-"+itoa(r.Seed)), r.Files.Replay)
		assert.Contains(t, out, "FAIL seed "+itoa(r.Seed))
	}
	msg := func(seed uint64) string {
		for _, r := range c.Results {
			if r.Seed == seed {
				return r.Message
			}
		}
		return ""
	}
	assert.Contains(t, msg(2), "the worker died")
	assert.Contains(t, msg(5), "overran its wall-clock limit of 3s")
	assert.Contains(t, msg(7), "out of memory")
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// verdicts is a campaign's per-seed verdicts and trace hashes.
func verdicts(c *reports.Campaign) map[uint64]string {
	m := map[uint64]string{}
	for _, r := range c.Results {
		m[r.Seed] = r.Verdict + " " + r.TraceHash
	}
	return m
}

// TestCampaign_ShardsMergedEqualOneRunAndARunIsRepeatable: the same
// campaign run twice gives the same verdicts and hashes, and run as four
// shards merged by simrun report gives the same set of results.
func TestCampaign_ShardsMergedEqualOneRunAndARunIsRepeatable(t *testing.T) {
	dir := t.TempDir()
	args := []string{"run", "--scenario", "sync", "--mutant", "download-overlaps-cursor", "--seeds", "8", "--views=false", "--recheck", "0.5"}
	one, two := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	code, _, _ := simrun(t, append(args, "--out", one)...)
	require.Equal(t, 1, code)
	code, _, _ = simrun(t, append(args, "--out", two, "--parallel", "1")...)
	require.Equal(t, 1, code)
	c1, c2 := readSum(t, one), readSum(t, two)
	require.Len(t, c1.Results, 8)
	assert.Equal(t, verdicts(c1), verdicts(c2))
	assert.Empty(t, c1.Nondeterministic)
	assert.NotEmpty(t, c1.Rechecks)

	var shards []string
	for i := range 4 {
		d := filepath.Join(dir, "shard-"+itoa(uint64(i)))
		code, _, _ := simrun(t, append(args, "--shard", itoa(uint64(i))+"/4", "--out", d)...)
		require.NotEqual(t, 2, code)
		shards = append(shards, d)
	}
	merged := filepath.Join(dir, "merged")
	code, out, errs := simrun(t, append([]string{"report", "--out", merged}, shards...)...)
	require.Equal(t, 1, code, "stdout: %s\nstderr: %s", out, errs)
	m := readSum(t, merged)
	assert.Equal(t, verdicts(c1), verdicts(m))
	assert.Equal(t, []string{"0/4", "1/4", "2/4", "3/4"}, m.Shards)
	for _, f := range []string{"report.html", "report.md", "junit.xml"} {
		assert.FileExists(t, filepath.Join(merged, f))
	}
	// The merged report links the shards' traces, relative to it.
	html, err := os.ReadFile(filepath.Join(merged, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), `href="../shard-0/fail-sync-0.trace.jsonl"`)
	for _, r := range m.Results {
		assert.FileExists(t, r.Files.Trace)
	}
}

// TestOut_AnEarlierCampaignsFilesAreRemoved: a run into an --out that
// holds an earlier campaign's failure traces leaves none of them beside
// its own clean summary; files it does not own stay.
func TestOut_AnEarlierCampaignsFilesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := simrun(t, "run", "--scenario", "test-reorder", "--seeds", "3", "--out", dir)
	require.Equal(t, 1, code)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644))
	code, _, errs := simrun(t, "run", "--scenario", "pingecho", "--seeds", "2", "--out", dir)
	require.Equal(t, 0, code, errs)
	left, _ := filepath.Glob(filepath.Join(dir, "fail-*"))
	assert.Empty(t, left)
	assert.FileExists(t, filepath.Join(dir, "notes.txt"))
	for _, f := range []string{"summary.json", "report.html", "report.md", "junit.xml"} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), st.Mode().Perm(), f)
	}
}

// TestInterrupt_WritesAPartialReportAndExits130: SIGINT stops the
// campaign; the report says it is partial.
func TestInterrupt_WritesAPartialReportAndExits130(t *testing.T) {
	dir := t.TempDir()
	go func() {
		time.Sleep(3 * time.Second)
		_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
	}()
	code, out, errs := simrun(t, "run", "--scenario", "pingecho", "--seeds", "1e18", "--parallel", "1", "--out", dir)
	require.Equal(t, 130, code, "stdout: %s\nstderr: %s", out, errs)
	c := readSum(t, dir)
	assert.True(t, c.Partial)
	assert.Contains(t, c.PartialReason, "interrupted by Ctrl-C (SIGINT)")
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, strings.ToLower(string(md)), "partial")
}

// TestWorldCheck_NamesTheFailingComponent: a World failure is reported
// under "world: COMPONENT".
func TestWorldCheck_NamesTheFailingComponent(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{errors.New("client reset: client/0: the backup copy holds unsynced changesets"), "world: client reset"},
		{errors.New("sync: client/1 diverged"), "world: sync"},
		{fmt.Errorf("%w: event budget exhausted", sim.ErrLiveness), "world: liveness"},
		{errors.New("something went wrong without a component to name"), "world"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, worldCheck(c.err), c.err.Error())
	}
}

// TestScenarioLayers_NameRegisteredScenariosOnly: the table that decides
// which mutants a scenario exercises names scenarios that exist.
func TestScenarioLayers_NameRegisteredScenariosOnly(t *testing.T) {
	for name := range scenarioLayers {
		_, err := scenarios.Lookup(name)
		assert.NoError(t, err, name)
	}
	assert.NoError(t, checkExercised("resets", mutantNames()), "resets exercises every mutant")
}
