package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/oracle"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/scenarios"
)

// seedResult is one seed's outcome in the campaign summary.
type seedResult struct {
	Seed    uint64 `json:"seed"`
	Hash    string `json:"hash"`
	Steps   uint64 `json:"steps"`
	SimTime string `json:"sim_time"`
	Error   string `json:"error,omitempty"`
	Trace   string `json:"trace,omitempty"`
	// History is the failing seed's recorded history (simrun check judges
	// it again).
	History string `json:"history,omitempty"`
	// Views is the directory of the failing seed's porcupine HTML views,
	// set only when the oracles wrote at least one.
	Views string `json:"views,omitempty"`
}

type summary struct {
	Scenario string       `json:"scenario"`
	Mutants  []string     `json:"mutants,omitempty"`
	First    uint64       `json:"first_seed"`
	Count    int          `json:"seeds"`
	Shard    string       `json:"shard,omitempty"`
	Failures int          `json:"failures"`
	Results  []seedResult `json:"results"`
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenario := fs.String("scenario", "sync", "scenario to run (simrun list)")
	first := fs.Uint64("seed", 0, "first seed")
	count := fs.Int("seeds", 100, "number of seeds")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "worlds run at once")
	shard := fs.String("shard", "", "run only shard i of n (i/n, 0-based): the seeds s with s%n == i")
	out := fs.String("out", "out", "output directory for the summary and failing traces")
	keep := fs.Bool("keep-traces", false, "write every seed's trace, not only the failing ones")
	mutants := fs.String("mutant", "", "switch on deliberate engine bugs: name[,name] (simrun list)")
	views := fs.Bool("views", true, "write porcupine's HTML views of a failing seed's linearizability failures under OUT/views/SCENARIO-SEED/")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: run takes no arguments, got %q", errUsage, fs.Args())
	}
	sc, err := scenarios.Lookup(*scenario)
	if err != nil {
		return fmt.Errorf("%w: --scenario: %v", errUsage, err)
	}
	if *count < 1 {
		return fmt.Errorf("%w: --seeds %d: must be at least 1", errUsage, *count)
	}
	if *parallel < 1 {
		return fmt.Errorf("%w: --parallel %d: must be at least 1", errUsage, *parallel)
	}
	idx, n, err := parseShard(*shard)
	if err != nil {
		return err
	}
	muts, err := parseMutants(*mutants)
	if err != nil {
		return err
	}
	cfg := campaign{sc: sc, out: *out, keep: *keep, views: *views, mutants: muts}
	var seeds []uint64
	for s := *first; s < *first+uint64(*count); s++ {
		if s%uint64(n) == uint64(idx) {
			seeds = append(seeds, s)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("%w: --out: %v", errUsage, err)
	}

	start := time.Now()
	results := make([]seedResult, len(seeds))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done, failed := 0, 0
	for p := 0; p < *parallel; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := cfg.runSeed(seeds[i])
				mu.Lock()
				results[i] = r
				done++
				if r.Error != "" {
					failed++
					fmt.Fprintf(stdout, "FAIL seed %d: %s\n  trace: %s\n  replay: go run ./cmd/simrun replay %s\n", r.Seed, r.Error, r.Trace, r.Trace)
					if r.History != "" {
						fmt.Fprintf(stdout, "  history: %s (judge again: go run ./cmd/simrun check %s)\n", r.History, r.History)
					}
					if r.Views != "" {
						fmt.Fprintf(stdout, "  views: %s\n", r.Views)
					}
				}
				if done%1000 == 0 {
					fmt.Fprintf(stdout, "%d/%d seeds, %d failed, %.0f seeds/s\n", done, len(seeds), failed, float64(done)/time.Since(start).Seconds())
				}
				mu.Unlock()
			}
		}()
	}
	for i := range seeds {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	sum := summary{Scenario: sc.Name, Mutants: muts, First: *first, Count: len(seeds), Shard: *shard, Failures: failed, Results: results}
	b, _ := json.MarshalIndent(sum, "", " ")
	if err := writeAtomic(filepath.Join(*out, "summary.json"), b); err != nil {
		return err
	}
	el := time.Since(start)
	name := sc.Name
	if len(muts) > 0 {
		name += " with mutants " + strings.Join(muts, ",")
	}
	fmt.Fprintf(stdout, "%s: %d seeds, %d failed, %.1fs (%.0f seeds/s); summary in %s\n",
		name, len(seeds), failed, el.Seconds(), float64(len(seeds))/el.Seconds(), filepath.Join(*out, "summary.json"))
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d seeds failed", errFound, failed, len(seeds))
	}
	return nil
}

