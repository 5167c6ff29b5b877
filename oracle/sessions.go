package oracle

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/syncsim/syncsim/history"
)

// Session guarantees (DESIGN §5), per client and field, from its Reads:
//
//   - read-your-writes: a read returns the value of the client's latest own
//     update of the field committed before it, unless the replica had by
//     then integrated something that may override it: an update of the
//     field that may beat it (made on top of it, or concurrent with a higher
//     discriminant — a client's own write may lose to a concurrent one it
//     downloads later), an AddInteger on the field, an erase of the object
//     (or of a link value's target) not made before it;
//   - monotonic reads: once a read returned a value, a later read does not
//     return an older one: a violation is a pair of reads whose values came
//     from writes (any the replica may have integrated that wrote that
//     value) such that every candidate for the earlier read's value surely
//     beats every candidate for the later one's. Reads of a value no
//     integrated update wrote (a default, a counter's sum) are not judged,
//     nor fields that counter adds touch.
//
// What the replica may have integrated by a time: its own writes committed
// by then (a write an unsynced-recovering reset replayed stays its own, in
// the recovery changeset: such a reset waives nothing), every changeset of
// a DOWNLOAD it received by then, and everything made before a server-made
// changeset (origin file 0, a snapshot) it received.
//
// Both are waived across a reset that discarded local changes (or went
// manual), a restore from backup of the realm (which rolls back on every
// replica), and a compensating write on the object; monotonic reads also
// across the replica's integrating an erase of the object (it may come
// back with other values).

// SessionResult is the verdict of the session-guarantees oracle.
type SessionResult struct {
	Pass     bool
	Failures []string
	Judged   int // reads judged
}

// CheckSessions judges every read of h.
func CheckSessions(h *history.History) SessionResult {
	res := SessionResult{Pass: true}
	for _, rh := range h.ByRealm() {
		res.add(rh, nil)
	}
	return res
}

// add judges one realm's reads; l is its lineage (nil: built here).
func (res *SessionResult) add(rh history.RealmHistory, l *lineage) {
	if len(rh.History.Reads) == 0 {
		return
	}
	if l == nil {
		l = newLineage(rh.History)
	}
	s := &sessions{lineage: l}
	if fails := s.check(res); len(fails) > 0 {
		res.Pass = false
		res.Failures = append(res.Failures, realmFailures(rh.Realm, fails, "violations")...)
	}
}

type sessions struct {
	*lineage
	own    map[fieldKey][]effectRef // client's own updates of a field (their first incarnation), by commit
	values map[valueKey][]effectRef // every update of a field to a value, of every incarnation
}

type fieldKey struct{ client, object, field string }

type valueKey struct{ object, field, value string }

func (s *sessions) check(res *SessionResult) []string {
	s.own, s.values = map[fieldKey][]effectRef{}, map[valueKey][]effectRef{}
	for _, w := range s.writes { // by Call: a replica commits one write at a time
		for _, inc := range s.fates[w.ID].incs {
			for i, e := range w.Fields {
				if e.Op != history.EffectSet || supersededInWrite(w, i) {
					continue
				}
				s.values[valueKey{e.Object, e.Field, e.Value}] = append(s.values[valueKey{e.Object, e.Field, e.Value}], effectRef{inc, i})
				if inc == s.fates[w.ID].incs[0] {
					k := fieldKey{w.Client, e.Object, e.Field}
					s.own[k] = append(s.own[k], effectRef{inc, i})
				}
			}
		}
	}
	keys := map[fieldKey][]*history.Read{}
	var order []fieldKey
	for i := range s.h.Reads {
		r := &s.h.Reads[i]
		k := fieldKey{r.Client, r.Object, r.Field}
		if keys[k] == nil {
			order = append(order, k)
		}
		keys[k] = append(keys[k], r)
	}
	var fails []string
	for _, k := range order {
		reads := keys[k]
		slices.SortStableFunc(reads, func(a, b *history.Read) int { return cmp.Compare(a.Call, b.Call) })
		res.Judged += len(reads)
		for _, r := range reads {
			if why := s.readYourWrites(r); why != "" {
				fails = append(fails, why)
			}
		}
		fails = append(fails, s.monotonic(k, reads)...)
	}
	return fails
}

