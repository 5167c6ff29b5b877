package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/oracle"
)

// sampleResults is a realistic campaign: passes, a sync-log failure, a
// crash, a convergence failure, over two scenarios.
func sampleResults() []SeedResult {
	pass := func(sc string, seed uint64, ttc time.Duration, faults map[string]int) SeedResult {
		return SeedResult{
			Scenario: sc, Seed: seed, Verdict: VerdictPass, TraceHash: "h" + sc + string(rune('a'+seed%26)),
			Events: 1000 + seed, Steps: 800 + seed, SimTime: 10 * time.Minute, TimeToConverge: ttc,
			FaultsByKind: faults, WritesByBucket: map[string]int{"visible": 40, "overridden": 3, "deleted": 1},
			Resets: []ResetCount{{Cause: "diverging histories", Mode: "recover", Outcome: "recovered", N: 1}},
			Wall:   150 * time.Millisecond, CPU: 140 * time.Millisecond,
		}
	}
	trace := "out/fail-swarm-7.trace.jsonl"
	return []SeedResult{
		pass("swarm", 1, 120*time.Millisecond, map[string]int{"partition": 2, "conn-drop": 5}),
		pass("swarm", 2, 450*time.Millisecond, map[string]int{"server-crash": 1}),
		pass("swarm", 3, 0, nil),
		pass("swarm", 4, 2300*time.Millisecond, map[string]int{"restore": 1, "conn-drop": 2}),
		{
			Scenario: "swarm", Seed: 7, Verdict: VerdictFail, Oracle: "sync-log",
			Message:   "realm /team: upload of 3:4 acknowledged at 2m3s although the client file was expired (compaction at 1m50s); " + strings.Repeat("porcupine found no linearization of 18 operations; ", 6),
			TraceHash: "h7", Events: 5400, Steps: 4100, SimTime: 10 * time.Minute, TimeToConverge: 800 * time.Millisecond,
			FaultsByKind:   map[string]int{"conn-drop": 3, "compaction": 1, "offline": 2},
			Resets:         []ResetCount{{Cause: "client file expired", Mode: "discard", Outcome: "discarded", N: 2}, {Cause: "diverging histories", Mode: "recover", Outcome: "recovered", N: 1}},
			WritesByBucket: map[string]int{"visible": 30, "discarded": 4, "lost": 1},
			Timeline: []TimelineEvent{
				{At: 30 * time.Second, Kind: "offline", Target: "client-1"}, {At: 95 * time.Second, Kind: "offline", Target: "client-2"},
				{At: 110 * time.Second, Kind: "compaction", Target: "server /team"},
				{At: 40 * time.Second, Kind: "conn-drop", Target: "client-0"}, {At: 200 * time.Second, Kind: "conn-drop", Target: "client-1"}, {At: 400 * time.Second, Kind: "conn-drop", Target: "client-3"},
			},
			Files: Files{Trace: trace, History: "out/fail-swarm-7.history.json", Views: "out/views/swarm-7", Shrunk: "out/shrunk-swarm-7.scn", Replay: ReplayCommand(trace)},
		},
		{
			Scenario: "swarm", Seed: 9, Verdict: VerdictCrash, Message: "panic: runtime error: index out of range [3] with length 3",
			TraceHash: "h9", Events: 220, SimTime: 42 * time.Second, TimeToConverge: NotMeasured,
			FaultsByKind: map[string]int{"server-crash": 1},
			Timeline:     []TimelineEvent{{At: 41 * time.Second, Kind: "server-crash", Target: "server"}},
			Files:        Files{Trace: "out/fail-swarm-9.trace.jsonl", Replay: ReplayCommand("out/fail-swarm-9.trace.jsonl")},
		},
		{
			Scenario: "server-restore", Seed: 3, Verdict: VerdictFail, Oracle: "convergence",
			Message: "client-2 /team never reached the server's state", TraceHash: "r3", SimTime: 12 * time.Minute,
			TimeToConverge: DidNotConverge, FaultsByKind: map[string]int{"restore": 1},
			Resets:   []ResetCount{{Cause: "diverging histories", Mode: "recoverOrDiscard", Outcome: "discarded", N: 3}},
			Timeline: []TimelineEvent{{At: 3 * time.Minute, Kind: "restore", Target: "server /team"}},
			Files:    Files{Trace: "out/fail-server-restore-3.trace.jsonl", Replay: ReplayCommand("out/fail-server-restore-3.trace.jsonl")},
		},
		pass("server-restore", 1, 3*time.Second, map[string]int{"restore": 1}),
	}
}

