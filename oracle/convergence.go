package oracle

import (
	"fmt"
	"maps"
	"slices"

	"github.com/syncsim/syncsim/history"
)

// ConvergenceResult is the verdict of the convergence oracle (DESIGN §5):
// after heal, before the deadline, every live replica's canonical state
// equals the server's.
type ConvergenceResult struct {
	Pass     bool
	Failures []string
	// TimeToConverge is the virtual time from heal until the last live
	// replica reached the server's state (0 if all had at heal), over the
	// replicas that converged.
	TimeToConverge int64
	PerRealm       []RealmConvergence
}

// RealmConvergence is one realm's part of a ConvergenceResult.
type RealmConvergence struct {
	Realm          string
	Pass           bool
	TimeToConverge int64
	Live           int // replicas that had to converge
}

// CheckConvergence judges c.
func CheckConvergence(c *history.Convergence) ConvergenceResult {
	res := ConvergenceResult{Pass: true}
	server := map[string]string{}
	realms := map[string]*RealmConvergence{}
	realm := func(name string) *RealmConvergence {
		if realms[name] == nil {
			realms[name] = &RealmConvergence{Realm: name, Pass: true}
		}
		return realms[name]
	}
	for _, s := range c.Servers {
		server[s.Realm] = s.Hash
		realm(s.Realm)
	}
	for _, r := range c.Replicas {
		rc := realm(r.Realm)
		if !r.Live {
			continue
		}
		rc.Live++
		want, ok := server[r.Realm]
		var failure string
		switch {
		case !ok:
			failure = fmt.Sprintf("replica %s of realm %s: the server has no final state of the realm", r.Client, r.Realm)
		case r.Hash != want:
			failure = fmt.Sprintf("replica %s of realm %s ended at state %s, the server at %s", r.Client, r.Realm, r.Hash, want)
		case r.ReachedAt == history.Infinite:
			failure = fmt.Sprintf("replica %s of realm %s ended at the server's state but no time of reaching it was recorded", r.Client, r.Realm)
		case r.ReachedAt > c.Deadline:
			failure = fmt.Sprintf("replica %s of realm %s reached the server's state at %d, after the deadline %d", r.Client, r.Realm, r.ReachedAt, c.Deadline)
		}
		if failure != "" {
			rc.Pass, res.Pass = false, false
			res.Failures = append(res.Failures, failure)
			continue
		}
		t := max(0, r.ReachedAt-c.HealAt)
		rc.TimeToConverge = max(rc.TimeToConverge, t)
		res.TimeToConverge = max(res.TimeToConverge, t)
	}
	for _, name := range slices.Sorted(maps.Keys(realms)) {
		res.PerRealm = append(res.PerRealm, *realms[name])
	}
	return res
}
