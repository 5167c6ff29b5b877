// Command simrun runs simulation campaigns and replays their traces.
//
//	simrun run    [--scenario NAME] [--seed N] [--seeds COUNT] [--parallel P] [--shard i/n] [--out DIR]
//	              [--mutant NAME[,NAME]] [--views=false] [--keep-traces]
//	simrun replay [--verbose] TRACE
//	simrun check  [--timeout D] [--views DIR] FILE|DIR...
//	simrun list
//	simrun replay [-v] (--until T | --at-event N) TRACE
//	simrun bench  [--scenario NAME] [--seed N] [--seeds COUNT]
//
// replay with --until (a virtual time, e.g. 5m30s) or --at-event stops
// the world there, checks the events so far against the trace, and prints
// every replica's and the server's state: objects with their fields and
// lists, download and upload cursors, pending uploads, session and
// connection states (-v also prints each event with its virtual time).
// bench runs a scenario's seeds (workload S, "standard", by default; 20
// seeds) one after another on one core, judging each with every oracle,
// and prints seeds/s per core of CPU time, events/s, simulated/wall time
// and the oracles' share of the CPU.
//
// run writes DIR/summary.json, each failing seed's trace, and, for a
// failing seed whose scenario can, porcupine's HTML views of its
// linearizability failures under DIR/views/SCENARIO-SEED/. --mutant
// switches on deliberate engine bugs (simrun list names them); the trace
// records them and replay switches the same ones on. check judges saved
// histories again (FILE, or every *.history.json and history.json under
// DIR) and prints PASS or FAIL, with the oracles that convicted, for each.
//
// Exit codes: 0 every seed passed (or the replay matched, or every history
// passed), 1 a failure was found (or the replay diverged, or a history was
// convicted), 2 bad usage or input (an unreadable history included).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// errUsage marks bad usage or input: exit code 2.
var errUsage = errors.New("usage")

// errFound marks a failing seed or a diverging replay: exit code 1.
var errFound = errors.New("failure found")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	err := dispatch(args, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errFound):
		fmt.Fprintln(stderr, "simrun:", err)
		return 1
	default:
		fmt.Fprintln(stderr, "simrun:", err)
		return 2
	}
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: simrun run|replay|check|list [flags]; simrun CMD -h for flags", errUsage)
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "replay":
		return cmdReplay(args[1:], stdout, stderr)
	case "check":
		return cmdCheck(args[1:], stdout, stderr)
	case "list":
		return cmdList(stdout)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, "simrun run|replay|check|list [flags]; simrun CMD -h for flags")
		return nil
	}
	return fmt.Errorf("%w: unknown command %q (want run, replay, check or list)", errUsage, args[0])
}
