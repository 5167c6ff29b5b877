package scenarios_test

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncsim/syncsim/oracle"

	"github.com/syncsim/syncsim/history"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/faults"
	"github.com/syncsim/syncsim/sim/observe"
	"github.com/syncsim/syncsim/sim/scenarios"
	"github.com/syncsim/syncsim/sim/workload"
)

// The mutant catalogue's proof (DESIGN §5 "Mutants"): every mutant, run in
// the world it is meant for, is convicted by the check named for it within
// a seed budget, while the unmutated engine passes the same seeds; and
// every oracle convicts at least one mutant.

var measureMutants = flag.Bool("mutants.measure", false,
	"TestMutants_SeedsToFirstFailure: measure each mutant over several seed ranges")

// mutantWorld is how the runs of a mutant row are made: a world
// configuration and the Sync workload on it.
type mutantWorld struct {
	name   string
	config func(seed uint64) sim.Config
	sync   func() scenarios.Sync
}

var (
	// syncWorld is the registered "sync" scenario.
	syncWorld = mutantWorld{"sync", scenarios.SyncConfig, scenarios.DefaultSync}
	// resetsWorld is the registered "resets" scenario.
	resetsWorld = mutantWorld{"resets", scenarios.ResetsConfig, scenarios.ResetsSync}
	// livenessWorld is the sync scenario healed late: four minutes of its
	// twenty are left to converge in. A reconnect backoff that starts over
	// after each successful session is short at the heal (the unmutated
	// engine converged in time on 300 of 300 seeds); one that never starts
	// over has doubled to four or five minutes by then.
	livenessWorld = mutantWorld{"sync-heal-late", scenarios.SyncConfig, func() scenarios.Sync {
		s := scenarios.DefaultSync()
		s.HealAt = 0.8
		return s
	}}
	// expiryWorld is the resets world whose only faults are long offline
	// periods and compactions: no other fault brings a long-offline client
	// back early, so files do outlive the maximum offline time and meet a
	// compaction that must expire them.
	expiryWorld = mutantWorld{"resets-expiry", scenarios.ResetsConfig, func() scenarios.Sync {
		s := scenarios.ResetsSync()
		s.Faults = faults.Options{LongOffline: 0.5, Compaction: 0.5, Lasts: time.Minute,
			LongOfflineFor: 2 * workload.LifecycleTTL}
		return s
	}}
	mutantWorlds = []mutantWorld{syncWorld, resetsWorld, livenessWorld, expiryWorld}
)

// mutantRun is the outcome of one run.
type mutantRun struct {
	failures []error
	history  *history.History
}

// run runs seed in the world with the named mutants switched on.
func (mw mutantWorld) run(t testing.TB, seed uint64, mutants ...string) mutantRun {
	return mw.runLogged(t, seed, nil, mutants...)
}

// runLogged is run with the trace events mirrored to log, if not nil.
func (mw mutantWorld) runLogged(t testing.TB, seed uint64, log slog.Handler, mutants ...string) mutantRun {
	cfg := mw.config(seed)
	cfg.Scenario, cfg.Mutants, cfg.Log = mw.name, mutants, log
	w, err := sim.New(cfg, nil)
	require.NoError(t, err)
	require.NoError(t, mw.sync().Install(w))
	res := w.Run()
	out := mutantRun{failures: w.Failures(), history: res.History}
	if res.Err != nil && !slices.Contains(out.failures, res.Err) {
		out.failures = append(out.failures, res.Err) // closing the trace failed
	}
	out.failures = append(out.failures, judge(t, res.History)...)
	return out
}

// judge runs the oracles after the run, as simrun does — also on a run
// whose replicas did not converge (the World's failure comes first; the
// oracles still judge the operations that completed) — and returns each
// failing verdict as an error "oracle: NAME: failures".
func judge(t testing.TB, h *history.History) []error {
	if h == nil {
		return nil
	}
	rep, err := oracle.Check(h, oracle.Options{})
	if err != nil {
		return []error{fmt.Errorf("%w: the recorded history is malformed: %w", oracle.ErrConvicted, err)}
	}
	var out []error
	for _, v := range rep.Verdicts {
		if !v.Pass {
			out = append(out, fmt.Errorf("%w: %s: %s", oracle.ErrConvicted, v.Oracle, strings.Join(v.Failures, "; ")))
		}
	}
	return out
}

// check is the World failure a mutant must cause: one of the scenarios'
// failure sentinels and, for ErrOracle, the oracle its message names.
type check struct {
	err    error
	oracle oracle.Oracle
}

