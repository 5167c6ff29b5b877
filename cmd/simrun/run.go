package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/syncsim/syncsim/reports"
	"github.com/syncsim/syncsim/sim/scenarios"
)

// runUsage is the synopsis of simrun run.
const runUsage = "simrun run [--scenario NAME] [--seed A --seeds N | --seed-range A:B] [--parallel P] [--budget D]\n" +
	"           [--shard i/n | --shards n] [--out DIR] [--mutant NAME[,NAME]] [--recheck F] [--keep-traces]\n" +
	"           [--views=false] [--worker-memory SIZE] [--seed-timeout D]"

// errInterrupted marks a campaign stopped by Ctrl-C: exit code 130.
var errInterrupted = errors.New("interrupted")

// runFlags are simrun run's settings once checked.
type runFlags struct {
	c           campaign
	space       seedSpace
	parallel    int
	budget      time.Duration
	recheck     float64
	seedTimeout time.Duration
	memory      int64
	every       uint64 // a progress line every so many seeds (not on a terminal)
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: "+runUsage)
		fs.PrintDefaults()
	}
	scenario := fs.String("scenario", "sync", "scenario to run: a name (simrun list) or a scenario file (docs/scenarios.md)")
	var sf seedFlags
	fs.StringVar(&sf.seed, "seed", "0", "first seed")
	fs.StringVar(&sf.seeds, "seeds", "100", "number of seeds (a whole number; 1e6 is accepted; a huge count runs until Ctrl-C or --budget)")
	fs.StringVar(&sf.seedRange, "seed-range", "", "run seeds `A:B`, from A included to B excluded (instead of --seed and --seeds)")
	fs.StringVar(&sf.shard, "shard", "", "run only shard `i/n` (0-based): the seeds s with s%n == i")
	fs.StringVar(&sf.shards, "shards", "", "run shard JOB_COMPLETION_INDEX of `n` (a Kubernetes Indexed Job's completion index)")
	parallel := fs.Int("parallel", runtime.NumCPU(), "worker processes running seeds at once")
	budget := fs.Duration("budget", 0, "stop starting seeds after this wall-clock `duration` (0: no limit); the report says it is partial")
	out := fs.String("out", "out", "output `directory`: reports, failing seeds' traces, histories and views (an earlier campaign's files there are removed first)")
	keep := fs.Bool("keep-traces", false, "write every seed's trace, not only the failing ones")
	mutants := fs.String("mutant", "", "switch on deliberate engine bugs: `name[,name]` (simrun list)")
	views := fs.Bool("views", true, "write porcupine's HTML views of a failing seed's linearizability failures under OUT/views/SCENARIO-SEED/")
	recheck := fs.Float64("recheck", 0.05, "`fraction` of seeds run twice to check determinism (at least one seed; 0 switches the check off)")
	memory := fs.String("worker-memory", "4GiB", "memory limit of each worker process (`size`): a seed whose heap passes it is a crash")
	seedTimeout := fs.Duration("seed-timeout", 5*time.Minute, "wall-clock limit of one seed (run, judge and files): a seed that overruns it is a timeout")
	every := fs.Uint64("progress-every", 1000, "when stdout is not a terminal, a progress line every `n` seeds")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: run takes no arguments, got %q", errUsage, fs.Args())
	}
	sc, err := scenarios.Resolve(*scenario)
	if err != nil {
		return fmt.Errorf("%w: --scenario: %w", errUsage, err)
	}
	muts, err := parseMutants(*mutants)
	if err != nil {
		return err
	}
	if err := checkExercised(sc.Name, muts); err != nil {
		return err
	}
	sf.set, sf.jobIndex = setFlags(fs), os.Getenv("JOB_COMPLETION_INDEX")
	space, err := sf.space()
	if err != nil {
		return err
	}
	rf := runFlags{space: space, parallel: *parallel, budget: *budget, recheck: *recheck, seedTimeout: *seedTimeout, every: max(*every, 1)}
	switch {
	case rf.parallel < 1:
		return fmt.Errorf("%w: --parallel %d: must be at least 1", errUsage, rf.parallel)
	case rf.budget < 0:
		return fmt.Errorf("%w: --budget %v: must not be negative", errUsage, rf.budget)
	case !(rf.recheck >= 0 && rf.recheck <= 1):
		return fmt.Errorf("%w: --recheck %v: want a fraction from 0 to 1", errUsage, rf.recheck)
	case rf.seedTimeout <= 0:
		return fmt.Errorf("%w: --seed-timeout %v: must be positive", errUsage, rf.seedTimeout)
	}
	if rf.memory, err = parseBytes(*memory); err != nil {
		return fmt.Errorf("%w: --worker-memory %w", errUsage, err)
	}
	if err := prepareOut(*out); err != nil {
		return err
	}
	rf.c = campaign{sc: sc, out: *out, keep: *keep, views: *views, mutants: muts}
	return rf.run(stdout)
}