func sampleMeta() Meta {
	return Meta{
		Scenarios: []string{"swarm", "server-restore"}, Partial: true, PartialReason: "stopped by --budget 10m",
		Started: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), Duration: 9*time.Minute + 58*time.Second,
		Rechecks: []Recheck{{Scenario: "swarm", Seed: 1, First: "hswarmb", Second: "hswarmb"}},
	}
}

func TestBuildComputesTheAggregates(t *testing.T) {
	c := Build(sampleResults(), sampleMeta())
	a := c.Aggregates
	tests := []struct {
		name      string
		got, want any
	}{
		{"seeds", c.Seeds, 8},
		{"failures", c.Failures, 3},
		{"results sorted by scenario then seed", []uint64{c.Results[0].Seed, c.Results[1].Seed, c.Results[2].Seed}, []uint64{1, 3, 1}},
		{"by verdict, in verdict order", a.ByVerdict, []NameCount{{"pass", 5}, {"fail", 2}, {"crash", 1}}},
		{"failures by oracle, a crash under its verdict", a.FailuresByOracle, []NameCount{{"convergence", 1}, {"crash", 1}, {"sync-log", 1}}},
		{"faults by kind, most first", a.FaultsByKind[:2], []NameCount{{"conn-drop", 10}, {"restore", 3}}},
		{"seeds with a fault", a.SeedsWithFault[0], NameCount{"compaction", 1}},
		{"resets summed by cause, mode and outcome", a.Resets, []ResetCount{
			{"client file expired", "discard", "discarded", 2},
			{"diverging histories", "recover", "recovered", 6},
			{"diverging histories", "recoverOrDiscard", "discarded", 3},
		}},
		{"writes in bucket order", a.WritesByBucket, []NameCount{{"visible", 230}, {"overridden", 15}, {"deleted", 5}, {"discarded", 4}, {"lost", 1}}},
		{"converged", a.Converge.Converged, 6},
		{"did not converge", a.Converge.NotConverged, 1},
		{"not measured", a.Converge.NotMeasured, 1},
		{"p50", a.Converge.P50, 450 * time.Millisecond},
		{"p90", a.Converge.P90, 3 * time.Second},
		{"max", a.Converge.Max, 3 * time.Second},
		{"rechecks", [2]int{a.Rechecked, a.RecheckMatched}, [2]int{1, 1}},
		{"no probes registered", [2]int{len(a.ProbesHit), len(a.ProbesNeverHit)}, [2]int{0, 0}},
		{"partial", c.Partial, true},
		{"events", a.Events, uint64(1001 + 1002 + 1003 + 1004 + 1001 + 5400 + 220)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.got) })
	}
}

func TestHistogramCoversEveryConvergedSeed(t *testing.T) {
	s := Build(sampleResults(), Meta{}).Aggregates.Converge
	n := 0
	for i, h := range s.Histogram {
		n += h.N
		assert.Less(t, h.Lo, h.Hi)
		if i > 0 {
			assert.Equal(t, s.Histogram[i-1].Hi, h.Lo, "buckets are contiguous")
		}
	}
	assert.Equal(t, s.Converged, n)
	assert.Equal(t, time.Duration(0), s.Histogram[0].Lo, "the 0s seed is in the first bucket")
}

