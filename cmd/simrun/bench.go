package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/syncsim/syncsim/oracle"
	"github.com/syncsim/syncsim/sim/scenarios"
)

// benchStats is what bench measures over its seeds.
type benchStats struct {
	seeds, failed int
	events        uint64
	simulated     time.Duration
	wall          time.Duration
	cpu           time.Duration // the process's user+system CPU over the loop
	oracleCPU     time.Duration // the part of cpu spent in oracle.Check
}

// cmdBench runs a scenario's seeds one after the other on one core and
// judges each run with every oracle, measuring CPU time (getrusage) around
// each step: it prints seeds/s per core of CPU time, events/s, simulated
// over wall time and the oracles' share of the CPU time.
func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("scenario", scenarios.Standard().Name, "scenario to run (simrun list); the default is workload S")
	first := fs.Uint64("seed", 0, "first seed")
	count := fs.Int("seeds", 20, "number of seeds")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: bench takes no arguments, got %q", errUsage, fs.Args())
	}
	sc, err := scenarios.Lookup(*name)
	if err != nil {
		return fmt.Errorf("%w: --scenario: %w", errUsage, err)
	}
	if *count < 1 {
		return fmt.Errorf("%w: --seeds %d: must be at least 1", errUsage, *count)
	}
	if *first+uint64(*count) < *first {
		return fmt.Errorf("%w: --seed %d --seeds %d: the seeds overflow", errUsage, *first, *count)
	}
	st, err := bench(sc, *first, *count)
	if err != nil {
		return err
	}
	printBench(stdout, sc.Name, st)
	if st.failed > 0 {
		return fmt.Errorf("%w: %d of %d seeds failed (simrun run --scenario %s --seed %d --seeds %d names them)",
			errFound, st.failed, st.seeds, sc.Name, *first, *count)
	}
	return nil
}

// bench runs the seeds in this goroutine with GOMAXPROCS 1, so that the
// process's CPU time is one core's.
func bench(sc scenarios.Scenario, first uint64, count int) (benchStats, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runtime.GC() // the garbage from before the loop is not the loop's
	var st benchStats
	start := time.Now()
	c0 := cpuTime()
	for seed := first; seed < first+uint64(count); seed++ {
		res, err := safeRun(sc, seed, nil, scenarios.RunOptions{})
		st.seeds++
		st.events += res.Events
		st.simulated += res.SimTime
		if err == nil {
			err = res.Err
		}
		if res.History != nil {
			before := cpuTime()
			rep, jerr := oracle.Check(res.History, oracle.Options{})
			st.oracleCPU += cpuTime() - before
			if err == nil && jerr != nil && !errors.Is(jerr, oracle.ErrViews) {
				err = jerr
			}
			if err == nil {
				err = rep.Err()
			}
		}
		if err != nil {
			st.failed++
		}
	}
	c1 := cpuTime()
	st.cpu, st.wall = c1-c0, time.Since(start)
	return st, nil
}

// printBench prints the measures as a small aligned table.
func printBench(out io.Writer, name string, st benchStats) {
	per := func(n float64, d time.Duration) string {
		if d <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", n/d.Seconds())
	}
	share := "-"
	if st.cpu > 0 {
		share = fmt.Sprintf("%.1f%%", 100*float64(st.oracleCPU)/float64(st.cpu))
	}
	ratio := "-"
	if st.wall > 0 {
		ratio = fmt.Sprintf("%.0fx", float64(st.simulated)/float64(st.wall))
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tseeds\tfailed\tcpu\twall\tseeds/s/core\tevents/s\tsimulated/wall\toracle share\t")
	fmt.Fprintf(tw, "%s\t%d\t%d\t%v\t%v\t%s\t%s\t%s\t%s\t\n", name, st.seeds, st.failed,
		st.cpu.Round(time.Millisecond), st.wall.Round(time.Millisecond),
		per(float64(st.seeds), st.cpu), per(float64(st.events), st.cpu), ratio, share)
	tw.Flush()
	fmt.Fprintln(out, "(one core, GOMAXPROCS 1; CPU time is user+system from getrusage; events/s per CPU second; oracle share is oracle.Check's part of the CPU)")
}
