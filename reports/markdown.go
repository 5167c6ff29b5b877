package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// mdMessageLimit bounds a failure's message in the Markdown table.
const mdMessageLimit = 240

// WriteMarkdown writes c as GitHub-flavoured Markdown for a CI summary: a
// headline, a totals table, the failures with their replay commands, and
// the data of the charts as small tables.
func WriteMarkdown(w io.Writer, c *Campaign) error {
	b := bufio.NewWriter(w)
	a := &c.Aggregates
	fmt.Fprintf(b, "# syncsim campaign: %s\n\n", headline(c))
	if c.Partial {
		fmt.Fprintf(b, "> **Partial run:** %s\n\n", partialText(c))
	}
	if n := nondeterministicSeeds(c); n > 0 {
		fmt.Fprintf(b, "> **Nondeterminism:** %d seed(s) gave different trace hashes when run again — a bug in the harness's determinism, reported as a failure.\n\n", n)
	}
	fmt.Fprintf(b, "%s\n\n", mdEscape(metaLine(c)))

	b.WriteString("| total | |\n|---|---:|\n")
	row := func(name string, v any) { fmt.Fprintf(b, "| %s | %v |\n", name, v) }
	row("seeds", c.Seeds)
	for _, v := range a.ByVerdict {
		row(v.Name, v.N)
	}
	row("failures", c.Failures)
	row("determinism re-checks (matched)", fmt.Sprintf("%d (%d)", a.Rechecked, a.RecheckMatched))
	row("events", a.Events)
	row("simulated time", fmtDur(a.SimTime))
	if a.CPU > 0 {
		row("CPU time", fmtDur(a.CPU))
	}
	if c.Duration > 0 {
		row("wall time", fmtDur(c.Duration))
	}
	b.WriteString("\n")

	if c.Failures > 0 {
		b.WriteString("## Failures\n\n| scenario | seed | verdict | oracle | message | replay |\n|---|---:|---|---|---|---|\n")
		for _, r := range c.Results {
			if !r.Failed() {
				continue
			}
			fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s |\n", mdEscape(r.Scenario), r.Seed, r.Verdict,
				mdEscape(r.Oracle), mdEscape(truncate(r.Message, mdMessageLimit)), mdCode(r.Files.Replay))
		}
		b.WriteString("\n")
	}
	for _, r := range c.Nondeterministic {
		fmt.Fprintf(b, "- nondeterministic: %s seed %d: trace hash %s, then %s\n", mdEscape(r.Scenario), r.Seed, mdCode(r.First), mdCode(r.Second))
	}
	if len(c.Nondeterministic) > 0 {
		b.WriteString("\n")
	}

	mdCounts(b, "Failures by oracle", "oracle", a.FailuresByOracle)
	mdCounts(b, "Faults injected", "kind", a.FaultsByKind)
	if len(a.Resets) > 0 {
		b.WriteString("## Client resets\n\n| cause | mode | outcome | resets |\n|---|---|---|---:|\n")
		for _, r := range a.Resets {
			fmt.Fprintf(b, "| %s | %s | %s | %d |\n", mdEscape(r.Cause), mdEscape(r.Mode), mdEscape(r.Outcome), r.N)
		}
		b.WriteString("\n")
	}
	mdCounts(b, "Writes by accounting bucket", "bucket", a.WritesByBucket)

	cv := a.Converge
	b.WriteString("## Time to converge\n\n")
	if cv.Converged == 0 {
		fmt.Fprintf(b, "No seed measured it (did not converge: %d, not measured: %d).\n\n", cv.NotConverged, cv.NotMeasured)
	} else {
		b.WriteString("| converged | did not converge | p50 | p90 | p99 | max |\n|---:|---:|---:|---:|---:|---:|\n")
		fmt.Fprintf(b, "| %d | %d | %s | %s | %s | %s |\n\n", cv.Converged, cv.NotConverged, fmtDur(cv.P50), fmtDur(cv.P90), fmtDur(cv.P99), fmtDur(cv.Max))
		b.WriteString("| time to converge | seeds |\n|---|---:|\n")
		for _, h := range cv.Histogram {
			if h.N == 0 {
				continue // a small table: the chart of report.html shows the gaps
			}
			fmt.Fprintf(b, "| %s | %d |\n", bucketLabel(h), h.N)
		}
		b.WriteString("\n")
	}

	b.WriteString("## Probes\n\n")
	switch {
	case len(c.KnownProbes) == 0 && len(a.ProbesHit) == 0:
		b.WriteString("No probes registered.\n\n")
	default:
		if len(a.ProbesHit) > 0 {
			b.WriteString("| probe | hits |\n|---|---:|\n")
			for _, p := range a.ProbesHit {
				fmt.Fprintf(b, "| %s | %d |\n", mdEscape(p.Name), p.N)
			}
			b.WriteString("\n")
		}
		if len(a.ProbesNeverHit) > 0 {
			fmt.Fprintf(b, "Never hit (%d of %d): %s\n\n", len(a.ProbesNeverHit), len(c.KnownProbes), mdEscape(strings.Join(a.ProbesNeverHit, ", ")))
		} else {
			b.WriteString("Every registered probe was hit.\n\n")
		}
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("reports: writing the Markdown report: %w", err)
	}
	return nil
}

