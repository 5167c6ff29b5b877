package reports

import (
	"strings"
	"time"

	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/oracle"
)

// FromHistory fills r's FaultsByKind, Resets and Timeline from what the
// run recorded (h may be nil: nothing is filled).
func FromHistory(r *SeedResult, h *history.History) {
	if h == nil {
		return
	}
	for _, f := range h.Faults {
		if r.FaultsByKind == nil {
			r.FaultsByKind = map[string]int{}
		}
		r.FaultsByKind[f.Kind]++
		target := f.Target
		if f.Realm != "" {
			target = strings.TrimPrefix(target+" "+f.Realm, " ")
		}
		r.Timeline = append(r.Timeline, TimelineEvent{At: time.Duration(f.At), Kind: f.Kind, Target: target})
	}
	for _, x := range h.Resets {
		r.Resets = append(r.Resets, ResetCount{Cause: string(x.Code), Mode: string(x.Mode), Outcome: string(x.Outcome), N: 1})
	}
	n := normalise(*r)
	r.Resets, r.Timeline = n.Resets, n.Timeline
}

// FromReport fills r's WritesByBucket and TimeToConverge from the oracles'
// report (rep may be nil: the time to converge is then NotMeasured). If
// the report convicts the run and r does not already say why it failed
// (its Verdict is "" or pass), r becomes a failure of the first oracle
// that failed, with its failures as the message.
func FromReport(r *SeedResult, rep *oracle.Report) {
	r.TimeToConverge = NotMeasured
	if rep == nil {
		return
	}
	if a := rep.Accounting; a != nil {
		for b, n := range a.Buckets {
			if n == 0 {
				continue
			}
			if r.WritesByBucket == nil {
				r.WritesByBucket = map[string]int{}
			}
			r.WritesByBucket[string(b)] += n
		}
	}
	if c := rep.Convergence; c != nil {
		if c.Pass {
			r.TimeToConverge = time.Duration(c.TimeToConverge)
		} else {
			r.TimeToConverge = DidNotConverge
		}
	}
	if r.Verdict != "" && r.Verdict != VerdictPass {
		return
	}
	r.Verdict = VerdictPass
	for _, v := range rep.Verdicts {
		if !v.Pass {
			r.Verdict, r.Oracle, r.Message = VerdictFail, string(v.Oracle), strings.Join(v.Failures, "; ")
			if v.TimedOut {
				r.Verdict = VerdictTimeout
			}
			return
		}
	}
}

// FromJudged fills r from the recorded history and the oracles' report:
// FromHistory, then FromReport.
func FromJudged(r *SeedResult, h *history.History, rep *oracle.Report) {
	FromHistory(r, h)
	FromReport(r, rep)
}