// campaign is what every seed of a run shares.
type campaign struct {
	sc      scenarios.Scenario
	out     string
	keep    bool     // write every seed's trace
	views   bool     // write a failing seed's views
	mutants []string // switched on in every seed
}

// runSeed runs one seed, hash only, and judges its history. If it fails
// (or panics) it runs it again writing the trace, which determinism makes
// the same run, and keeps under out the trace, the history (to judge
// again with simrun check) and porcupine's views of its linearizability
// failures (files beside the run: the trace is the same with or without
// them, and however long the judge took).
func (c campaign) runSeed(seed uint64) seedResult {
	opts := scenarios.RunOptions{Mutants: c.mutants}
	res, err := safeRun(c.sc, seed, nil, opts)
	r := seedResult{Seed: seed, Hash: res.Hash, Steps: res.Steps, SimTime: res.SimTime.String()}
	if err == nil {
		err = judged(res, "")
	}
	if err == nil && !c.keep {
		return r
	}
	name := "seed"
	if err != nil {
		r.Error = err.Error()
		name = "fail"
	}
	var buf bytes.Buffer
	again, _ := safeRun(c.sc, seed, &buf, opts)
	base := filepath.Join(c.out, fmt.Sprintf("%s-%s-%d", name, c.sc.Name, seed))
	r.Trace = base + ".trace.jsonl"
	if werr := writeAtomic(r.Trace, buf.Bytes()); werr != nil {
		r.Error += "; " + werr.Error()
		r.Trace = ""
	}
	if r.Error == "" || again.History == nil {
		return r
	}
	r.History = base + ".history.json"
	meta := history.Meta{Scenario: c.sc.Name, Seed: seed, Mutants: c.mutants, TraceHash: again.Hash}
	if werr := history.WriteFile(r.History, again.History, meta); werr != nil {
		r.Error += "; " + werr.Error()
		r.History = ""
	}
	if !c.views {
		return r
	}
	views := filepath.Join(c.out, "views", fmt.Sprintf("%s-%d", c.sc.Name, seed))
	if rerr := os.RemoveAll(views); rerr != nil {
		r.Error += fmt.Sprintf("; views of seed %d: %v", seed, rerr)
		return r
	}
	_ = judged(again, views)
	if html, _ := filepath.Glob(filepath.Join(views, "*.html")); len(html) > 0 {
		r.Views = views
	} else {
		_ = os.Remove(views) // nothing was written: no empty directory left behind
	}
	return r
}

// judged is a run's verdict: the World's own failure (an engine error, a
// broken reset promise, no convergence), else the oracles' judgement of
// the history it recorded; with viewDir, porcupine's views of the
// linearizability failures are written there.
func judged(res sim.Result, viewDir string) error {
	if res.History == nil {
		return res.Err
	}
	rep, err := oracle.Check(res.History, oracle.Options{ViewDir: viewDir})
	if res.Err != nil {
		return res.Err
	}
	if err != nil && !errors.Is(err, oracle.ErrViews) {
		return fmt.Errorf("%w: the recorded history is malformed: %w", oracle.ErrConvicted, err)
	}
	return rep.Err()
}

// safeRun turns a panic inside the world into that seed's failure.
func safeRun(sc scenarios.Scenario, seed uint64, w io.Writer, opts scenarios.RunOptions) (res sim.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return sc.RunWith(seed, w, opts)
}

// parseMutants splits --mutant's comma-separated names and checks each
// against the catalogue.
func parseMutants(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var names []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, err := mutant.Lookup(n); err != nil {
			return nil, fmt.Errorf("%w: --mutant: unknown mutant %q (known: %s)", errUsage, n, strings.Join(mutantNames(), ", "))
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, nil
}

// mutantNames lists the catalogue's names in catalogue order.
func mutantNames() []string {
	var names []string
	for _, m := range mutant.All() {
		names = append(names, m.Name())
	}
	return names
}

func parseShard(s string) (int, int, error) {
	if s == "" {
		return 0, 1, nil
	}
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 0 || a >= b {
		return 0, 0, fmt.Errorf("%w: --shard %q: want i/n with 0 <= i < n", errUsage, s)
	}
	return a, b, nil
}

// writeAtomic writes data to path through a temporary file and a rename, so
// a crash leaves either the old file or the whole new one.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func cmdList(stdout io.Writer) error {
	names := scenarios.Names()
	sort.Strings(names)
	for _, n := range names {
		sc, _ := scenarios.Lookup(n)
		fmt.Fprintf(stdout, "%-20s %s\n", n, sc.Story)
	}
	fmt.Fprintln(stdout, "\nmutants (run --mutant name[,name]):")
	for _, m := range mutant.All() {
		fmt.Fprintf(stdout, "%-32s %-10s %s\n", m.Name(), m.Layer(), m.Description())
	}
	return nil
}
