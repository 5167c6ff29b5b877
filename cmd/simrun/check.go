package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/oracle"
)

// checkUsage is the synopsis of simrun check.
const checkUsage = "simrun check [--timeout D] [--views DIR] FILE|DIR..."

// cmdCheck judges saved histories again: each FILE, and every
// *.history.json or history.json under each DIR (recursively, in path
// order), is read and given to the oracles. One line per history: PASS or
// FAIL with the oracles that convicted it. A history that cannot be read
// (missing, malformed, another format version) is bad input: it is named
// on stderr and the exit code is 2.
func cmdCheck(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("check", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() {
		fmt.Fprintln(fset.Output(), "usage: "+checkUsage)
		fset.PrintDefaults()
	}
	timeout := fset.Duration("timeout", oracle.DefaultTimeout, "wall-clock limit of each porcupine check (one per realm and model); running out is a failure")
	views := fset.String("views", "", "write porcupine's HTML views of linearizability failures under `DIR`, one directory per history")
	if err := fset.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fset.NArg() == 0 {
		return fmt.Errorf("%w: check takes one or more history files or directories: %s", errUsage, checkUsage)
	}
	if *timeout <= 0 {
		return fmt.Errorf("%w: --timeout %v: must be positive", errUsage, *timeout)
	}
	paths, err := historyFiles(fset.Args())
	if err != nil {
		return err
	}
	var failed, bad int
	for _, path := range paths {
		verdict, written, err := checkOne(path, *timeout, *views)
		if err != nil {
			fmt.Fprintln(stderr, "simrun: check:", err)
			bad++
			continue
		}
		if verdict != "" {
			failed++
			fmt.Fprintf(stdout, "FAIL %s: %s\n", path, verdict)
			for _, v := range written {
				fmt.Fprintf(stdout, "  view: %s\n", v)
			}
			continue
		}
		fmt.Fprintf(stdout, "PASS %s\n", path)
	}
	switch {
	case bad > 0:
		return fmt.Errorf("check: %d of %d histories could not be judged", bad, len(paths))
	case failed > 0:
		return fmt.Errorf("%w: %d of %d histories convicted", errFound, failed, len(paths))
	}
	return nil
}

// checkOne reads and judges one saved history: "" when every oracle
// passes, else the failed verdicts in one line, and the views written.
func checkOne(path string, timeout time.Duration, views string) (string, []string, error) {
	h, _, err := history.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	opts := oracle.Options{Timeout: timeout}
	if views != "" {
		opts.ViewDir = filepath.Join(views, viewDirName(path))
	}
	rep, err := oracle.Check(h, opts)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, err)
	}
	var parts, written []string
	for _, v := range rep.Verdicts {
		if !v.Pass {
			parts = append(parts, string(v.Oracle)+": "+summarize(v.Failures))
		}
		written = append(written, v.Views...)
	}
	if rep.Pass() {
		return "", nil, nil
	}
	return strings.Join(parts, "; "), written, nil
}

// summarize joins an oracle's failures into a line of reasonable length:
// the first three, each cut at 300 bytes, and how many more there were.
func summarize(failures []string) string {
	const most, width = 3, 300
	if len(failures) == 0 {
		return "failed"
	}
	var out []string
	for _, f := range failures[:min(len(failures), most)] {
		f = strings.Join(strings.Fields(f), " ") // one line
		if len(f) > width {
			f = f[:width] + "…"
		}
		out = append(out, f)
	}
	if len(failures) > most {
		out = append(out, fmt.Sprintf("(and %d more)", len(failures)-most))
	}
	return strings.Join(out, "; ")
}

// viewDirName names the directory of a history's views after its path:
// out/fails/seed-sync-5.history.json -> out_fails_seed-sync-5.
func viewDirName(path string) string {
	p := filepath.ToSlash(filepath.Clean(path))
	p = strings.TrimSuffix(strings.TrimSuffix(p, ".json"), ".history")
	p = strings.NewReplacer("/", "_", "..", "_", ":", "_").Replace(p)
	return strings.Trim(p, "_.")
}

// isHistoryFile reports whether a directory walk picks up the file named
// name.
func isHistoryFile(name string) bool {
	return name == "history.json" || strings.HasSuffix(name, ".history.json")
}

// historyFiles lists the files to judge: each FILE argument as given, and
// each DIR argument's history files, recursively and sorted. A missing
// argument or a directory without history files is an error naming it.
func historyFiles(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, arg)
			continue
		}
		var found []string
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isHistoryFile(d.Name()) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("check: %s: no history files (*.history.json, history.json) under it", arg)
		}
		slices.Sort(found)
		out = append(out, found...)
	}
	if len(out) == 0 {
		return nil, errors.New("check: no history files")
	}
	return out, nil
}
