package reports

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Build makes the campaign of results and meta, with its aggregates. The
// results are copied, normalised (empty maps dropped, resets and
// timelines sorted) and sorted by scenario, then seed; Build does not
// modify its arguments. A determinism re-check whose hashes differ is a
// failure: a passing result of its seed becomes nondeterministic (oracle
// "determinism"), and one without a result still counts in Failures.
func Build(results []SeedResult, meta Meta) *Campaign {
	rs := make([]SeedResult, len(results))
	for i, r := range results {
		rs[i] = normalise(r)
	}
	slices.SortStableFunc(rs, compareResults)
	c := &Campaign{
		Scenarios:     sortedSet(meta.Scenarios),
		Mutants:       sortedSet(meta.Mutants),
		Seeds:         len(rs),
		Partial:       meta.Partial,
		PartialReason: meta.PartialReason,
		Shards:        sortedSet(meta.Shards),
		Duration:      meta.Duration,
		KnownProbes:   sortedSet(meta.KnownProbes),
		Results:       rs,
		Rechecks:      sortedRechecks(meta.Rechecks),
	}
	if !meta.Started.IsZero() {
		c.Started = meta.Started.UTC().Round(0)
	}
	if c.Scenarios == nil {
		var names []string
		for _, r := range rs {
			names = append(names, r.Scenario)
		}
		c.Scenarios = sortedSet(names)
	}
	for _, rc := range c.Rechecks {
		if rc.Matched() {
			continue
		}
		c.Nondeterministic = append(c.Nondeterministic, rc)
		i, found := slices.BinarySearchFunc(rs, rc, func(r SeedResult, rc Recheck) int {
			return cmp.Or(cmp.Compare(r.Scenario, rc.Scenario), cmp.Compare(r.Seed, rc.Seed))
		})
		switch {
		case !found:
			c.Failures++ // a failure of its own, though its result is not here
		case rs[i].Verdict == VerdictPass:
			rs[i].Verdict, rs[i].Oracle = VerdictNondeterministic, "determinism"
			rs[i].Message = fmt.Sprintf("run twice, the seed gave trace hashes %s and %s", rc.First, rc.Second)
		}
	}
	for _, r := range rs {
		if r.Failed() {
			c.Failures++
		}
	}
	c.Aggregates = aggregate(c)
	return c
}

func compareResults(a, b SeedResult) int {
	return cmp.Or(cmp.Compare(a.Scenario, b.Scenario), cmp.Compare(a.Seed, b.Seed))
}

// normalise returns a copy of r in canonical form.
func normalise(r SeedResult) SeedResult {
	r.FaultsByKind = cleanMap(r.FaultsByKind)
	r.WritesByBucket = cleanMap(r.WritesByBucket)
	r.Probes = cleanMap(r.Probes)
	r.Resets = sumResets(r.Resets)
	if len(r.Timeline) == 0 {
		r.Timeline = nil
	} else {
		r.Timeline = slices.Clone(r.Timeline)
		slices.SortStableFunc(r.Timeline, func(a, b TimelineEvent) int {
			return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Target, b.Target))
		})
	}
	return r
}

// cleanMap copies m without its zero counts; nil if nothing is left.
func cleanMap(m map[string]int) map[string]int {
	var out map[string]int
	for k, v := range m {
		if v == 0 {
			continue
		}
		if out == nil {
			out = map[string]int{}
		}
		out[k] = v
	}
	return out
}