func TestProbesNeverHitAreTheKnownOnesNoSeedHit(t *testing.T) {
	rs := sampleResults()
	rs[0].Probes = map[string]int{"erase-beats-update": 3}
	rs[1].Probes = map[string]int{"erase-beats-update": 1, "list-copied": 2}
	c := Build(rs, Meta{KnownProbes: []string{"reset-fell-back", "list-copied", "erase-beats-update"}})
	assert.Equal(t, []NameCount{{"erase-beats-update", 4}, {"list-copied", 2}}, c.Aggregates.ProbesHit)
	assert.Equal(t, []string{"reset-fell-back"}, c.Aggregates.ProbesNeverHit)
}

func TestNondeterministicRecheckFailsTheCampaign(t *testing.T) {
	m := Meta{Rechecks: []Recheck{{Scenario: "swarm", Seed: 1, First: "a", Second: "b"}, {Scenario: "swarm", Seed: 2, First: "c", Second: "c"}}}
	c := Build(sampleResults()[:3], m)
	assert.False(t, c.Pass())
	assert.Equal(t, []Recheck{{Scenario: "swarm", Seed: 1, First: "a", Second: "b"}}, c.Nondeterministic)
	assert.Equal(t, 1, c.Aggregates.RecheckMatched)
	assert.Equal(t, 1, c.Failures)
	assert.Equal(t, [2]string{VerdictNondeterministic, "determinism"}, [2]string{c.Results[0].Verdict, c.Results[0].Oracle})
	assert.Contains(t, c.Results[0].Message, "a and b")

	orphan := Build(nil, Meta{Rechecks: []Recheck{{Scenario: "swarm", Seed: 5, First: "a", Second: "b"}}})
	assert.Equal(t, 1, orphan.Failures, "a re-check without a result still fails the campaign")
}

func TestMergeOfShardsEqualsBuildOfAll(t *testing.T) {
	rs, meta := sampleResults(), sampleMeta()
	var a, b []SeedResult
	for _, r := range rs {
		if r.Seed%2 == 0 {
			a = append(a, r)
		} else {
			b = append(b, r)
		}
	}
	ma, mb := meta, meta
	ma.Shards, mb.Shards = []string{"0/2"}, []string{"1/2"}
	ma.Partial, ma.PartialReason = false, ""
	ma.Duration = 5 * time.Minute
	mb.Started = meta.Started.Add(time.Minute)
	mb.Duration = meta.Duration - time.Minute
	mb.Rechecks = nil
	got, err := Merge(Build(a, ma), Build(b, mb), Build(rs[:2], mb)) // a third shard repeats two seeds
	require.NoError(t, err)
	meta.Shards = []string{"0/2", "1/2"}
	assert.Equal(t, Build(rs, meta), got)
}