// job is a seed to run, and whether to run it twice.
type job struct {
	seed    uint64
	recheck bool
}

// outcome is what a worker slot gives back for a job.
type outcome struct {
	res     reports.SeedResult
	recheck *reports.Recheck
	fatal   error // no worker could be started: the campaign stops
}

// sampled reports whether seed is among the fraction of seeds rechecked:
// a hash of the seed, so the same seeds are rechecked however the
// campaign is sharded.
func sampled(seed uint64, fraction float64) bool {
	z := seed + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11)/(1<<53) < fraction
}

// run runs the campaign: a dispatcher streams the seeds to --parallel
// worker slots, each driving one worker process, and this goroutine
// collects their outcomes, prints progress and writes the reports.
func (rf runFlags) run(stdout io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the simrun binary to start workers: %w", err)
	}
	start := time.Now()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			name := "SIGTERM"
			if s == syscall.SIGINT {
				name = "Ctrl-C (SIGINT)"
			}
			cancel(fmt.Errorf("%w by %s", errInterrupted, name))
		case <-ctx.Done():
		}
	}()

	jobs := make(chan job)
	var budgetSpent atomic.Bool // set by the dispatcher when it stops for the budget
	go func() {
		defer close(jobs)
		var budgetC <-chan time.Time
		if rf.budget > 0 {
			t := time.NewTimer(rf.budget - time.Since(start))
			defer t.Stop()
			budgetC = t.C
		}
		first := true
		rf.space.each(func(seed uint64) bool {
			j := job{seed: seed, recheck: rf.recheck > 0 && (first || sampled(seed, rf.recheck))}
			first = false
			select {
			case jobs <- j:
				return true
			case <-budgetC:
				budgetSpent.Store(true)
			case <-ctx.Done():
			}
			return false
		})
	}()

	outcomes := make(chan outcome)
	var wg sync.WaitGroup
	args := rf.c.workerArgs(rf.memory)
	for range rf.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rf.slot(ctx, exe, args, jobs, outcomes)
		}()
	}
	go func() { wg.Wait(); close(outcomes) }()

	p := newProgress(stdout, start, rf)
	var results []reports.SeedResult
	var rechecks []reports.Recheck
	var fatal error
	failed := 0
	for o := range outcomes {
		if o.fatal != nil {
			if fatal == nil {
				fatal = o.fatal
				cancel(o.fatal)
			}
			continue
		}
		if o.recheck != nil {
			rechecks = append(rechecks, *o.recheck)
			if !o.recheck.Matched() && !o.res.Failed() {
				o.res.Verdict, o.res.Oracle = reports.VerdictNondeterministic, "determinism"
				o.res.Message = fmt.Sprintf("run twice, the seed gave trace hashes %s and %s", o.recheck.First, o.recheck.Second)
			}
		}
		results = append(results, o.res)
		if o.res.Failed() {
			failed++
			p.failure(o.res)
		}
		p.seed(uint64(len(results)), failed)
	}
	p.end()

	meta := reports.Meta{Scenarios: []string{rf.c.sc.Name}, Mutants: rf.c.mutants, Started: start, Duration: time.Since(start), Rechecks: rechecks}
	if sh := rf.space.shardName(); sh != "" {
		meta.Shards = []string{sh}
	}
	interrupted := errors.Is(context.Cause(ctx), errInterrupted)
	switch {
	case interrupted:
		meta.Partial, meta.PartialReason = true, fmt.Sprintf("%v after %d seeds: the seeds running then and those not started are missing", context.Cause(ctx), len(results))
	case fatal != nil:
		meta.Partial, meta.PartialReason = true, fmt.Sprintf("stopped after %d seeds: %v", len(results), fatal)
	case budgetSpent.Load():
		meta.Partial, meta.PartialReason = true, fmt.Sprintf("--budget %v spent: stopped starting seeds after %d of the %s", rf.budget, len(results), rf.space.desc)
	}
	c := reports.Build(results, meta)
	if err := writeReports(rf.c.out, c); err != nil {
		return err
	}
	el := time.Since(start)
	name := rf.c.sc.Name
	if len(rf.c.mutants) > 0 {
		name += " with mutants " + strings.Join(rf.c.mutants, ",")
	}
	cpu := c.Aggregates.CPU.Seconds()
	fmt.Fprintf(stdout, "%s: %d seeds, %d failed, %d rechecked, %.1fs (%.1f seeds/s wall, %.1f seeds per CPU-second)%s\n  reports: %s\n",
		name, c.Seeds, c.Failures, len(rechecks), el.Seconds(), float64(c.Seeds)/el.Seconds(), float64(c.Seeds)/max(cpu, 1e-9),
		map[bool]string{true: "; PARTIAL: " + c.PartialReason}[c.Partial], reportList(rf.c.out))
	switch {
	case c.Failures > 0 || len(c.Nondeterministic) > 0:
		return fmt.Errorf("%w: %d of %d seeds failed (%s)", errFound, c.Failures, c.Seeds, filepath.Join(rf.c.out, "report.html"))
	case fatal != nil:
		return fatal
	case interrupted:
		return fmt.Errorf("%w: partial report in %s", context.Cause(ctx), filepath.Join(rf.c.out, "report.html"))
	}
	return nil
}

