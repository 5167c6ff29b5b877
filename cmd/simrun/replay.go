package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/sim/scenarios"
	"github.com/syncsim/syncsim/sim/trace"
)

// cmdReplay runs a trace's seed again, compares the new run, event by
// event, with the recorded one, and judges the new run's history again
// with the oracles of this build.
func cmdReplay(args []string, stdout, stderr io.Writer) error {
	if stopsEarly(args) {
		return cmdReplayStop(args, stdout, stderr) // --until, --at-event: inspect.go
	}
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	verbose := fs.Bool("verbose", false, "print every event of the replay, step by step")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: simrun replay [--verbose] TRACE")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: replay takes one trace file", errUsage)
	}
	path := fs.Arg(0)
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	defer fh.Close()
	want, err := trace.Read(fh)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errUsage, path, err)
	}
	sc, err := scenarios.Resolve(want.Header.Scenario)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, path, err)
	}
	muts, err := headerMutants(want.Header)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errUsage, path, err)
	}
	for _, m := range muts {
		if _, err := mutant.Lookup(m); err != nil {
			return fmt.Errorf("%w: %s: the trace names mutant %q, which this build does not have (known: %s)", errUsage, path, m, strings.Join(mutantNames(), ", "))
		}
	}
	if want.Footer == nil {
		return fmt.Errorf("%w: %s: the trace is incomplete: it has no footer (cut short after %d events by a crash, an interrupt or a copy), so it cannot be checked; run its seed again: %s",
			errUsage, path, len(want.Events), rerunCommand(want.Header.Scenario, muts, want.Header.Seed, "out"))
	}
	var buf bytes.Buffer
	res, err := safeRun(sc, want.Header.Seed, &buf, scenarios.RunOptions{Mutants: muts})
	if err != nil {
		return fmt.Errorf("%w: replaying seed %d: %v", errFound, want.Header.Seed, err)
	}
	got, err := trace.Read(&buf)
	if err != nil {
		return fmt.Errorf("replaying seed %d: reading the new trace: %w", want.Header.Seed, err)
	}
	for i, e := range got.Events {
		if *verbose {
			fmt.Fprintf(stdout, "%6d %s\n", i+1, e.Line)
		}
		if i >= len(want.Events) {
			return fmt.Errorf("%w: the replay has more events than the trace (%d > %d)", errFound, len(got.Events), len(want.Events))
		}
		if !bytes.Equal(e.Line, want.Events[i].Line) {
			return fmt.Errorf("%w: event %d diverges:\n  trace:  %s\n  replay: %s", errFound, i+1, want.Events[i].Line, e.Line)
		}
	}
	if len(got.Events) < len(want.Events) {
		return fmt.Errorf("%w: the replay ended after %d of the trace's %d events", errFound, len(got.Events), len(want.Events))
	}
	name := sc.Name
	if len(muts) > 0 {
		name += " with mutants " + strings.Join(muts, ",")
	}
	fmt.Fprintf(stdout, "replay of %s seed %d matches the trace: %d events, hash %s\n", name, want.Header.Seed, len(got.Events), got.Hash)
	if err := judged(res, ""); err != nil {
		return fmt.Errorf("%w: the run fails again: %v", errFound, err)
	}
	fmt.Fprintln(stdout, "the run passes: the World's checks and every oracle")
	return nil
}

// headerMutants is the mutants a trace's run had switched on, from the
// configuration its header records: a replay must switch on the same.
func headerMutants(h trace.Header) ([]string, error) {
	if len(h.Config) == 0 {
		return nil, nil
	}
	var cfg struct{ Mutants []string }
	if err := json.Unmarshal(h.Config, &cfg); err != nil {
		return nil, fmt.Errorf("the header's config: %w", err)
	}
	return cfg.Mutants, nil
}