var (
	byConvergence = check{err: workload.ErrConvergence}
	bySync        = check{err: workload.ErrSync}
	byReset       = check{err: observe.ErrReset}
)

func byOracle(o oracle.Oracle) check { return check{err: oracle.ErrConvicted, oracle: o} }

func (c check) String() string {
	name := map[error]string{workload.ErrConvergence: "ErrConvergence", workload.ErrSync: "ErrSync",
		observe.ErrReset: "ErrReset", oracle.ErrConvicted: "ErrOracle"}[c.err]
	if c.oracle != "" {
		return fmt.Sprintf("%s %s", name, c.oracle)
	}
	return name
}

// matches reports whether a World failure is this check's.
func (c check) matches(err error) bool {
	if !errors.Is(err, c.err) {
		return false
	}
	return c.oracle == "" || strings.HasPrefix(err.Error(), fmt.Sprintf("%v: %s: ", oracle.ErrConvicted, c.oracle))
}

// checkOf names the check a World failure is: the first that matches.
func checkOf(err error) string {
	for _, c := range []check{byConvergence, bySync, byReset} {
		if c.matches(err) {
			return c.String()
		}
	}
	for _, o := range []oracle.Oracle{oracle.OracleSyncLog, oracle.OracleVisibility, oracle.OracleConvergence,
		oracle.OracleAccounting, oracle.OracleSessions, oracle.OracleResets} {
		if c := byOracle(o); c.matches(err) {
			return c.String()
		}
	}
	return "other: " + err.Error()
}

// mutantRow is one mutant of the catalogue: the world it runs in, the
// check it must trip, and the seed budget within which it must (seeds
// 0..budget-1; shortBudget with -short, 0 skips it then).
type mutantRow struct {
	mutant      mutant.Mutant
	world       mutantWorld
	catch       check
	budget      int
	shortBudget int
	// needs says what the World must record for the named oracle to judge
	// anything; a row whose oracle judged nothing on its world fails.
	needs string
}

var mutantRows = []mutantRow{
	{mutant: mutant.UpdateIgnoresDiscriminant, world: syncWorld, catch: byOracle(oracle.OracleSessions),
		budget: 10, shortBudget: 5, needs: "the clients' writes and reads"},
	{mutant: mutant.EraseLosesToCreate, world: syncWorld, catch: bySync, budget: 10, shortBudget: 5},
	{mutant: mutant.InsertTieUnordered, world: syncWorld, catch: byConvergence, budget: 10, shortBudget: 5},
	{mutant: mutant.AddLosesToAdd, world: syncWorld, catch: byConvergence, budget: 10, shortBudget: 5},
	{mutant: mutant.ResentUploadIntegratedTwice, world: syncWorld, catch: bySync, budget: 10, shortBudget: 5},
	{mutant: mutant.OwnChangesetEchoed, world: syncWorld, catch: bySync, budget: 10, shortBudget: 5},
	{mutant: mutant.DownloadSkipsChangeset, world: syncWorld, catch: bySync, budget: 10, shortBudget: 5},
	{mutant: mutant.DownloadOverlapsCursor, world: syncWorld, catch: byOracle(oracle.OracleSyncLog), budget: 10, shortBudget: 5},
	{mutant: mutant.AckBeforeSync, world: syncWorld, catch: byOracle(oracle.OracleSyncLog), budget: 40, shortBudget: 20},
	{mutant: mutant.RestoreKeepsSalt, world: resetsWorld, catch: byOracle(oracle.OracleSyncLog), budget: 10, shortBudget: 5,
		needs: "the restores, and the salts the downloads after them carried"},
	{mutant: mutant.CompactionExpiresSeen, world: resetsWorld, catch: byOracle(oracle.OracleSyncLog), budget: 20, shortBudget: 10,
		needs: "the compactions with their maximum offline time, and the sessions the server held (Bounds)"},
	{mutant: mutant.CompactionKeepsStale, world: expiryWorld, catch: byOracle(oracle.OracleSyncLog), budget: 20, shortBudget: 10,
		needs: "the compactions with their maximum offline time, and the sessions the server held (Bounds)"},
	{mutant: mutant.CompactionFloorOff, world: resetsWorld, catch: byOracle(oracle.OracleSyncLog), budget: 10, shortBudget: 5,
		needs: "the compactions with their maximum offline time, and when each upload arrived and was acknowledged"},
	{mutant: mutant.EnableLosesData, world: resetsWorld, catch: byOracle(oracle.OracleAccounting), budget: 60, shortBudget: 30,
		needs: "the clients' writes and the realm's final state"},
	{mutant: mutant.RecoverResurrectsDeleted, world: resetsWorld, catch: byOracle(oracle.OracleResets), budget: 10, shortBudget: 5,
		needs: "every client reset with its fresh copy, unsynced changes and states"},
	{mutant: mutant.DiscardUnreported, world: resetsWorld, catch: byReset, budget: 10, shortBudget: 5},
	{mutant: mutant.ManualBackupLosesLast, world: resetsWorld, catch: byReset, budget: 10, shortBudget: 5},
	{mutant: mutant.RecoverOrDiscardNoFallback, world: resetsWorld, catch: byOracle(oracle.OracleResets), budget: 10, shortBudget: 5,
		needs: "every client reset with its fresh copy, unsynced changes and states"},
	{mutant: mutant.BackoffNeverResets, world: livenessWorld, catch: byConvergence, budget: 20, shortBudget: 10},
	{mutant: mutant.UploadWaitBeforeAck, world: syncWorld, catch: byOracle(oracle.OracleVisibility), budget: 200},
}