func TestMergeRefuses(t *testing.T) {
	rs := sampleResults()
	conflicting := Build(rs[:1], sampleMeta())
	conflicting.Results[0].TraceHash = "other"
	other := sampleMeta()
	other.Mutants = []string{"stale-server-version"}
	tests := []struct {
		name string
		cs   []*Campaign
		want string
	}{
		{"conflicting hashes of a seed", []*Campaign{Build(rs, sampleMeta()), conflicting}, "scenario swarm seed 1 has trace hash"},
		{"other mutants", []*Campaign{Build(rs, sampleMeta()), Build(rs, other)}, "mutants"},
		{"other scenarios", []*Campaign{Build(rs, sampleMeta()), Build(rs, Meta{Scenarios: []string{"swarm"}})}, "scenarios"},
		{"nothing", nil, "no campaigns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge(tt.cs...)
			require.ErrorIs(t, err, ErrMerge)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestFromJudgedFillsFaultsResetsBucketsAndConvergence(t *testing.T) {
	h := &history.History{
		Faults: []history.Fault{
			{Kind: "partition", Target: "client-1", At: int64(2 * time.Second)},
			{Kind: "restore", Target: "server", Realm: "/team", At: int64(time.Second)},
			{Kind: "partition", Target: "client-0", At: int64(3 * time.Second)},
		},
		Resets: []history.Reset{
			{Code: history.CodeDivergingHistories, Mode: history.ModeRecover, Outcome: history.ResetRecovered},
			{Code: history.CodeDivergingHistories, Mode: history.ModeRecover, Outcome: history.ResetRecovered},
			{Code: history.CodeClientFileExpired, Mode: history.ModeDiscard, Outcome: history.ResetDiscarded},
		},
	}
	rep := &oracle.Report{
		Verdicts:    []oracle.Verdict{{Oracle: oracle.OracleSyncLog, Pass: true}, {Oracle: oracle.OracleAccounting, Failures: []string{"write 7 lost", "write 9 lost"}}},
		Convergence: &oracle.ConvergenceResult{Pass: true, TimeToConverge: int64(1500 * time.Millisecond)},
		Accounting:  &oracle.AccountingResult{Buckets: map[oracle.Bucket]int{oracle.BucketVisible: 5, oracle.BucketLost: 2, oracle.BucketDeleted: 0}},
	}
	r := SeedResult{Scenario: "swarm", Seed: 4}
	FromJudged(&r, h, rep)
	assert.Equal(t, map[string]int{"partition": 2, "restore": 1}, r.FaultsByKind)
	assert.Equal(t, []ResetCount{{"client file expired", "discard", "discarded", 1}, {"diverging histories", "recover", "recovered", 2}}, r.Resets)
	assert.Equal(t, map[string]int{"visible": 5, "lost": 2}, r.WritesByBucket)
	assert.Equal(t, 1500*time.Millisecond, r.TimeToConverge)
	assert.Equal(t, []TimelineEvent{{time.Second, "restore", "server /team"}, {2 * time.Second, "partition", "client-1"}, {3 * time.Second, "partition", "client-0"}}, r.Timeline)
	assert.Equal(t, [3]string{VerdictFail, "write-accounting", "write 7 lost; write 9 lost"}, [3]string{r.Verdict, r.Oracle, r.Message})

	crashed := SeedResult{Verdict: VerdictCrash, Message: "panic"}
	FromJudged(&crashed, nil, &oracle.Report{Convergence: &oracle.ConvergenceResult{Pass: false}})
	assert.Equal(t, [3]string{VerdictCrash, "", "panic"}, [3]string{crashed.Verdict, crashed.Oracle, crashed.Message}, "a crash keeps its verdict")
	assert.Equal(t, DidNotConverge, crashed.TimeToConverge)
}

// renderers are the four renderers by file name.
var renderers = []struct {
	name  string
	write func(io.Writer, *Campaign) error
}{
	{"report.html", WriteHTML}, {"report.md", WriteMarkdown}, {"summary.json", WriteJSON}, {"junit.xml", WriteJUnit},
}

func render(t *testing.T, write func(io.Writer, *Campaign) error, c *Campaign) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b, c))
	return b.String()
}

// campaigns are the campaigns the renderer tests render: the sample, an
// empty one, a passing one with probes, one nondeterministic.
func campaigns() map[string]*Campaign {
	rs := sampleResults()
	rs[0].Probes = map[string]int{"erase-beats-update": 2}
	return map[string]*Campaign{
		"sample": Build(sampleResults(), sampleMeta()),
		"empty":  Build(nil, Meta{}),
		"passing with probes": Build(append(rs[:4:4], rs[7]), Meta{
			KnownProbes: []string{"erase-beats-update", "list-copied", "reset-fell-back-to-discard", "restore-rolled-back-ack"}, Shards: []string{"1/3"},
			Rechecks: []Recheck{{Scenario: "swarm", Seed: 3, First: "x", Second: "y"}},
		}),
		"nondeterministic": Build(rs[:2], Meta{Rechecks: []Recheck{{Scenario: "swarm", Seed: 2, First: "x", Second: "y"}}}),
	}
}

