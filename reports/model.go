package reports

import (
	"time"
)

// The verdicts of a seed.
const (
	VerdictPass             = "pass"
	VerdictFail             = "fail"             // an oracle or a World check convicted the run
	VerdictCrash            = "crash"            // the run panicked
	VerdictTimeout          = "timeout"          // the run (or a checker) ran out of time
	VerdictNondeterministic = "nondeterministic" // a re-run gave another trace hash
)

// validVerdict reports whether v is one of the verdicts.
func validVerdict(v string) bool {
	switch v {
	case VerdictPass, VerdictFail, VerdictCrash, VerdictTimeout, VerdictNondeterministic:
		return true
	}
	return false
}

// Sentinels of SeedResult.TimeToConverge.
const (
	// DidNotConverge: a live replica never reached the server's state
	// before the convergence deadline.
	DidNotConverge time.Duration = -1
	// NotMeasured: the run recorded no convergence (its scenario has no
	// heal phase, or it crashed before one).
	NotMeasured time.Duration = -2
)

// SeedResult is one seed's outcome: plain data that cmd/simrun fills from
// a sim.Result and, with FromJudged, from the recorded history and the
// oracles' report.
type SeedResult struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	// Verdict is one of the Verdict constants.
	Verdict string `json:"verdict"`
	// Oracle names what convicted the run: an oracle ("sync-log",
	// "convergence", ...) or a World check ("world: sync", "world: client
	// reset"); "" when it passed.
	Oracle  string `json:"oracle,omitempty"`
	Message string `json:"message,omitempty"`
	// TraceHash is the determinism witness.
	TraceHash string        `json:"trace_hash"`
	Events    uint64        `json:"events"`
	Steps     uint64        `json:"steps"`
	SimTime   time.Duration `json:"sim_time_ns"`
	// TimeToConverge is the virtual time from heal until the last live
	// replica converged, or DidNotConverge, or NotMeasured.
	TimeToConverge time.Duration `json:"time_to_converge_ns"`
	// FaultsByKind counts the faults injected, by kind.
	FaultsByKind map[string]int `json:"faults_by_kind,omitempty"`
	// Resets counts the client resets by cause, mode and outcome.
	Resets []ResetCount `json:"resets,omitempty"`
	// WritesByBucket counts the local writes by write-accounting bucket.
	WritesByBucket map[string]int `json:"writes_by_bucket,omitempty"`
	// Probes counts the hits of each probe.
	Probes map[string]int `json:"probes,omitempty"`
	// Timeline is the faults along simulated time, in order.
	Timeline []TimelineEvent `json:"timeline,omitempty"`
	Files    Files           `json:"files,omitzero"`
	// CPU and Wall are what the run cost (optional: 0 if not measured).
	CPU  time.Duration `json:"cpu_ns,omitempty"`
	Wall time.Duration `json:"wall_ns,omitempty"`
}

// Failed reports whether r is anything but a pass.
func (r *SeedResult) Failed() bool { return r.Verdict != VerdictPass }

// ResetCount is how many client resets had one cause (the error code that
// asked for it), mode (the configured one) and outcome.
type ResetCount struct {
	Cause   string `json:"cause"`
	Mode    string `json:"mode"`
	Outcome string `json:"outcome"`
	N       int    `json:"n"`
}

// TimelineEvent is one fault injected at a virtual time.
type TimelineEvent struct {
	At     time.Duration `json:"at_ns"`
	Kind   string        `json:"kind"`
	Target string        `json:"target,omitempty"`
}

// Files are what a seed left behind, as paths (relative to the repository,
// or to the report with Campaign.RelativeTo).
type Files struct {
	Trace   string `json:"trace,omitempty"`
	History string `json:"history,omitempty"`
	Views   string `json:"views,omitempty"`  // the directory of porcupine's HTML views
	Shrunk  string `json:"shrunk,omitempty"` // the shrunk scenario file (the story)
	// Replay is the command that replays the seed, runnable as printed
	// from the repository (see ReplayCommand).
	Replay string `json:"replay,omitempty"`
}

// Recheck is one determinism re-check: a seed run twice, and the trace
// hashes of both runs.
type Recheck struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	First    string `json:"first_hash"`
	Second   string `json:"second_hash"`
}

// Matched reports whether both runs gave the same hash.
func (r Recheck) Matched() bool { return r.First == r.Second }

