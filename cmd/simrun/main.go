// Command simrun runs simulation campaigns, reports on them and replays
// their traces.
//
//	simrun run    [--scenario NAME] [--seed A --seeds N | --seed-range A:B] [--parallel P] [--budget D]
//	              [--shard i/n | --shards n] [--out DIR] [--mutant NAME[,NAME]] [--recheck F]
//	              [--keep-traces] [--views=false] [--worker-memory SIZE] [--seed-timeout D]
//	simrun report [--out DIR] DIR...
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
// run streams the seeds to --parallel worker processes (the simrun binary
// itself, with a hidden "worker" subcommand), each limited in memory and
// in wall-clock time per seed, so that a seed that crashes, runs out of
// memory or hangs is that seed's failure and the campaign goes on. It
// writes DIR/summary.json, report.html, report.md and junit.xml, each
// failing seed's trace and history and, for a failing seed whose scenario
// can, porcupine's HTML views under DIR/views/SCENARIO-SEED/. A sample of
// the seeds (--recheck) is run twice: a different trace hash is a failure
// of its own (nondeterministic). --mutant switches on deliberate engine
// bugs (simrun list names them); the trace records them and replay
// switches the same ones on. report merges the summaries of several
// directories (the shards of a campaign) and renders the reports again.
// check judges saved histories again.
//
// Exit codes: 0 every seed passed (or the replay matched, or every history
// passed), 1 a failure was found (or the replay diverged, or a history was
// convicted), 2 bad usage or input (an unreadable history included), 130
// a campaign interrupted by Ctrl-C (SIGINT or SIGTERM) before it found a
// failure.
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
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(stderr, "simrun:", err)
		return 130
	default:
		fmt.Fprintln(stderr, "simrun:", err)
		return 2
	}
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: simrun run|report|replay|check|bench|list [flags]; simrun CMD -h for flags", errUsage)
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "replay":
		return cmdReplay(args[1:], stdout, stderr)
	case "report":
		return cmdReport(args[1:], stdout, stderr)
	case "worker": // hidden: a campaign's worker process (worker.go)
		return cmdWorker(args[1:], os.Stdin, stdout, stderr)
	case "check":
		return cmdCheck(args[1:], stdout, stderr)
	case "list":
		return cmdList(stdout)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stderr, "usage: simrun run|report|replay|check|bench|list [flags]; simrun CMD -h for flags")
		return fmt.Errorf("%w: %s: usage printed above", errUsage, args[0])
	}
	return fmt.Errorf("%w: unknown command %q (want run, report, replay, check, bench or list)", errUsage, args[0])
}