// TestMutants_EveryOneIsCaughtByItsCheck: each mutant of the catalogue,
// switched on by name in the World configuration, is convicted by the
// check named for it within its seed budget; the unmutated engine passes
// every seed any row scanned, in every world; and every oracle has a
// mutant it convicts.
func TestMutants_EveryOneIsCaughtByItsCheck(t *testing.T) {
	rowOf := map[mutant.Mutant]bool{}
	oracles := map[oracle.Oracle]bool{}
	for _, r := range mutantRows {
		rowOf[r.mutant] = true
		if r.catch.oracle != "" {
			oracles[r.catch.oracle] = true
		} else if r.catch == byConvergence {
			oracles[oracle.OracleConvergence] = true // the World's compare is the convergence rule
		}
	}
	for _, m := range mutant.All() {
		require.True(t, rowOf[m], "mutant %s has no row", m)
	}
	for _, o := range []oracle.Oracle{oracle.OracleSyncLog, oracle.OracleVisibility, oracle.OracleConvergence,
		oracle.OracleAccounting, oracle.OracleSessions, oracle.OracleResets} {
		require.True(t, oracles[o], "no mutant is named for oracle %s", o)
	}

	probes := probeWorlds(t)
	var mu sync.Mutex
	scanned := map[string]int{} // world -> seeds the rows scanned
	t.Run("rows", func(t *testing.T) {
		for _, r := range mutantRows {
			t.Run(r.mutant.Name(), func(t *testing.T) {
				t.Parallel()
				budget := r.budget
				if testing.Short() {
					budget = r.shortBudget
				}
				if budget == 0 {
					t.Skipf("its budget (%d seeds) is beyond -short", r.budget)
				}
				require.Empty(t, r.unjudged(probes[r.world.name]), "the row's oracle must judge its world")
				got := r.scan(t, 0, budget)
				mu.Lock()
				scanned[r.world.name] = max(scanned[r.world.name], got.seeds)
				mu.Unlock()
				require.Positive(t, got.caught, "%s: not caught by %s in seeds 0..%d (first failure: %s)",
					r.mutant, r.catch, budget-1, got.firstCheck)
			})
		}
	})
	for _, mw := range mutantWorlds {
		t.Run("unmutated/"+mw.name, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(scanned[mw.name]) {
				for _, f := range mw.run(t, seed).failures {
					assert.NoError(t, f, "the unmutated engine fails %s seed %d", mw.name, seed)
				}
			}
		})
	}
}

// probe is what an unmutated run of a world shows: what it recorded for
// the oracles to judge.
type probe struct {
	mutantRun
	judged bool // the run returned a history
}

// probeWorlds runs seed 0 of every world unmutated.
func probeWorlds(t *testing.T) map[string]probe {
	probes := map[string]probe{}
	for _, mw := range mutantWorlds {
		run := mw.run(t, 0)
		probes[mw.name] = probe{mutantRun: run, judged: run.history != nil}
	}
	return probes
}

// unjudged says why the row's oracle cannot judge its world, from the
// unmutated probe of the world; "" if it can.
func (r mutantRow) unjudged(probe probe) string {
	if r.catch.oracle == "" {
		return ""
	}
	if !probe.judged {
		return fmt.Sprintf("needs the World to record a history on %s runs", r.world.name)
	}
	rep, err := oracle.Check(probe.history, oracle.Options{})
	if err != nil {
		return ""
	}
	if v, ok := rep.Verdict(r.catch.oracle); !ok || v.Skipped {
		return fmt.Sprintf("needs the World to record %s (oracle %s judged nothing)", r.needs, r.catch.oracle)
	}
	return ""
}