// sumResets adds up the counts of equal (cause, mode, outcome), sorted.
func sumResets(rs []ResetCount) []ResetCount {
	var out []ResetCount
	for _, r := range rs {
		i := slices.IndexFunc(out, func(o ResetCount) bool {
			return o.Cause == r.Cause && o.Mode == r.Mode && o.Outcome == r.Outcome
		})
		if i < 0 {
			out = append(out, r)
		} else {
			out[i].N += r.N
		}
	}
	out = slices.DeleteFunc(out, func(r ResetCount) bool { return r.N == 0 })
	slices.SortFunc(out, func(a, b ResetCount) int {
		return cmp.Or(cmp.Compare(a.Cause, b.Cause), cmp.Compare(a.Mode, b.Mode), cmp.Compare(a.Outcome, b.Outcome))
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// sortedSet returns the distinct non-empty strings of xs, sorted; nil if
// none.
func sortedSet(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedRechecks(rs []Recheck) []Recheck {
	if len(rs) == 0 {
		return nil
	}
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b Recheck) int {
		return cmp.Or(cmp.Compare(a.Scenario, b.Scenario), cmp.Compare(a.Seed, b.Seed),
			cmp.Compare(a.First, b.First), cmp.Compare(a.Second, b.Second))
	})
	return slices.Compact(out)
}

// bucketOrder is the order of the write-accounting buckets in reports
// (oracle.Bucket's values); other names follow in alphabetical order.
var bucketOrder = []string{"visible", "overridden", "deleted", "reverted", "discarded", "rolled back", "preserved", "lost"}

// verdictOrder is the order of the verdicts in reports.
var verdictOrder = []string{VerdictPass, VerdictFail, VerdictCrash, VerdictTimeout, VerdictNondeterministic}

func aggregate(c *Campaign) Aggregates {
	var a Aggregates
	verdicts, oracles := map[string]int{}, map[string]int{}
	faults, seedsWithFault := map[string]int{}, map[string]int{}
	writes, probes := map[string]int{}, map[string]int{}
	var resets []ResetCount
	var ttc []time.Duration
	for _, r := range c.Results {
		verdicts[r.Verdict]++
		if r.Failed() {
			oracles[cmp.Or(r.Oracle, r.Verdict)]++
		}
		for k, n := range r.FaultsByKind {
			faults[k] += n
			seedsWithFault[k]++
		}
		for k, n := range r.WritesByBucket {
			writes[k] += n
		}
		for k, n := range r.Probes {
			probes[k] += n
		}
		resets = append(resets, r.Resets...)
		switch {
		case r.TimeToConverge == DidNotConverge:
			a.Converge.NotConverged++
		case r.TimeToConverge < 0:
			a.Converge.NotMeasured++
		default:
			ttc = append(ttc, r.TimeToConverge)
		}
		a.Events += r.Events
		a.Steps += r.Steps
		a.SimTime += r.SimTime
		a.CPU += r.CPU
		a.Wall += r.Wall
	}
	a.ByVerdict = inOrder(verdicts, verdictOrder)
	a.FailuresByOracle = byCount(oracles)
	a.FaultsByKind = byCount(faults)
	a.SeedsWithFault = inOrder(seedsWithFault, nil)
	a.Resets = sumResets(resets)
	a.WritesByBucket = inOrder(writes, bucketOrder)
	a.ProbesHit = byCount(probes)
	for _, p := range c.KnownProbes {
		if probes[p] == 0 {
			a.ProbesNeverHit = append(a.ProbesNeverHit, p)
		}
	}
	a.Converge = convergeStats(ttc, a.Converge)
	a.Rechecked = len(c.Rechecks)
	a.RecheckMatched = len(c.Rechecks) - len(c.Nondeterministic)
	return a
}

// byCount lists m by count, highest first, then by name.
func byCount(m map[string]int) []NameCount {
	out := inOrder(m, nil)
	slices.SortStableFunc(out, func(a, b NameCount) int { return cmp.Compare(b.N, a.N) })
	return out
}

// inOrder lists m with the names of order first (those present), then the
// others alphabetically.
func inOrder(m map[string]int, order []string) []NameCount {
	var out []NameCount
	for _, k := range order {
		if n, ok := m[k]; ok {
			out = append(out, NameCount{k, n})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(order, k) {
			out = append(out, NameCount{k, m[k]})
		}
	}
	return out
}

// histEdges are the histogram's bucket edges: 0, then 1, 2, 5 times the
// powers of ten from 1ms to 1h; the last bucket is open.
var histEdges = func() []time.Duration {
	e := []time.Duration{0}
	for d := time.Millisecond; d < time.Hour; d *= 10 {
		e = append(e, d, 2*d, 5*d)
	}
	return append(e, time.Hour)
}()

// OpenEnd is the Hi of the histogram's last, open bucket.
const OpenEnd = time.Duration(math.MaxInt64)

func convergeStats(ttc []time.Duration, s ConvergeStats) ConvergeStats {
	s.Converged = len(ttc)
	if len(ttc) == 0 {
		return s
	}
	slices.Sort(ttc)
	pct := func(p float64) time.Duration {
		i := int(math.Ceil(p/100*float64(len(ttc)))) - 1
		return ttc[max(i, 0)]
	}
	s.P50, s.P90, s.P99, s.Max = pct(50), pct(90), pct(99), ttc[len(ttc)-1]
	bucket := func(d time.Duration) int {
		i, found := slices.BinarySearch(histEdges, d)
		if !found {
			i--
		}
		return i
	}
	lo, hi := bucket(ttc[0]), bucket(s.Max)
	for i := lo; i <= hi; i++ {
		b := HistBucket{Lo: histEdges[i], Hi: OpenEnd}
		if i+1 < len(histEdges) {
			b.Hi = histEdges[i+1]
		}
		s.Histogram = append(s.Histogram, b)
	}
	for _, d := range ttc {
		s.Histogram[bucket(d)-lo].N++
	}
	return s
}

// ErrMerge marks a campaign that cannot be merged with another.
var ErrMerge = errors.New("reports: merge")

// Merge joins the campaigns of several shards: they must have run the same
// scenarios with the same mutants. A seed found in more than one with the
// same trace hash is kept once; with differing hashes it is an error that
// names it (a nondeterministic seed, or shards of different builds). The
// merged campaign is partial if any was, spans from the earliest start to
// the latest end, and is built again from all the results.
func Merge(cs ...*Campaign) (*Campaign, error) {
	if len(cs) == 0 {
		return nil, fmt.Errorf("%w: no campaigns to merge", ErrMerge)
	}
	first := cs[0]
	var meta Meta
	var results []SeedResult
	var reasons []string
	seen := map[string]int{} // scenario/seed -> index in results
	var end time.Time
	for i, c := range cs {
		if c == nil {
			return nil, fmt.Errorf("%w: campaign %d is nil", ErrMerge, i)
		}
		if !slices.Equal(sortedSet(c.Scenarios), sortedSet(first.Scenarios)) {
			return nil, fmt.Errorf("%w: campaign %d ran scenarios %q, campaign 0 ran %q", ErrMerge, i, c.Scenarios, first.Scenarios)
		}
		if !slices.Equal(sortedSet(c.Mutants), sortedSet(first.Mutants)) {
			return nil, fmt.Errorf("%w: campaign %d ran mutants %q, campaign 0 ran %q", ErrMerge, i, c.Mutants, first.Mutants)
		}
		for _, r := range c.Results {
			key := r.Scenario + "\x00" + strconv.FormatUint(r.Seed, 10)
			if j, ok := seen[key]; ok {
				if results[j].TraceHash != r.TraceHash {
					return nil, fmt.Errorf("%w: scenario %s seed %d has trace hash %s in one campaign and %s in campaign %d",
						ErrMerge, r.Scenario, r.Seed, results[j].TraceHash, r.TraceHash, i)
				}
				continue
			}
			seen[key] = len(results)
			results = append(results, r)
		}
		meta.Shards = append(meta.Shards, c.Shards...)
		meta.KnownProbes = append(meta.KnownProbes, c.KnownProbes...)
		meta.Rechecks = append(meta.Rechecks, c.Rechecks...)
		if c.Partial {
			meta.Partial = true
			if c.PartialReason != "" && !slices.Contains(reasons, c.PartialReason) {
				reasons = append(reasons, c.PartialReason)
			}
		}
		if !c.Started.IsZero() {
			if meta.Started.IsZero() || c.Started.Before(meta.Started) {
				meta.Started = c.Started
			}
			if e := c.Started.Add(c.Duration); e.After(end) {
				end = e
			}
		} else {
			meta.Duration = max(meta.Duration, c.Duration)
		}
	}
	if !meta.Started.IsZero() {
		meta.Duration = max(meta.Duration, end.Sub(meta.Started))
	}
	meta.Scenarios, meta.Mutants = first.Scenarios, first.Mutants
	meta.PartialReason = strings.Join(reasons, "; ")
	return Build(results, meta), nil
}

// RelativeTo returns a copy of c whose file paths (trace, history, views,
// shrunk story) are relative to dir, the directory the report will be
// written to, so that its links work when the report is opened there. The
// replay commands are unchanged: they run from the repository. A path that
// cannot be made relative is kept as it is.
func (c *Campaign) RelativeTo(dir string) *Campaign {
	out := *c
	out.Results = slices.Clone(c.Results)
	rel := func(p string) string {
		if p == "" {
			return ""
		}
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
	for i := range out.Results {
		f := &out.Results[i].Files
		f.Trace, f.History, f.Views, f.Shrunk = rel(f.Trace), rel(f.History), rel(f.Views), rel(f.Shrunk)
	}
	return &out
}

// ReplayCommand is the command that replays the trace at path, runnable
// as printed from the repository's root (path quoted for a POSIX shell
// if it needs to be).
func ReplayCommand(tracePath string) string {
	return "go run ./cmd/simrun replay " + shellQuote(tracePath)
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
