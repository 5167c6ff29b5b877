package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/syncsim/syncsim/reports"
)

// reportUsage is the synopsis of simrun report.
const reportUsage = "simrun report [--out DIR] DIR..."

// reportFiles are the reports a campaign writes, and their renderers.
var reportFiles = []struct {
	name  string
	write func(io.Writer, *reports.Campaign) error
}{
	{"summary.json", reports.WriteJSON},
	{"report.html", reports.WriteHTML},
	{"report.md", reports.WriteMarkdown},
	{"junit.xml", reports.WriteJUnit},
}

// writeReports renders c into dir, each file atomically and 0644. The
// file paths in every report, summary.json included, are relative to dir,
// so that the directory can be moved (an artifact, a volume) and its
// links still work; the replay commands stay as printed, from the
// repository's root.
func writeReports(dir string, c *reports.Campaign) error {
	rel := c.RelativeTo(dir)
	for _, f := range reportFiles {
		var b bytes.Buffer
		if err := f.write(&b, rel); err != nil {
			return fmt.Errorf("rendering %s: %w", f.name, err)
		}
		if err := writeAtomic(filepath.Join(dir, f.name), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// reportList names the reports written into dir.
func reportList(dir string) string {
	var names []string
	for _, f := range reportFiles {
		names = append(names, filepath.Join(dir, f.name))
	}
	return strings.Join(names, " ")
}

// cmdReport reads each DIR/summary.json, merges them (the shards of one
// campaign, or campaigns of the same scenarios and mutants) and renders
// the four reports into --out.
func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: "+reportUsage)
		fs.PrintDefaults()
	}
	out := fs.String("out", "", "write the merged reports into `DIR` (default: the one DIR given; required with several)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	dirs := fs.Args()
	switch {
	case len(dirs) == 0:
		return fmt.Errorf("%w: report takes one or more campaign directories (each with a summary.json): %s", errUsage, reportUsage)
	case *out == "" && len(dirs) > 1:
		return fmt.Errorf("%w: report of %d directories needs --out DIR for the merged reports", errUsage, len(dirs))
	case *out == "":
		*out = dirs[0]
	}
	var cs []*reports.Campaign
	for _, dir := range dirs {
		c, err := readCampaign(dir)
		if err != nil {
			return err
		}
		cs = append(cs, c)
	}
	merged, err := reports.Merge(cs...)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("%w: --out %s: %w", errUsage, *out, err)
	}
	if err := writeReports(*out, merged); err != nil {
		return fmt.Errorf("%w: --out %s: %w", errUsage, *out, err)
	}
	partial := ""
	if merged.Partial {
		partial = "; PARTIAL: " + merged.PartialReason
	}
	fmt.Fprintf(stdout, "%d campaign(s): %d seeds, %d failed%s\n  reports: %s\n", len(cs), merged.Seeds, merged.Failures, partial, reportList(*out))
	if !merged.Pass() {
		return fmt.Errorf("%w: %d of %d seeds failed (%s)", errFound, merged.Failures, merged.Seeds, filepath.Join(*out, "report.html"))
	}
	return nil
}

// readCampaign reads dir/summary.json, its file paths made relative to
// the working directory again (the summary keeps them relative to dir).
func readCampaign(dir string) (*reports.Campaign, error) {
	path := filepath.Join(dir, "summary.json")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	defer f.Close()
	c, err := reports.ReadSummary(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errUsage, path, err)
	}
	rebase := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, filepath.FromSlash(p))
	}
	for i := range c.Results {
		fl := &c.Results[i].Files
		fl.Trace, fl.History, fl.Views, fl.Shrunk = rebase(fl.Trace), rebase(fl.History), rebase(fl.Views), rebase(fl.Shrunk)
	}
	return c, nil
}
