package oracle

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/syncsim/syncsim/history"
)

// Oracle names an oracle in a Report.
type Oracle string

// The oracles Check runs, in the order of Report.Verdicts.
const (
	OracleSyncLog     Oracle = "sync-log"
	OracleVisibility  Oracle = "visibility"
	OracleConvergence Oracle = "convergence"
	OracleAccounting  Oracle = "write-accounting"
	OracleSessions    Oracle = "session-guarantees"
	OracleResets      Oracle = "client-reset"
)

// DefaultTimeout is the wall-clock limit of one porcupine check when
// Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Options tune Check.
type Options struct {
	// Timeout limits each porcupine check (one per realm and model) in
	// wall-clock time; 0 means DefaultTimeout. A check that runs out of
	// time is a failure (undecided is not a pass).
	Timeout time.Duration
	// ViewDir is where porcupine's HTML view of each linearizability
	// failure is written; "" writes none.
	ViewDir string
}

// Verdict is one oracle's judgement of a history.
type Verdict struct {
	Oracle   Oracle   `json:"oracle"`
	Pass     bool     `json:"pass"`
	TimedOut bool     `json:"timedOut,omitempty"` // a check ran out of time: a failure
	Skipped  bool     `json:"skipped,omitempty"`  // nothing to judge was recorded
	Failures []string `json:"failures,omitempty"`
	Views    []string `json:"views,omitempty"` // HTML views written for the failures
}

// Report is every oracle's verdict on a history.
type Report struct {
	Verdicts []Verdict `json:"verdicts"`
	// TimeToConverge is the virtual time (ns) from heal until the last live
	// replica converged; see ConvergenceResult.
	TimeToConverge int64              `json:"timeToConverge"`
	Convergence    *ConvergenceResult `json:"convergence,omitempty"`
	// Accounting counts the writes per bucket (see CheckAccounting).
	Accounting *AccountingResult `json:"accounting,omitempty"`
}

// Pass reports whether every oracle passed.
func (r *Report) Pass() bool {
	for _, v := range r.Verdicts {
		if !v.Pass {
			return false
		}
	}
	return true
}

// ErrViews marks an error of Check writing a porcupine view: the report is
// complete all the same.
var ErrViews = errors.New("oracle: writing a view")

// ErrConvicted marks a history that an oracle convicted (Report.Err).
var ErrConvicted = errors.New("oracle")

// Err is nil if every oracle passed; otherwise it names the first oracle
// that failed and its failures, as "oracle: NAME: failure; failure", and
// wraps ErrConvicted.
func (r *Report) Err() error {
	for _, v := range r.Verdicts {
		if !v.Pass {
			return fmt.Errorf("%w: %s: %s", ErrConvicted, v.Oracle, strings.Join(v.Failures, "; "))
		}
	}
	return nil
}

// Verdict returns the verdict of oracle o.
func (r *Report) Verdict(o Oracle) (Verdict, bool) {
	for _, v := range r.Verdicts {
		if v.Oracle == o {
			return v, true
		}
	}
	return Verdict{}, false
}