// slot runs jobs on one worker process at a time, starting a new one
// when a seed kills or overruns the last.
func (rf runFlags) slot(ctx context.Context, exe string, args []string, jobs <-chan job, outcomes chan<- outcome) {
	var w *worker
	defer func() {
		if w != nil {
			w.stop()
		}
	}()
	for j := range jobs {
		if ctx.Err() != nil {
			return
		}
		if w == nil {
			var err error
			if w, err = startWorker(exe, args); err != nil {
				outcomes <- outcome{fatal: err}
				return
			}
		}
		began := time.Now()
		rep, err := w.do(ctx, workRequest{Seed: j.seed, Recheck: j.recheck}, rf.seedTimeout, rf.memory)
		var o outcome
		switch {
		case err == nil:
			o.res = rep.Result
			if j.recheck {
				o.recheck = &reports.Recheck{Scenario: rf.c.sc.Name, Seed: j.seed, First: rep.Result.TraceHash, Second: rep.Second}
			}
		case ctx.Err() != nil:
			w = nil
			return // interrupted: the seed did not finish and is not recorded
		default:
			w = nil
			verdict := reports.VerdictCrash
			if errors.Is(err, errSeedTimeout) {
				verdict = reports.VerdictTimeout
			}
			o.res = reports.SeedResult{Scenario: rf.c.sc.Name, Seed: j.seed, Verdict: verdict, Oracle: "worker",
				Message:        fmt.Sprintf("scenario %s seed %d (mutants: %s): %v", rf.c.sc.Name, j.seed, orNone(rf.c.mutants), err),
				TimeToConverge: reports.NotMeasured, Wall: time.Since(began),
				Files: reports.Files{Replay: rerunCommand(rf.c.sc.Name, rf.c.mutants, j.seed, rf.c.out)}}
		}
		outcomes <- o
	}
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ",")
}

// progress prints a campaign's progress: on a terminal one line rewritten
// in place; otherwise a line every so many seeds. Failures get their own
// lines either way.
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
	last  time.Time
	rf    runFlags
	total uint64
	drawn bool
}

func newProgress(w io.Writer, start time.Time, rf runFlags) *progress {
	p := &progress{w: w, start: start, rf: rf, total: rf.space.count()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) line(done uint64, failed int) string {
	el := time.Since(p.start)
	rate := float64(done) / max(el.Seconds(), 1e-9)
	eta := "until Ctrl-C"
	remaining := time.Duration(math.MaxInt64)
	if p.total < 1e15 && rate > 0 {
		remaining = time.Duration(float64(p.total-done) / rate * float64(time.Second))
	}
	if p.rf.budget > 0 {
		remaining = min(remaining, max(p.rf.budget-el, 0))
	}
	if remaining != time.Duration(math.MaxInt64) {
		eta = "ETA " + remaining.Round(time.Second).String()
	}
	total := strconv.FormatUint(p.total, 10)
	if p.total >= 1e15 {
		total = "∞"
	}
	return fmt.Sprintf("%d/%s seeds, %d failed, %.1f seeds/s, %s", done, total, failed, rate, eta)
}

func (p *progress) seed(done uint64, failed int) {
	if p.tty {
		if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond {
			p.last = now
			fmt.Fprintf(p.w, "\r\033[K%s", p.line(done, failed))
			p.drawn = true
		}
		return
	}
	if done%p.rf.every == 0 {
		fmt.Fprintln(p.w, p.line(done, failed))
	}
}

func (p *progress) failure(r reports.SeedResult) {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
	what := r.Verdict
	if r.Oracle != "" {
		what += " (" + r.Oracle + ")"
	}
	msg := r.Message
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	fmt.Fprintf(p.w, "FAIL seed %d %s: %s\n", r.Seed, what, msg)
	if r.Files.Trace != "" {
		fmt.Fprintf(p.w, "  trace: %s\n", r.Files.Trace)
	}
	if r.Files.History != "" {
		fmt.Fprintf(p.w, "  history: %s (judge again: go run ./cmd/simrun check %s)\n", r.Files.History, shellWord(r.Files.History))
	}
	if r.Files.Views != "" {
		fmt.Fprintf(p.w, "  views: %s\n", r.Files.Views)
	}
	if r.Files.Replay != "" {
		fmt.Fprintf(p.w, "  replay: %s\n", r.Files.Replay)
	}
}

func (p *progress) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