// Meta is what a campaign knows besides its results.
type Meta struct {
	Scenarios []string
	Mutants   []string
	// Partial: the campaign stopped before all its seeds ran (Ctrl-C or
	// --budget); PartialReason says why.
	Partial       bool
	PartialReason string
	Shards        []string // e.g. "0/4"; empty for an unsharded run
	Started       time.Time
	Duration      time.Duration
	// KnownProbes is every probe name registered, so that those never hit
	// can be listed.
	KnownProbes []string
	Rechecks    []Recheck
}

// Campaign is a campaign's report: its results and their aggregates.
type Campaign struct {
	Scenarios     []string      `json:"scenarios"`
	Mutants       []string      `json:"mutants,omitempty"`
	Seeds         int           `json:"seeds"`
	Failures      int           `json:"failures"`
	Partial       bool          `json:"partial"`
	PartialReason string        `json:"partial_reason,omitempty"`
	Shards        []string      `json:"shards,omitempty"`
	Started       time.Time     `json:"started,omitzero"`
	Duration      time.Duration `json:"duration_ns"`
	KnownProbes   []string      `json:"known_probes,omitempty"`
	Results       []SeedResult  `json:"results"`
	Rechecks      []Recheck     `json:"rechecks,omitempty"`
	// Nondeterministic is the re-checks whose hashes differed.
	Nondeterministic []Recheck  `json:"nondeterministic,omitempty"`
	Aggregates       Aggregates `json:"aggregates"`
}

// Meta returns what c knows besides its results.
func (c *Campaign) Meta() Meta {
	return Meta{
		Scenarios: c.Scenarios, Mutants: c.Mutants,
		Partial: c.Partial, PartialReason: c.PartialReason,
		Shards: c.Shards, Started: c.Started, Duration: c.Duration,
		KnownProbes: c.KnownProbes, Rechecks: c.Rechecks,
	}
}

// Pass reports whether every seed passed and every re-check matched.
func (c *Campaign) Pass() bool { return c.Failures == 0 && len(c.Nondeterministic) == 0 }

// Aggregates are the campaign's totals over its results.
type Aggregates struct {
	// ByVerdict counts the seeds per verdict.
	ByVerdict []NameCount `json:"by_verdict"`
	// FailuresByOracle counts the failing seeds per oracle (crashes and
	// timeouts without one count under their verdict).
	FailuresByOracle []NameCount `json:"failures_by_oracle,omitempty"`
	// FaultsByKind totals the faults injected; SeedsWithFault counts the
	// seeds that had at least one of the kind.
	FaultsByKind   []NameCount `json:"faults_by_kind,omitempty"`
	SeedsWithFault []NameCount `json:"seeds_with_fault,omitempty"`
	// Resets totals the client resets by cause, mode and outcome.
	Resets []ResetCount `json:"resets,omitempty"`
	// WritesByBucket totals the writes per accounting bucket.
	WritesByBucket []NameCount   `json:"writes_by_bucket,omitempty"`
	Converge       ConvergeStats `json:"converge"`
	// ProbesHit counts the hits of each probe hit at least once;
	// ProbesNeverHit lists the known probes no seed hit.
	ProbesHit      []NameCount `json:"probes_hit,omitempty"`
	ProbesNeverHit []string    `json:"probes_never_hit,omitempty"`
	// Rechecked and RecheckMatched count the determinism re-checks.
	Rechecked      int `json:"rechecked"`
	RecheckMatched int `json:"recheck_matched"`
	// Events, Steps, SimTime, CPU and Wall are totals.
	Events  uint64        `json:"events"`
	Steps   uint64        `json:"steps"`
	SimTime time.Duration `json:"sim_time_ns"`
	CPU     time.Duration `json:"cpu_ns,omitempty"`
	Wall    time.Duration `json:"wall_ns,omitempty"`
}

// NameCount is a count under a name.
type NameCount struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

// ConvergeStats is the distribution of the time to converge over the
// seeds that measured it.
type ConvergeStats struct {
	Converged    int           `json:"converged"`     // seeds that converged
	NotConverged int           `json:"not_converged"` // seeds with DidNotConverge
	NotMeasured  int           `json:"not_measured"`  // seeds with NotMeasured
	P50          time.Duration `json:"p50_ns"`
	P90          time.Duration `json:"p90_ns"`
	P99          time.Duration `json:"p99_ns"`
	Max          time.Duration `json:"max_ns"`
	Histogram    []HistBucket  `json:"histogram,omitempty"`
}

// HistBucket counts the seeds that converged in [Lo, Hi).
type HistBucket struct {
	Lo time.Duration `json:"lo_ns"`
	Hi time.Duration `json:"hi_ns"`
	N  int           `json:"n"`
}
