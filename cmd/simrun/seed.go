package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/oracle"
	"github.com/syncsim/syncsim/reports"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/scenarios"
)

// campaign is what every seed of a run shares.
type campaign struct {
	sc      scenarios.Scenario
	out     string
	keep    bool     // write every seed's trace
	views   bool     // write a failing seed's views
	mutants []string // switched on in every seed
}

// runSeed runs one seed, hash only, and judges its history; with recheck
// it runs it a second time and returns that run's hash too (the
// determinism self-check). If the seed fails (or panics) it runs it again
// writing the trace, which determinism makes the same run, and keeps under
// out the trace, the history (to judge again with simrun check) and
// porcupine's views of its linearizability failures.
func (c campaign) runSeed(seed uint64, recheck bool) (r reports.SeedResult, second string) {
	wall, cpu := time.Now(), cpuTime()
	opts := scenarios.RunOptions{Mutants: c.mutants}
	res, err := safeRun(c.sc, seed, nil, opts)
	r = reports.SeedResult{Scenario: c.sc.Name, Seed: seed, TraceHash: res.Hash, Events: res.Events, Steps: res.Steps, SimTime: res.SimTime}
	if err != nil {
		r.Verdict, r.Oracle, r.Message = reports.VerdictCrash, "panic", err.Error()
		r.TimeToConverge = reports.NotMeasured
	} else {
		rep, jerr := judge(res, "")
		switch {
		case res.Err != nil:
			r.Verdict, r.Oracle, r.Message = reports.VerdictFail, worldCheck(res.Err), res.Err.Error()
		case jerr != nil:
			r.Verdict, r.Oracle, r.Message = reports.VerdictFail, "history", jerr.Error()
		}
		reports.FromJudged(&r, res.History, rep)
		if r.Verdict == "" {
			r.Verdict = reports.VerdictPass // no history to judge, and the World's checks passed
		}
	}
	if recheck {
		again, err := safeRun(c.sc, seed, nil, opts)
		second = again.Hash
		if err != nil {
			second = "panic: " + err.Error()
		}
	}
	defer func() { r.Wall, r.CPU = time.Since(wall), cpuTime()-cpu }()
	if !r.Failed() {
		r.Timeline = nil // drawn for failing seeds only: a long campaign keeps every result in memory
		if !c.keep {
			return r, second
		}
	}
	name := "seed"
	if r.Failed() {
		name = "fail"
	}
	var buf bytes.Buffer
	again, aerr := safeRun(c.sc, seed, &buf, opts)
	base := filepath.Join(c.out, fmt.Sprintf("%s-%s-%d", name, c.sc.Name, seed))
	if werr := writeAtomic(base+".trace.jsonl", buf.Bytes()); werr != nil {
		r.Message = strings.TrimPrefix(r.Message+"; "+werr.Error(), "; ")
	} else {
		r.Files.Trace = base + ".trace.jsonl"
		r.Files.Replay = reports.ReplayCommand(r.Files.Trace)
	}
	if aerr != nil || r.Files.Trace == "" {
		// A trace cut short by a panic does not replay (replay refuses an
		// incomplete trace): the command that reruns the seed does.
		r.Files.Replay = rerunCommand(c.sc.Name, c.mutants, seed, c.out)
	}
	if !r.Failed() || again.History == nil {
		return r, second
	}
	hist := base + ".history.json"
	meta := history.Meta{Scenario: c.sc.Name, Seed: seed, Mutants: c.mutants, TraceHash: again.Hash}
	if werr := history.WriteFile(hist, again.History, meta); werr != nil {
		r.Message += "; " + werr.Error()
	} else {
		r.Files.History = hist
	}
	if !c.views {
		return r, second
	}
	views := filepath.Join(c.out, "views", fmt.Sprintf("%s-%d", c.sc.Name, seed))
	if rerr := os.RemoveAll(views); rerr != nil {
		r.Message += fmt.Sprintf("; views of seed %d: %v", seed, rerr)
		return r, second
	}
	_, _ = judge(again, views)
	if html, _ := filepath.Glob(filepath.Join(views, "*.html")); len(html) > 0 {
		r.Files.Views = views
	} else {
		_ = os.Remove(views) // nothing was written: no empty directory left behind
	}
	return r, second
}

// rerunCommand is the command that runs one seed of a campaign again, from
// the repository's root, into its own directory beside out: for a seed
// that left no trace that replays (it crashed, ran out of memory or time).
func rerunCommand(scenario string, muts []string, seed uint64, out string) string {
	cmd := "go run ./cmd/simrun run --scenario " + shellWord(scenario)
	if len(muts) > 0 {
		cmd += " --mutant " + shellWord(strings.Join(muts, ","))
	}
	dir := filepath.Join(out, fmt.Sprintf("rerun-%s-%d", scenario, seed))
	return cmd + fmt.Sprintf(" --seed %d --seeds 1 --out %s", seed, shellWord(dir))
}

// shellWord quotes s for a POSIX shell if it needs to be.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// worldCheck names the World's own check that failed a run, as the
// reports name it: "world: liveness", or "world: " and the failing
// component (the error's first word).
func worldCheck(err error) string {
	if errors.Is(err, sim.ErrLiveness) {
		return "world: liveness"
	}
	first, _, ok := strings.Cut(err.Error(), ":")
	if !ok || len(first) > 30 || strings.Count(first, " ") > 2 {
		return "world"
	}
	return "world: " + strings.TrimSpace(first)
}

// judge gives a run's recorded history to the oracles (nil report when
// the run recorded none); with viewDir, porcupine's views of the
// linearizability failures are written there. A malformed history is an
// error.
func judge(res sim.Result, viewDir string) (*oracle.Report, error) {
	if res.History == nil {
		return nil, nil
	}
	rep, err := oracle.Check(res.History, oracle.Options{ViewDir: viewDir})
	if err != nil && !errors.Is(err, oracle.ErrViews) {
		return nil, fmt.Errorf("%w: the recorded history is malformed: %w", oracle.ErrConvicted, err)
	}
	return &rep, nil
}

// judged is a run's verdict as an error: the World's own failure (an
// engine error, a broken reset promise, no convergence), else the oracles'
// judgement of the history it recorded.
func judged(res sim.Result, viewDir string) error {
	rep, err := judge(res, viewDir)
	if res.Err != nil {
		return res.Err
	}
	if err != nil {
		return err
	}
	if rep == nil {
		return nil
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

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeAtomic writes data to path (0644) through a temporary file and a
// rename, so a crash leaves either the old file or the whole new one.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
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
