package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/scenarios"
	"github.com/syncsim/syncsim/sim/trace"
)

// stopsEarly reports whether replay's arguments ask it to stop part way
// (--until or --at-event): replay then runs cmdReplayStop.
func stopsEarly(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "until" || name == "at-event") {
			return true
		}
	}
	return false
}

// cmdReplayStop runs a trace's seed again, as replay does, but stops the
// world at virtual time --until or once --at-event events are recorded,
// checks that the events so far match the trace's, and prints every
// replica's and the server's state there (sim.World.Inspect). -v prints
// each event, with its virtual time, as it is recorded.
//
// The world stops between clock events: an event the clock runs may
// record several trace events, so --at-event N stops at the end of the
// clock event that recorded the N-th, and says how many were recorded.
func cmdReplayStop(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var verbose bool
	fs.BoolVar(&verbose, "verbose", false, "print every event, with its virtual time, as it is recorded")
	fs.BoolVar(&verbose, "v", false, "short for --verbose")
	until := fs.Duration("until", 0, "stop the world at this virtual time (e.g. 5m30s) and print its state")
	atEvent := fs.Int("at-event", 0, "stop the world after its N-th trace event and print its state")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() != 1:
		return fmt.Errorf("%w: replay takes one trace file", errUsage)
	case set["until"] && set["at-event"]:
		return fmt.Errorf("%w: replay: --until and --at-event exclude each other", errUsage)
	case set["until"] && *until < 0:
		return fmt.Errorf("%w: replay: --until %v: must not be negative", errUsage, *until)
	case set["at-event"] && *atEvent < 0:
		return fmt.Errorf("%w: replay: --at-event %d: must not be negative", errUsage, *atEvent)
	}
	path := fs.Arg(0)
	want, sc, muts, err := readTrace(path)
	if err != nil {
		return err
	}
	seed := want.Header.Seed
	deadline := sc.Config(seed).Deadline
	if set["until"] && *until > deadline {
		return fmt.Errorf("%w: replay: --until %v is past the run's deadline %v", errUsage, *until, deadline)
	}
	if set["at-event"] && *atEvent > len(want.Events) {
		return fmt.Errorf("%w: replay: --at-event %d: the trace has %d events", errUsage, *atEvent, len(want.Events))
	}

	var buf bytes.Buffer
	opts := scenarios.RunOptions{Mutants: muts}
	if verbose {
		opts.Log = &eventPrinter{out: stdout}
	}
	w, stopped, err := stopWorld(sc, seed, &buf, opts, func(w *sim.World) {
		if set["until"] {
			w.Clock.RunUntil(clock.Time(*until))
			return
		}
		for w.Trace.Events() < uint64(*atEvent) && w.Clock.NextAt() <= clock.Time(deadline) && w.Clock.Step() {
		}
	})
	if err != nil {
		return fmt.Errorf("%w: replaying seed %d: %w", errFound, seed, err)
	}
	_ = w.Trace.Close() // flush what was recorded; the run does not go on
	got, err := trace.Read(&buf)
	if err != nil {
		return fmt.Errorf("replaying seed %d: reading the new trace: %w", seed, err)
	}
	for i, e := range got.Events {
		if i >= len(want.Events) {
			if want.Footer == nil {
				break
			}
			return fmt.Errorf("%w: the replay has more events than the trace (%d > %d)", errFound, len(got.Events), len(want.Events))
		}
		if !bytes.Equal(e.Line, want.Events[i].Line) {
			return fmt.Errorf("%w: event %d diverges:\n  trace:  %s\n  replay: %s", errFound, i+1, want.Events[i].Line, e.Line)
		}
	}
	name := sc.Name
	if len(muts) > 0 {
		name += " with mutants " + strings.Join(muts, ",")
	}
	fmt.Fprintf(stdout, "replay of %s seed %d stopped at %v after %d of the trace's %d events (%d clock events run); they match the trace\n",
		name, seed, stopped, len(got.Events), len(want.Events), w.Clock.Fired())
	if !w.Inspect(stdout) {
		fmt.Fprintf(stdout, "scenario %s has no state inspector: no replica or server state to print\n", sc.Name)
	}
	return nil
}

// stopWorld builds the scenario's world and runs it with drive, turning a
// panic inside the world into an error; it returns the world and the
// virtual time it stopped at.
func stopWorld(sc scenarios.Scenario, seed uint64, out io.Writer, opts scenarios.RunOptions, drive func(*sim.World)) (w *sim.World, at time.Duration, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	w, err = sc.World(seed, out, opts)
	if err != nil {
		return nil, 0, err
	}
	drive(w)
	return w, time.Duration(w.Clock.Now()), nil
}

// readTrace reads a trace to replay, and the scenario and mutants its
// header names; every failure is bad input.
func readTrace(path string) (*trace.File, scenarios.Scenario, []string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, scenarios.Scenario{}, nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	defer fh.Close()
	f, err := trace.Read(fh)
	if err != nil {
		return nil, scenarios.Scenario{}, nil, fmt.Errorf("%w: %s: %w", errUsage, path, err)
	}
	sc, err := scenarios.Lookup(f.Header.Scenario)
	if err != nil {
		return nil, scenarios.Scenario{}, nil, fmt.Errorf("%w: %s: %w", errUsage, path, err)
	}
	muts, err := headerMutants(f.Header)
	if err == nil {
		_, err = parseMutants(strings.Join(muts, ","))
	}
	if err != nil {
		return nil, scenarios.Scenario{}, nil, fmt.Errorf("%w: %s: %w", errUsage, path, err)
	}
	return f, sc, muts, nil
}

// eventPrinter is the slog handler of replay -v: one line per trace
// event as it is recorded, numbered, with its virtual time, node, kind
// and attributes.
type eventPrinter struct {
	out io.Writer
	n   int
}

func (p *eventPrinter) Enabled(context.Context, slog.Level) bool { return true }
func (p *eventPrinter) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *eventPrinter) WithGroup(string) slog.Handler            { return p }

func (p *eventPrinter) Handle(_ context.Context, r slog.Record) error {
	p.n++
	// The recorder's first two attributes are the time and the node.
	var t int64
	node := "world"
	var attrs []string
	i := 0
	r.Attrs(func(a slog.Attr) bool {
		switch {
		case i == 0 && a.Key == "t":
			t = a.Value.Int64()
		case i == 1 && a.Key == "node":
			if a.Value.String() != "" {
				node = a.Value.String()
			}
		default:
			attrs = append(attrs, a.String())
		}
		i++
		return true
	})
	fmt.Fprintf(p.out, "%6d %14v %-9s %s %s\n", p.n, time.Duration(t), node, r.Message, strings.Join(attrs, " "))
	return nil
}