// waived reports whether something between from and to waives the
// guarantees for client's reads of object: a reset that discarded (or went
// manual), a restore, a compensating write on the object (the client's
// own, or another's that may have reached it).
func (s *sessions) waived(client, object string, from, to int64) bool {
	for _, r := range s.resets[client] {
		if (r.Outcome == history.ResetDiscarded || r.Outcome == history.ResetManual) && r.Return > from && r.Call <= to {
			return true
		}
	}
	for _, r := range s.restores {
		if r.At > from && r.At <= to {
			return true
		}
		// A write made on a replica that had not yet learnt of an earlier
		// restore is replayed by the reset that tells it, on the restored
		// state (which may lack its object).
		if r.At <= from && s.learns(client, r.At, from, to) {
			return true
		}
	}
	for _, r := range s.h.Reverts {
		if r.Object != object {
			continue
		}
		if r.Client == client && r.At > from && r.At <= to {
			return true
		}
		// Another client's write reverted: the compensating write, a
		// server-made changeset, may reach this client too (reverting a
		// create erases the object).
		if s.snapBetween(client, from, to) {
			return true
		}
	}
	return false
}

// learns reports whether client's first reset after a restore at
// restored began after from and by to.
func (s *sessions) learns(client string, restored, from, to int64) bool {
	for _, r := range s.resets[client] {
		if r.Call >= restored {
			return r.Call > from && r.Call <= to
		}
	}
	return false
}

// readYourWrites checks r against its client's latest own update of the
// field before it; "" if it holds.
func (s *sessions) readYourWrites(r *history.Read) string {
	writes := s.own[fieldKey{r.Client, r.Object, r.Field}]
	n, _ := slices.BinarySearchFunc(writes, r.Call, func(e effectRef, t int64) int {
		return cmp.Compare(e.inc.write.Return, t+1)
	})
	if n == 0 {
		return ""
	}
	own := &writes[n-1]
	w, e := own.inc.write, own.fv()
	if r.Value == e.Value || s.waived(r.Client, r.Object, w.Call, r.Return) ||
		(e.Link != "" && s.waived(r.Client, e.Link, w.Call, r.Return)) { // a compensating write may erase the target
		return ""
	}
	// The incarnation of w the replica held when it read.
	inc := own.inc
	for _, c := range s.fates[w.ID].incs {
		if c.made <= r.Return {
			inc = c
		}
	}
	later := func(x effectRef) bool {
		if x.inc.write == w {
			return x.i > own.i
		}
		return s.maybe(r.Client, x.inc, r.Return) && !s.surelyBefore(x.inc, inc)
	}
	for _, target := range []string{r.Object, e.Link} {
		for _, x := range s.byObject[target] {
			if x.fv().Op == history.EffectErase && later(x) {
				return ""
			}
		}
	}
	for _, x := range s.byObject[r.Object] {
		g := x.fv()
		if g.Field != r.Field || x.inc.write == w {
			continue
		}
		switch g.Op {
		case history.EffectSet:
			if s.maybe(r.Client, x.inc, r.Return) && s.mayBeat(g, x.inc, e, inc) {
				return ""
			}
		case history.EffectAdd:
			if later(x) {
				return ""
			}
		}
	}
	return fmt.Sprintf("read-your-writes: %s read %s.%s = %s at %d, after its own write %d set it to %s at %d, and it had integrated nothing that may override that",
		r.Client, r.Object, r.Field, readValue(r.Value), r.Call, w.ID, e.Value, w.Return)
}

func readValue(v string) string {
	if v == "" {
		return "(no object)"
	}
	return v
}

