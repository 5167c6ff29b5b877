package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// htmlMessageLimit bounds a failure's message in the table; the whole text
// is in a <details> beneath.
const htmlMessageLimit = 200

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"dur": fmtDur,
}).Parse(htmlSource))

// htmlView is what the HTML template renders.
type htmlView struct {
	C           *Campaign
	Headline    string
	Pass        bool
	Partial     string
	Nondet      int
	Meta        string
	TotalsText  [][2]string
	Charts      []chartView
	Probes      chartView
	NeverHit    []string
	NoProbes    bool
	Failures    []failureView
	Mismatches  []Recheck
	Rechecked   int
	RecheckedOK int
}

type chartView struct {
	Title string
	Note  string
	SVG   template.HTML
	Empty string // said instead of a chart with nothing to show
	Table []ResetCount
}

type failureView struct {
	R        SeedResult
	Short    string
	Long     bool
	Timeline template.HTML
}

// WriteHTML writes c as one self-contained HTML page (inline CSS and SVG,
// no script, no external resource), readable offline: a headline, charts
// of the aggregates, the failures with links to their files and their
// replay commands, and each failing seed's fault timeline. Links are the
// paths of the model (see Campaign.RelativeTo).
func WriteHTML(w io.Writer, c *Campaign) error {
	a := &c.Aggregates
	v := htmlView{
		C: c, Headline: headline(c), Pass: c.Pass(), Nondet: nondeterministicSeeds(c), Meta: metaLine(c),
		Mismatches: c.Nondeterministic, Rechecked: a.Rechecked, RecheckedOK: a.RecheckMatched,
		NeverHit: a.ProbesNeverHit, NoProbes: len(c.KnownProbes) == 0 && len(a.ProbesHit) == 0,
	}
	if c.Partial {
		v.Partial = partialText(c)
	}
	v.TotalsText = append(v.TotalsText, [2]string{"seeds", fmt.Sprint(c.Seeds)})
	for _, x := range a.ByVerdict {
		v.TotalsText = append(v.TotalsText, [2]string{x.Name, fmt.Sprint(x.N)})
	}
	v.TotalsText = append(v.TotalsText,
		[2]string{"re-checks matched", fmt.Sprintf("%d/%d", a.RecheckMatched, a.Rechecked)},
		[2]string{"events", fmt.Sprint(a.Events)},
		[2]string{"simulated", fmtDur(a.SimTime)})
	if a.CPU > 0 {
		v.TotalsText = append(v.TotalsText, [2]string{"CPU", fmtDur(a.CPU)})
	}
	if c.Duration > 0 {
		v.TotalsText = append(v.TotalsText, [2]string{"wall", fmtDur(c.Duration)})
	}

	cv := a.Converge
	ttc := chartView{Title: "Time to converge", Empty: "No seed measured a time to converge."}
	if cv.Converged+cv.NotConverged > 0 {
		ttc.SVG = histogram(cv)
		ttc.Note = fmt.Sprintf("%d converged, %d did not converge · p50 %s · p90 %s · p99 %s · max %s",
			cv.Converged, cv.NotConverged, fmtDur(cv.P50), fmtDur(cv.P90), fmtDur(cv.P99), fmtDur(cv.Max))
	}
	if cv.NotMeasured > 0 {
		ttc.Note = strings.TrimPrefix(ttc.Note+fmt.Sprintf(" · %d not measured", cv.NotMeasured), " · ")
	}
	resets := chartView{Title: "Client resets by cause and mode", Empty: "No client reset.", Table: a.Resets}
	if len(a.Resets) > 0 {
		resets.SVG = resetBars(a.Resets)
		n := 0
		for _, r := range a.Resets {
			n += r.N
		}
		resets.Note = fmt.Sprintf("%d resets; hover a segment for its outcomes", n)
	}
	writes := chartView{Title: "Writes by accounting bucket", Empty: "No write was judged."}
	if len(a.WritesByBucket) > 0 {
		writes.SVG = countBars("writes by accounting bucket", a.WritesByBucket, bucketColour)
	}
	faults := chartView{Title: "Faults injected by kind", Empty: "No fault was injected."}
	if len(a.FaultsByKind) > 0 {
		faults.SVG = countBars("faults injected by kind", a.FaultsByKind, nil)
		faults.Note = "in how many seeds: " + joinCounts(a.SeedsWithFault)
	}
	failures := chartView{Title: "Failures by oracle", Empty: "No failure."}
	if len(a.FailuresByOracle) > 0 {
		failures.SVG = countBars("failing seeds by oracle", a.FailuresByOracle, oneColour(bucketColours["lost"]))
	}
	v.Charts = []chartView{ttc, failures, resets, writes, faults}
	v.Probes = chartView{Title: "Probes", Empty: "No probe was hit."}
	if len(a.ProbesHit) > 0 {
		v.Probes.SVG = countBars("probe hits", a.ProbesHit, oneColour(palette[3]))
	}

	for _, r := range c.Results {
		if !r.Failed() {
			continue
		}
		f := failureView{R: r, Short: truncate(r.Message, htmlMessageLimit)}
		f.Long = f.Short != r.Message
		if len(r.Timeline) > 0 {
			f.Timeline = timeline(r)
		}
		v.Failures = append(v.Failures, f)
	}
	if err := htmlTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("reports: writing the HTML report: %w", err)
	}
	return nil
}

// joinCounts is "a 3, b 1".
func joinCounts(xs []NameCount) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%s %d", x.Name, x.N)
	}
	return strings.Join(s, ", ")
}
