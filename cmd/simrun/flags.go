package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/syncsim/syncsim/engine/mutant"
)

// parseFlags parses args with fs, keeping the flag package's own messages
// off stderr so that bad input is one line (ours); -h prints the usage to
// stderr and is bad usage all the same (exit 2).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stderr)
		fs.Usage()
		return fmt.Errorf("%w: %s -h: usage printed above", errUsage, fs.Name())
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
	}
	return nil
}

// setFlags is the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// parseCount parses a seed count: a decimal integer, or one in the form
// MeK (digits, e, digits: 1e18) whose value is an integer that fits in 64
// bits. Anything else (1.5, abc, 1e-3, -1) is an error naming it.
func parseCount(flagName, s string) (uint64, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: --%s %q: %s", errUsage, flagName, s, why)
	}
	mant, exp, sci := strings.Cut(strings.ToLower(s), "e")
	n, err := strconv.ParseUint(mant, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, bad("too large (the most is 18446744073709551615)")
		}
		return 0, bad("not a whole number")
	}
	if sci {
		e, err := strconv.ParseUint(exp, 10, 8)
		if err != nil {
			return 0, bad("not a whole number")
		}
		for ; e > 0; e-- {
			hi, lo := bits.Mul64(n, 10)
			if hi != 0 {
				return 0, bad("too large (the most is 18446744073709551615)")
			}
			n = lo
		}
	}
	return n, nil
}

// seedSpace is the seeds a campaign runs: lo..hi inclusive, those s with
// s % shards == shard.
type seedSpace struct {
	lo, hi        uint64
	shard, shards uint64
	// desc says which seeds, for the report and the log.
	desc string
}

// first is the space's first seed (ok false when it holds none).
func (s seedSpace) first() (uint64, bool) {
	r := s.lo % s.shards
	delta := s.shard - r
	if s.shard < r {
		delta = s.shards - r + s.shard
	}
	if delta > s.hi-s.lo {
		return 0, false
	}
	return s.lo + delta, true
}

// each calls fn with every seed of the space in order until fn returns
// false. No list is built: a space of 2^64 seeds costs nothing.
func (s seedSpace) each(fn func(seed uint64) bool) {
	seed, ok := s.first()
	for ok && fn(seed) {
		ok = s.hi-seed >= s.shards
		seed += s.shards
	}
}

// count is how many seeds the space holds (saturating at 2^64-1).
func (s seedSpace) count() uint64 {
	first, ok := s.first()
	if !ok {
		return 0
	}
	n := (s.hi - first) / s.shards
	if n == math.MaxUint64 {
		return n
	}
	return n + 1
}

// seedFlags are the flags that choose a campaign's seeds.
type seedFlags struct {
	seed, seeds, seedRange, shard, shards string
	set                                   map[string]bool
	// jobIndex is the JOB_COMPLETION_INDEX environment variable ("" when
	// unset), read by the caller so that tests can set it.
	jobIndex string
}

// space checks the seed flags and returns the seeds they choose.
func (f seedFlags) space() (seedSpace, error) {
	var s seedSpace
	if f.set["seed-range"] {
		if f.set["seed"] || f.set["seeds"] {
			return s, fmt.Errorf("%w: --seed-range cannot be combined with --seed or --seeds", errUsage)
		}
		a, b, ok := strings.Cut(f.seedRange, ":")
		lo, err1 := strconv.ParseUint(a, 10, 64)
		end, err2 := strconv.ParseUint(b, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return s, fmt.Errorf("%w: --seed-range %q: want A:B, whole numbers, A included and B excluded", errUsage, f.seedRange)
		}
		if end <= lo {
			return s, fmt.Errorf("%w: --seed-range %q: empty (A:B runs A up to but not including B, so B must be greater than A)", errUsage, f.seedRange)
		}
		s.lo, s.hi = lo, end-1
		s.desc = fmt.Sprintf("seeds %d up to %d (excluded)", lo, end)
	} else {
		first, err := strconv.ParseUint(f.seed, 10, 64)
		if err != nil {
			return s, fmt.Errorf("%w: --seed %q: want a whole number from 0 to 18446744073709551615", errUsage, f.seed)
		}
		n, err := parseCount("seeds", f.seeds)
		if err != nil {
			return s, err
		}
		if n == 0 {
			return s, fmt.Errorf("%w: --seeds 0: must be at least 1", errUsage)
		}
		if n-1 > math.MaxUint64-first {
			return s, fmt.Errorf("%w: --seed %d --seeds %d: the last seed would be past 18446744073709551615", errUsage, first, n)
		}
		s.lo, s.hi = first, first+(n-1)
		s.desc = fmt.Sprintf("%d seeds from %d", n, first)
	}
	s.shard, s.shards = 0, 1
	switch {
	case f.set["shard"] && f.set["shards"]:
		return s, fmt.Errorf("%w: give --shard i/n or --shards n (with JOB_COMPLETION_INDEX), not both", errUsage)
	case f.set["shard"]:
		i, n, err := parseShard(f.shard)
		if err != nil {
			return s, err
		}
		s.shard, s.shards = i, n
	case f.set["shards"]:
		n, err := strconv.ParseUint(f.shards, 10, 64)
		if err != nil || n < 1 {
			return s, fmt.Errorf("%w: --shards %q: want a whole number of shards, at least 1", errUsage, f.shards)
		}
		if f.jobIndex == "" {
			return s, fmt.Errorf("%w: --shards %d needs the shard index in JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), which is not set", errUsage, n)
		}
		i, err := strconv.ParseUint(f.jobIndex, 10, 64)
		if err != nil || i >= n {
			return s, fmt.Errorf("%w: JOB_COMPLETION_INDEX=%q: want a whole number from 0 to %d for --shards %d", errUsage, f.jobIndex, n-1, n)
		}
		s.shard, s.shards = i, n
	}
	if s.shards > 1 {
		s.desc += fmt.Sprintf(", shard %d/%d (the seeds s with s %% %d == %d)", s.shard, s.shards, s.shards, s.shard)
		if s.count() == 0 {
			return s, fmt.Errorf("%w: shard %d/%d holds none of the %s", errUsage, s.shard, s.shards, s.desc)
		}
	}
	return s, nil
}