// scanResult is what scanning a mutant over seeds found. Counts are of
// seeds run, 1 for the first seed; 0 means never.
type scanResult struct {
	seeds      int    // seeds run
	caught     int    // until the row's check caught the mutant
	firstFail  int    // until the first failing run, by any check
	firstCheck string // the check of that run's first failure
}

// scan runs the mutant on seeds from, from+1, ... until its check catches
// it, at most n seeds.
func (r mutantRow) scan(t testing.TB, from uint64, n int) scanResult {
	var res scanResult
	for i := range n {
		run := r.world.run(t, from+uint64(i), r.mutant.Name())
		res.seeds = i + 1
		if len(run.failures) > 0 && res.firstFail == 0 {
			res.firstFail, res.firstCheck = i+1, checkOf(run.failures[0])
		}
		if slices.ContainsFunc(run.failures, r.catch.matches) {
			res.caught = i + 1
			break
		}
	}
	return res
}

// TestMutants_SeedsToFirstFailure measures, for every mutant, the seeds
// run until its first failing run and until its named check caught it,
// over five disjoint seed ranges of up to 100 seeds (the median is the
// table's figure), and checks the unmutated engine on every seed scanned.
// It runs only with -mutants.measure (minutes):
//
//	go test ./sim/scenarios -run TestMutants_SeedsToFirstFailure -mutants.measure -v
func TestMutants_SeedsToFirstFailure(t *testing.T) {
	if !*measureMutants {
		t.Skip("measures for minutes: run with -mutants.measure")
	}
	starts := []uint64{0, 1000, 2000, 3000, 4000}
	const perRange = 100
	results := make([][]scanResult, len(mutantRows))
	scanned := make([]map[string]int, len(starts))
	for i := range scanned {
		scanned[i] = map[string]int{}
	}
	probes := probeWorlds(t)
	var mu sync.Mutex
	t.Run("rows", func(t *testing.T) {
		for i, r := range mutantRows {
			t.Run(r.mutant.Name(), func(t *testing.T) {
				t.Parallel()
				require.Empty(t, r.unjudged(probes[r.world.name]), "the row's oracle must judge its world")
				for k, from := range starts {
					got := r.scan(t, from, perRange)
					mu.Lock()
					results[i] = append(results[i], got)
					scanned[k][r.world.name] = max(scanned[k][r.world.name], got.seeds)
					mu.Unlock()
					assert.Positive(t, got.caught, "%s: not caught by %s in seeds %d..%d", r.mutant, r.catch, from, from+perRange-1)
				}
			})
		}
	})
	t.Run("unmutated", func(t *testing.T) {
		for k, from := range starts {
			for _, mw := range mutantWorlds {
				t.Run(fmt.Sprintf("%s/%d", mw.name, from), func(t *testing.T) {
					t.Parallel()
					for seed := from; seed < from+uint64(scanned[k][mw.name]); seed++ {
						for _, f := range mw.run(t, seed).failures {
							assert.NoError(t, f, "the unmutated engine fails %s seed %d", mw.name, seed)
						}
					}
				})
			}
		}
	})
	var b strings.Builder
	fmt.Fprintf(&b, "| mutant | layer | world | check that catches it | seeds until caught (median; per range) | seeds until first failure (median) | first failures by check |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|\n")
	for i, r := range mutantRows {
		var caught, first []int
		checks := map[string]int{}
		for _, res := range results[i] {
			caught, first = append(caught, res.caught), append(first, res.firstFail)
			if res.firstFail > 0 {
				checks[res.firstCheck]++
			}
		}
		var byCheck []string
		for c, n := range checks {
			byCheck = append(byCheck, fmt.Sprintf("%s ×%d", c, n))
		}
		slices.Sort(byCheck)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s; %v | %s | %s |\n", r.mutant, r.mutant.Layer(), r.world.name, r.catch,
			median(caught), caught, median(first), strings.Join(byCheck, ", "))
	}
	t.Log("\n" + b.String())
}

// median is the median of counts, where 0 (never) counts as the largest.
func median(counts []int) string {
	if len(counts) == 0 {
		return "-"
	}
	key := func(c int) int {
		if c == 0 {
			return math.MaxInt
		}
		return c
	}
	s := slices.Clone(counts)
	slices.SortFunc(s, func(a, b int) int { return cmp.Compare(key(a), key(b)) })
	if m := s[len(s)/2]; m > 0 {
		return fmt.Sprint(m)
	}
	return "never"
}