func mdCounts(b *bufio.Writer, title, col string, xs []NameCount) {
	if len(xs) == 0 {
		return
	}
	fmt.Fprintf(b, "## %s\n\n| %s | n |\n|---|---:|\n", title, col)
	for _, x := range xs {
		fmt.Fprintf(b, "| %s | %d |\n", mdEscape(x.Name), x.N)
	}
	b.WriteString("\n")
}

// mdEscape makes s safe inside a Markdown table cell: one line, no raw
// HTML, no column separators, no emphasis.
func mdEscape(s string) string {
	return strings.NewReplacer(
		"\r\n", " ", "\n", " ", "\r", " ",
		"|", `\|`, "<", "&lt;", ">", "&gt;", "&", "&amp;",
		"*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
	).Replace(s)
}

// mdCode is s as a code span ("" stays empty).
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("\n", " ", "|", `\|`).Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if fence != "`" {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// headline is PASS or FAIL, with "(partial)" if the campaign stopped early.
func headline(c *Campaign) string {
	h := "FAIL"
	if c.Pass() {
		h = "PASS"
	}
	if c.Partial {
		h += " (partial)"
	}
	return fmt.Sprintf("%s — %d seeds, %d failures", h, c.Seeds, c.Failures)
}

func partialText(c *Campaign) string {
	s := "the campaign stopped before all its seeds ran"
	if c.PartialReason != "" {
		s += " (" + c.PartialReason + ")"
	}
	return s + fmt.Sprintf("; this partial report covers the %d seeds that finished.", c.Seeds)
}

// nondeterministicSeeds counts the seeds whose re-run differed.
func nondeterministicSeeds(c *Campaign) int {
	n := len(c.Nondeterministic)
	for _, r := range c.Results {
		if r.Verdict == VerdictNondeterministic && !recheckedBad(c, r) {
			n++
		}
	}
	return n
}

func recheckedBad(c *Campaign, r SeedResult) bool {
	for _, rc := range c.Nondeterministic {
		if rc.Scenario == r.Scenario && rc.Seed == r.Seed {
			return true
		}
	}
	return false
}

// metaLine says what ran: scenarios, mutants, shards, start and duration.
func metaLine(c *Campaign) string {
	parts := []string{"scenarios: " + orNone(strings.Join(c.Scenarios, ", ")), "mutants: " + orNone(strings.Join(c.Mutants, ", "))}
	if len(c.Shards) > 0 {
		parts = append(parts, "shards: "+strings.Join(c.Shards, ", "))
	}
	if !c.Started.IsZero() {
		parts = append(parts, "started "+c.Started.Format(time.RFC3339))
	}
	if c.Duration > 0 {
		parts = append(parts, "took "+fmtDur(c.Duration))
	}
	return strings.Join(parts, " · ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// truncate cuts s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// fmtDur formats d with about three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d == DidNotConverge:
		return "did not converge"
	case d == NotMeasured:
		return "not measured"
	case d == OpenEnd:
		return "∞"
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d >= time.Microsecond:
		return d.Round(10 * time.Nanosecond).String()
	}
	return d.String()
}

// bucketLabel names a histogram bucket.
func bucketLabel(h HistBucket) string {
	switch {
	case h.Hi == OpenEnd:
		return "≥ " + fmtDur(h.Lo)
	case h.Lo == 0:
		return "< " + fmtDur(h.Hi)
	}
	return fmtDur(h.Lo) + "–" + fmtDur(h.Hi)
}