// Check runs every oracle on h. A malformed history is an error, not a
// verdict. The report is complete even when writing a view fails; the
// error then says which.
func Check(h *history.History, opts Options) (Report, error) {
	if err := h.Validate(); err != nil {
		return Report{}, fmt.Errorf("oracle: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	syncV := Verdict{Oracle: OracleSyncLog, Pass: true}
	visV := Verdict{Oracle: OracleVisibility, Pass: true}
	acc, sess := newAccountingResult(), SessionResult{Pass: true}
	var errs []error
	for i, rh := range h.ByRealm() {
		if len(rh.History.Writes) > 0 || len(rh.History.Reads) > 0 {
			l := newLineage(rh.History)
			acc.add(rh, l)
			sess.add(rh, l)
		}
		ops, lanes := syncLogOps(rh.History)
		errs = append(errs, linCheck{
			oracle: OracleSyncLog, realm: rh.Realm, index: i,
			model: syncLogModel(), ops: ops, explain: explainSync,
			annotations: inSlots(annotations(rh.History, lanes)),
		}.run(&syncV, opts))
		ops, lanes = visibilityOps(rh.History)
		errs = append(errs, linCheck{
			oracle: OracleVisibility, realm: rh.Realm, index: i,
			model: visibilityModel(), ops: ops, explain: explainVisibility,
			annotations: annotations(rh.History, lanes),
		}.run(&visV, opts))
	}
	rep := Report{Verdicts: []Verdict{syncV, visV}}
	convV := Verdict{Oracle: OracleConvergence, Pass: true, Skipped: h.Convergence == nil}
	if h.Convergence != nil {
		res := CheckConvergence(h.Convergence)
		convV.Pass, convV.Failures = res.Pass, res.Failures
		rep.TimeToConverge, rep.Convergence = res.TimeToConverge, &res
	}
	resets := CheckResets(h)
	rep.Verdicts = append(rep.Verdicts, convV,
		Verdict{Oracle: OracleAccounting, Pass: acc.Pass, Skipped: acc.Judged == 0, Failures: acc.Failures},
		Verdict{Oracle: OracleSessions, Pass: sess.Pass, Skipped: sess.Judged == 0, Failures: sess.Failures},
		Verdict{Oracle: OracleResets, Pass: resets.Pass, Skipped: resets.Judged == 0, Failures: resets.Failures})
	if acc.Judged > 0 {
		rep.Accounting = &acc
	}
	return rep, errors.Join(errs...)
}

// linCheck is one porcupine check: one oracle's model on one realm.
type linCheck struct {
	oracle      Oracle
	realm       string
	index       int // the realm's place in the history, for the view's file name
	model       porcupine.Model
	ops         []porcupine.Operation
	explain     func(prefix []porcupine.Operation, op porcupine.Operation) string
	annotations []porcupine.Annotation
}

// run checks and records the outcome in v: a failure with an explanation
// of where the history stops being linearizable, and its HTML view.
func (c linCheck) run(v *Verdict, opts Options) error {
	if len(c.ops) == 0 {
		return nil
	}
	res, info := porcupine.CheckOperationsVerbose(c.model, c.ops, opts.Timeout)
	if res == porcupine.Ok {
		return nil
	}
	v.Pass = false
	if res == porcupine.Unknown {
		v.TimedOut = true
		v.Failures = append(v.Failures, fmt.Sprintf("realm %s: the check did not finish within %v: undecided, reported as a failure", c.realm, opts.Timeout))
	} else {
		v.Failures = append(v.Failures, fmt.Sprintf("realm %s: not linearizable: %s", c.realm, c.hint(info)))
	}
	if opts.ViewDir == "" {
		return nil
	}
	info.AddAnnotations(c.annotations)
	path := filepath.Join(opts.ViewDir, fmt.Sprintf("%s-%03d-%s.html", c.oracle, c.index, fileSafe(c.realm)))
	err := writeFileAtomic(path, func(w io.Writer) error { return porcupine.Visualize(c.model, info, w) })
	if err != nil {
		return fmt.Errorf("%w: %s view of realm %s: %w", ErrViews, c.oracle, c.realm, err)
	}
	v.Views = append(v.Views, path)
	return nil
}

// hint says, for each partition porcupine could not linearize (at most
// three), how far it got and why the next operation cannot follow.
func (c linCheck) hint(info porcupine.LinearizationInfo) string {
	parts := [][]porcupine.Operation{c.ops}
	if c.model.Partition != nil {
		parts = c.model.Partition(c.ops)
	}
	partials := info.PartialLinearizations()
	var hints []string
	for p, part := range parts {
		if p >= len(partials) || len(hints) == 3 {
			break
		}
		longest := longestLinearization(partials[p])
		if len(longest) == len(part) {
			continue
		}
		prefix := make([]porcupine.Operation, len(longest))
		done := make([]bool, len(part))
		for i, id := range longest {
			prefix[i], done[id] = part[id], true
		}
		// The operations left that could come next (called before the
		// first of them must return): none can follow the prefix.
		deadline := history.Infinite
		for id := range part {
			if !done[id] {
				deadline = min(deadline, part[id].Return)
			}
		}
		var whys []string
		for id, op := range part {
			if !done[id] && op.Call <= deadline && len(whys) < 3 {
				if why := c.explain(prefix, op); why != "" {
					whys = append(whys, fmt.Sprintf("[%s]: %s", c.model.DescribeOperation(op.Input, op.Output), why))
				}
			}
		}
		hint := fmt.Sprintf("%d of %d operations linearize, then none can follow", len(longest), len(part))
		if len(whys) > 0 {
			hint += ": " + strings.Join(whys, "; ")
		}
		hints = append(hints, hint)
	}
	if len(hints) == 0 {
		return "porcupine found no linearization"
	}
	return strings.Join(hints, "; ")
}

// longestLinearization picks the longest partial linearization (the
// lexicographically least of equals, so the choice is deterministic).
func longestLinearization(ls [][]int) []int {
	var best []int
	for _, l := range ls {
		if len(l) > len(best) || (len(l) == len(best) && slices.Compare(l, best) < 0) {
			best = l
		}
	}
	return best
}

// annotations marks a realm's faults, harness operations and client resets
// on porcupine's view; lanes are the view's client lanes.
func annotations(h *history.History, lanes []string) []porcupine.Annotation {
	const faultColor, serverColor, resetColor = "#fde2e2", "#dbeafe", "#fff3cd"
	var out []porcupine.Annotation
	for _, f := range h.Faults {
		out = append(out, porcupine.Annotation{Tag: "faults", Start: f.At,
			Description: "fault: " + f.Kind + " " + f.Target, Details: f.Detail, BackgroundColor: faultColor})
	}
	server := func(at int64, desc string) {
		out = append(out, porcupine.Annotation{Tag: "server", Start: at, Description: desc, BackgroundColor: serverColor})
	}
	for _, b := range h.Backups {
		server(b.At, fmt.Sprintf("backup %d", b.ID))
	}
	for _, r := range h.Restores {
		server(r.At, fmt.Sprintf("restore to backup %d", r.Backup))
	}
	for _, t := range h.Terminates {
		server(t.At, "terminate and re-enable")
	}
	for _, c := range h.Compactions {
		server(c.At, fmt.Sprintf("compaction: horizon %d (maximum offline time %d)", c.Horizon(), c.MaxOffline))
	}
	for _, r := range h.Resets {
		discarded := "nothing"
		if len(r.Discarded) > 0 {
			discarded = idsString(sortedIDs(r.Discarded))
		}
		out = append(out, porcupine.Annotation{ClientId: slices.Index(lanes, r.Client), Start: cmp.Or(r.Asked, r.Call), End: r.Return,
			Description:     fmt.Sprintf("client reset (%s) → %s", r.Mode, r.Outcome),
			Details:         fmt.Sprintf("code %s; file %d → %d; discarded %s", r.Code, r.OldFile, r.NewFile, discarded),
			BackgroundColor: resetColor})
	}
	return out
}

// fileSafe makes a realm path usable in a file name.
func fileSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// writeFileAtomic writes a file through a temporary file in the same
// directory and a rename, so no reader sees half of it.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