// candidates are the updates that may have produced value v of the field
// for client by time t.
func (s *sessions) candidates(k fieldKey, v string, t int64) []effectRef {
	var out []effectRef
	for _, x := range s.values[valueKey{k.object, k.field, v}] {
		if s.maybe(k.client, x.inc, t) {
			out = append(out, x)
		}
	}
	return out
}

// monotonic checks one client's reads of one field, in order.
func (s *sessions) monotonic(k fieldKey, reads []*history.Read) []string {
	for _, x := range s.byObject[k.object] {
		if x.fv().Op == history.EffectAdd && x.fv().Field == k.field {
			return nil
		}
	}
	// firsts: since the last waiver, the first read of each value and the
	// candidates for it.
	type first struct {
		r     *history.Read
		cands []effectRef
		// fresh: the value may be the one a create gave the object (a
		// zero), which no update of the field made.
		fresh bool
	}
	var firsts []first
	var fails []string
	for i, r := range reads {
		if i > 0 && (s.waived(k.client, k.object, reads[i-1].Call, r.Return) || s.erasedBetween(k, reads[i-1].Call, r.Return)) {
			firsts = nil
		}
		cands := s.candidates(k, r.Value, r.Return)
		fresh := isZero(r.Value) && s.createMaybe(k, r.Return)
		seen := false
		for _, f := range firsts {
			if f.r.Value == r.Value {
				seen = true
				continue
			}
			if !f.fresh && len(f.cands) > 0 && len(cands) > 0 && s.allBeat(f.cands, cands) {
				fails = append(fails, fmt.Sprintf("monotonic reads: %s read %s.%s = %s at %d, then the older %s at %d (every write of %s it may have integrated beats every write of %s)",
					k.client, k.object, k.field, f.r.Value, f.r.Call, r.Value, r.Call, f.r.Value, r.Value))
				break
			}
		}
		if !seen {
			firsts = append(firsts, first{r, cands, fresh})
		}
	}
	return fails
}

// isZero reports whether a read value may be a property's zero: what a
// create gives a field.
func isZero(v string) bool {
	switch v {
	case "null", `""`, "0", "false":
		return true
	}
	return false
}

// createMaybe reports whether the client may have integrated a create of
// k's object by t.
func (s *sessions) createMaybe(k fieldKey, t int64) bool {
	for _, x := range s.byObject[k.object] {
		if x.fv().Op == history.EffectCreate && s.maybe(k.client, x.inc, t) {
			return true
		}
	}
	return false
}

func (s *sessions) allBeat(newer, older []effectRef) bool {
	for _, n := range newer {
		for _, o := range older {
			if s.continuesWinner(o, n) {
				return false
			}
			// The write that read newer must beat as every changeset that
			// carried it on (a recovery replays it; the one the client read
			// may never have reached the server).
			for _, c := range s.fates[n.inc.write.ID].incs {
				if c.made >= n.inc.made && !s.surelyBeats(n.fv(), c, o.fv(), o.inc) {
					return false
				}
			}
		}
	}
	return true
}

// continuesWinner reports whether update o may have been made on top of
// another update of the field that may beat n: o then overrides what beat
// n, whatever the rule says of o and n alone (a default update made on top
// of a value that won over n's concurrent one still ends up on top).
func (s *sessions) continuesWinner(o, n effectRef) bool {
	for _, c := range s.byObject[o.fv().Object] {
		g := c.fv()
		if g.Op != history.EffectSet || g.Field != o.fv().Field || c.inc.write == o.inc.write || c.inc.write == n.inc.write {
			continue
		}
		if s.maybeAfter(o.inc, c.inc) && s.mayBeat(g, c.inc, n.fv(), n.inc) {
			return true
		}
	}
	return false
}

// erasedBetween reports whether the client may have integrated an erase of
// the object between from and to.
func (s *sessions) erasedBetween(k fieldKey, from, to int64) bool {
	for _, x := range s.byObject[k.object] {
		if x.fv().Op == history.EffectErase && s.maybe(k.client, x.inc, to) && !s.surely(k.client, x.inc, from) {
			return true
		}
	}
	return false
}