// shardName is the shard's "i/n", or "" for an unsharded run.
func (s seedSpace) shardName() string {
	if s.shards <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.shard, s.shards)
}

func parseShard(s string) (uint64, uint64, error) {
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.ParseUint(i, 10, 64)
	b, err2 := strconv.ParseUint(n, 10, 64)
	if !ok || err1 != nil || err2 != nil || b < 1 || a >= b {
		return 0, 0, fmt.Errorf("%w: --shard %q: want i/n with 0 <= i < n (e.g. 0/4)", errUsage, s)
	}
	return a, b, nil
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

// scenarioLayers is, for each built-in scenario, the engine layers its
// worlds exercise, decided from what the scenario does: sync has no
// lifecycle faults (so no restore, terminate or client reset ever runs),
// standard has no crashes or lifecycle faults either, pingecho runs no
// sync engine at all, resets runs everything. A scenario not listed (a
// test's) is not checked.
var scenarioLayers = map[string][]mutant.Layer{
	"pingecho": {},
	"sync":     {mutant.LayerMerge, mutant.LayerProtocol, mutant.LayerDurability, mutant.LayerSession},
	"standard": {mutant.LayerMerge, mutant.LayerProtocol, mutant.LayerSession},
	"resets": {mutant.LayerMerge, mutant.LayerProtocol, mutant.LayerDurability, mutant.LayerLifecycle,
		mutant.LayerReset, mutant.LayerSession},
}

// checkExercised refuses a mutant that the scenario never exercises: it
// could not be caught, and a clean run would say nothing about it.
func checkExercised(scenario string, muts []string) error {
	layers, known := scenarioLayers[scenario]
	if !known {
		return nil
	}
	for _, n := range muts {
		m, err := mutant.Lookup(n)
		if err != nil {
			return fmt.Errorf("%w: --mutant: %w", errUsage, err)
		}
		if !slices.Contains(layers, m.Layer()) {
			var where []string
			for sc, ls := range scenarioLayers {
				if slices.Contains(ls, m.Layer()) {
					where = append(where, sc)
				}
			}
			slices.Sort(where)
			return fmt.Errorf("%w: --mutant %s breaks the %s layer, which scenario %s never exercises (try --scenario %s)",
				errUsage, n, m.Layer(), scenario, strings.Join(where, " or "))
		}
	}
	return nil
}

// prepareOut makes dir (0755) if needed, checks that it can be written,
// and removes what an earlier campaign left there that this run owns: the
// summary and reports, the fail-* and seed-* traces and histories, and
// views/. Other files are left alone.
func prepareOut(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: --out %s: %w", errUsage, dir, err)
	}
	probe, err := os.CreateTemp(dir, ".tmp-probe-*")
	if err != nil {
		return fmt.Errorf("%w: --out %s: not writable: %w", errUsage, dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	owned := []string{"summary.json", "report.html", "report.md", "junit.xml", "views"}
	for _, pat := range []string{"fail-*.trace.jsonl", "seed-*.trace.jsonl", "fail-*.history.json", "seed-*.history.json", ".tmp-*"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range m {
			owned = append(owned, filepath.Base(p))
		}
	}
	for _, name := range owned {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("%w: --out %s: removing the earlier campaign's %s: %w", errUsage, dir, name, err)
		}
	}
	return nil
}