// wellFormedHTML parses s as XHTML-compatible markup: every element
// closed and nested properly.
func wellFormedHTML(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestEveryRendererWritesWellFormedOutput(t *testing.T) {
	for name, c := range campaigns() {
		t.Run(name, func(t *testing.T) {
			h := render(t, WriteHTML, c)
			require.NoError(t, wellFormedHTML(h), "report.html is balanced")
			assert.NotContains(t, h, "http", "report.html links nothing outside")
			assert.NotContains(t, strings.ToLower(h), "<script", "report.html has no script")
			assert.NotContains(t, h, "url(", "report.html loads nothing")

			var suites junitSuites
			require.NoError(t, xml.Unmarshal([]byte(render(t, WriteJUnit, c)), &suites))
			assert.Equal(t, c.Seeds, suites.Tests)
			assert.Equal(t, c.Failures, suites.Failures+suites.Errors)

			back, err := ReadSummary(strings.NewReader(render(t, WriteJSON, c)))
			require.NoError(t, err)
			assert.Equal(t, c, back, "summary.json round-trips")

			assert.Contains(t, render(t, WriteMarkdown, c), "# syncsim campaign: ")
		})
	}
}

func TestJUnitCaseIsASeedAndCrashesAreErrors(t *testing.T) {
	var s junitSuites
	require.NoError(t, xml.Unmarshal([]byte(render(t, WriteJUnit, Build(sampleResults(), sampleMeta()))), &s))
	require.Len(t, s.Suites, 2)
	sw := s.Suites[1]
	assert.Equal(t, "swarm", sw.Name)
	assert.Equal(t, [3]int{6, 1, 1}, [3]int{sw.Tests, sw.Failures, sw.Errors})
	var fail, crash *junitCase
	for i, tc := range sw.Cases {
		switch tc.Name {
		case "seed 7":
			fail = &sw.Cases[i]
		case "seed 9":
			crash = &sw.Cases[i]
		}
	}
	require.NotNil(t, fail)
	require.NotNil(t, fail.Failure)
	assert.True(t, strings.HasPrefix(fail.Failure.Message, "sync-log: realm /team"))
	assert.Contains(t, fail.Failure.Body, "go run ./cmd/simrun replay out/fail-swarm-7.trace.jsonl")
	require.NotNil(t, crash)
	require.NotNil(t, crash.Error)
	assert.Nil(t, crash.Failure)
}

func TestRenderingIsDeterministic(t *testing.T) {
	for _, r := range renderers {
		t.Run(r.name, func(t *testing.T) {
			for name, c := range campaigns() {
				again := Build(c.Results, c.Meta()) // rebuilt from scratch: map order differs
				assert.Equal(t, render(t, r.write, c), render(t, r.write, again), name)
			}
		})
	}
}

func TestHTMLEscapesAMessageContainingScript(t *testing.T) {
	rs := sampleResults()
	rs[4].Message = `<script>alert("x")</script> & <img src=x onerror=alert(1)>`
	rs[4].Oracle = "<b>sync-log</b>"
	rs[4].Timeline[0].Kind = "<script>"
	h := render(t, WriteHTML, Build(rs, Meta{}))
	assert.NotContains(t, strings.ToLower(h), "<script")
	assert.NotContains(t, h, "<img")
	assert.NotContains(t, h, "<b>sync-log")
	assert.Contains(t, h, "&lt;script&gt;")
	require.NoError(t, wellFormedHTML(h))

	md := render(t, WriteMarkdown, Build(rs, Meta{}))
	assert.NotContains(t, md, "<script")
}

func TestHTMLTruncatesALongMessageKeepingTheFullText(t *testing.T) {
	rs := sampleResults()
	h := render(t, WriteHTML, Build(rs, Meta{}))
	assert.Contains(t, h, "<details")
	assert.Contains(t, h, "…")
	assert.Contains(t, h, strings.TrimSuffix(rs[4].Message, "; ")) // the whole text, escaped the same
}

func TestAPartialCampaignSaysPartialInEveryRenderer(t *testing.T) {
	c := Build(sampleResults(), sampleMeta())
	for _, r := range renderers {
		t.Run(r.name, func(t *testing.T) {
			out := render(t, r.write, c)
			assert.Contains(t, strings.ToLower(out), "partial")
			assert.Contains(t, out, "stopped by --budget 10m")
		})
	}
	whole := Build(sampleResults(), Meta{})
	assert.NotContains(t, strings.ToLower(render(t, WriteMarkdown, whole)), "partial")
}

func TestNoProbesRegisteredIsSaid(t *testing.T) {
	c := Build(sampleResults(), Meta{})
	assert.Contains(t, render(t, WriteHTML, c), "No probes registered.")
	assert.Contains(t, render(t, WriteMarkdown, c), "No probes registered.")
}

func TestReadSummaryRefuses(t *testing.T) {
	good := render(t, WriteJSON, Build(sampleResults(), sampleMeta()))
	tests := []struct {
		name, in, want string
	}{
		{"another format", strings.Replace(good, SummaryFormat, "junit", 1), `format "junit"`},
		{"another version", strings.Replace(good, `"version": 1`, `"version": 2`, 1), "version 2"},
		{"no format", `{"version": 1}`, `no "format"`},
		{"no version", `{"format": "` + SummaryFormat + `"}`, `no "version"`},
		{"not JSON", `<testsuites/>`, "not a JSON object"},
		{"truncated", good[:len(good)/2], "not a JSON object"},
		{"an unknown field", strings.Replace(good, `"seeds":`, `"seedz": 1, "seeds":`, 1), "malformed"},
		{"trailing data", good + "{}", "after top-level value"},
		{"an unknown verdict", strings.Replace(good, `"verdict": "crash"`, `"verdict": "meh"`, 1), `unknown verdict "meh"`},
		{"a seed twice", strings.Replace(good, `"seed": 3,`, `"seed": 1,`, 1), "seed 1 appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadSummary(strings.NewReader(tt.in))
			require.ErrorIs(t, err, ErrSummary)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestRelativeToRewritesFilesButNotReplay(t *testing.T) {
	c := Build(sampleResults(), Meta{}).RelativeTo("out")
	r := c.Results[6]
	require.Equal(t, uint64(7), r.Seed)
	assert.Equal(t, Files{Trace: "fail-swarm-7.trace.jsonl", History: "fail-swarm-7.history.json", Views: "views/swarm-7",
		Shrunk: "shrunk-swarm-7.scn", Replay: "go run ./cmd/simrun replay out/fail-swarm-7.trace.jsonl"}, r.Files)
	assert.Equal(t, "go run ./cmd/simrun replay 'out/a b.jsonl'", ReplayCommand("out/a b.jsonl"))
}

// TestSampleReport renders the sample campaign with every renderer, into
// $REPORTS_SAMPLE_DIR if set (to look at), else a temporary directory.
func TestSampleReport(t *testing.T) {
	dir := os.Getenv("REPORTS_SAMPLE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	c := Build(sampleResults(), sampleMeta())
	for _, r := range renderers {
		f, err := os.Create(filepath.Join(dir, r.name))
		require.NoError(t, err)
		require.NoError(t, r.write(f, c))
		require.NoError(t, f.Close())
	}
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, campaigns()["passing with probes"]))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "report-pass.html"), b.Bytes(), 0o644))
}

func TestJUnitCarriesAnyMessage(t *testing.T) {
	rs := sampleResults()
	rs[4].Message = "odd ]]> text <x> & \x01 control"
	var s junitSuites
	require.NoError(t, xml.Unmarshal([]byte(render(t, WriteJUnit, Build(rs, Meta{}))), &s))
	for _, tc := range s.Suites[1].Cases {
		if tc.Name == "seed 7" {
			require.NotNil(t, tc.Failure)
			assert.Contains(t, tc.Failure.Body, "odd ]]> text <x> &")
			return
		}
	}
	t.Fatal("no seed 7")
}
