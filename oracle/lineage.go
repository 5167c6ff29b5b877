package oracle

import (
	"cmp"
	"slices"

	"github.com/syncsim/syncsim/history"
)

// The lineage of writes, shared by the write-accounting and
// session-guarantees oracles: which changeset carries each write's effects
// (its own, then the recovery changeset of every reset that replayed it
// while unsynced), what each client had integrated when, and so which
// effects can have overridden which.

// incarnation is one changeset carrying a write's effects.
type incarnation struct {
	write *history.Write
	id    history.ChangesetID // zero: a recovery that made no changeset
	ts    int64               // with file, the discriminant
	file  uint64
	maker string // the client whose replica made it
	seen  int64  // it was made on top of what the maker had integrated by then
	made  int64  // from then on it is in the maker's replica
}

// fate is what became of a write at its client's resets.
type fate struct {
	incs []*incarnation // the first is the write's own changeset; the last carries it now
	// end: BucketDiscarded (a reset discarded it and said so) or
	// BucketPreserved (unsynced at a manual reset), else "".
	end Bucket
	// unreported: a discarding reset dropped it unsynced without reporting it.
	unreported *history.Reset
}

func (f *fate) last() *incarnation { return f.incs[len(f.incs)-1] }

// ack is an acknowledged upload cursor a client received for a file.
type ack struct {
	at    int64
	file  uint64
	acked uint64
}

// lineage is the analysis of one realm's history.
type lineage struct {
	h        *history.History
	writes   []*history.Write // by Call
	fates    map[history.WriteID]*fate
	received map[string]map[history.ChangesetID][]int64 // client → changeset → times received, ascending
	snaps    map[string][]int64                         // client → times a server-made changeset (origin 0) arrived
	evidence map[history.ChangesetID]int64              // changeset → latest time anyone received it
	arrived  map[history.ChangesetID][]int64            // changeset → times an UPLOAD carrying it reached the server
	// downloaded: client → changeset → times a DOWNLOAD brought it (not a
	// wait's list, which names the client's own changesets too).
	downloaded map[string]map[history.ChangesetID][]int64
	acks       map[string][]ack                           // client → acknowledgements, by time
	resets     map[string][]*history.Reset                // client → resets, by Call
	reverts    map[history.ChangesetID]map[string][]int64 // changeset → object → times reported
	restores   []history.Restore                          // by At
	rolled     map[history.ChangesetID][]int64            // changeset → times a restore rolled it back
	byObject   map[string][]effectRef                     // object → every effect on it, of every incarnation
	reaches    map[*incarnation]bool                      // reached, memoised
}

// effectRef is effect i of an incarnation's write.
type effectRef struct {
	inc *incarnation
	i   int
}

func (e effectRef) fv() *history.FieldValue { return &e.inc.write.Fields[e.i] }

func newLineage(h *history.History) *lineage {
	l := &lineage{h: h, fates: map[history.WriteID]*fate{}, received: map[string]map[history.ChangesetID][]int64{},
		snaps: map[string][]int64{}, evidence: map[history.ChangesetID]int64{}, arrived: map[history.ChangesetID][]int64{}, acks: map[string][]ack{},
		downloaded: map[string]map[history.ChangesetID][]int64{},
		resets:     map[string][]*history.Reset{}, reverts: map[history.ChangesetID]map[string][]int64{},
		rolled: map[history.ChangesetID][]int64{}, byObject: map[string][]effectRef{}, reaches: map[*incarnation]bool{}}
	receive := func(client string, id history.ChangesetID, at int64) {
		if id.File == 0 {
			l.snaps[client] = append(l.snaps[client], at)
			return
		}
		if l.received[client] == nil {
			l.received[client] = map[history.ChangesetID][]int64{}
		}
		l.received[client][id] = append(l.received[client][id], at)
		l.evidence[id] = max(l.evidence[id], at)
	}
	// A reset's fresh copy is a replica of its own until the reset ends:
	// what it downloads reaches the client's replica then.
	type freshKey struct {
		client string
		file   uint64
	}
	adopted := map[freshKey]int64{} // a reset's fresh copy → when the reset ended
	for i := range h.Resets {
		if r := &h.Resets[i]; r.NewFile != 0 {
			k := freshKey{r.Client, r.NewFile}
			adopted[k] = max(adopted[k], r.Return)
		}
	}
	integratedAt := func(d *history.Download) int64 {
		return max(d.ReceivedAt(), adopted[freshKey{d.Client, d.File}])
	}
	for i := range h.Downloads {
		d := &h.Downloads[i]
		if d.Outcome != history.OutcomeOK {
			continue
		}
		at := integratedAt(d)
		for _, e := range d.Entries {
			receive(d.Client, e.ID, at)
			if l.downloaded[d.Client] == nil {
				l.downloaded[d.Client] = map[history.ChangesetID][]int64{}
			}
			l.downloaded[d.Client][e.ID] = append(l.downloaded[d.Client][e.ID], d.ReceivedAt())
		}
		l.acks[d.Client] = append(l.acks[d.Client], ack{at: d.ReceivedAt(), file: d.File, acked: d.Acked})
	}
	for i := range h.Uploads {
		u := &h.Uploads[i]
		if u.Outcome == history.OutcomeOK {
			l.acks[u.Client] = append(l.acks[u.Client], ack{at: u.Return, file: u.File, acked: u.Acked})
		}
		for _, id := range u.IDs {
			l.arrived[id] = append(l.arrived[id], u.Call)
		}
	}
	for _, w := range h.WaitDownloads {
		if w.Outcome == history.WaitCompleted {
			for _, id := range w.Integrated {
				receive(w.Client, id, w.Return)
			}
		}
	}
	for _, m := range l.received {
		for _, ts := range m {
			slices.Sort(ts)
		}
	}
	for c := range l.snaps {
		slices.Sort(l.snaps[c])
	}
	for c := range l.acks {
		slices.SortStableFunc(l.acks[c], func(a, b ack) int { return cmp.Compare(a.at, b.at) })
	}
	for i := range h.Resets {
		r := &h.Resets[i]
		l.resets[r.Client] = append(l.resets[r.Client], r)
	}
	for c := range l.resets {
		slices.SortStableFunc(l.resets[c], func(a, b *history.Reset) int { return cmp.Compare(a.Call, b.Call) })
	}
	for _, r := range h.Reverts {
		if l.reverts[r.Changeset] == nil {
			l.reverts[r.Changeset] = map[string][]int64{}
		}
		l.reverts[r.Changeset][r.Object] = append(l.reverts[r.Changeset][r.Object], r.At)
	}
	l.restores = slices.Clone(h.Restores)
	slices.SortStableFunc(l.restores, func(a, b history.Restore) int { return cmp.Compare(a.At, b.At) })
	l.rolled = rolledBackBy(h)
	for i := range h.Writes {
		l.writes = append(l.writes, &h.Writes[i])
	}
	slices.SortStableFunc(l.writes, func(a, b *history.Write) int { return cmp.Compare(a.Call, b.Call) })
	l.follow()
	for _, w := range l.writes {
		for _, inc := range l.fates[w.ID].incs {
			for i, f := range w.Fields {
				l.byObject[f.Object] = append(l.byObject[f.Object], effectRef{inc, i})
			}
		}
	}
	return l
}

// follow walks every client's writes through its resets: a write still
// unsynced at a reset (its carrier not acknowledged before the reset
// began) is discarded, carried on by the recovery changeset, or preserved
// in a manual reset's backup copy.
func (l *lineage) follow() {
	byClient := map[string][]*history.Write{}
	for _, w := range l.writes {
		l.fates[w.ID] = &fate{incs: []*incarnation{{write: w, id: w.Changeset, ts: w.Timestamp, file: w.Changeset.File,
			maker: w.Client, seen: w.Call, made: w.Return}}}
		byClient[w.Client] = append(byClient[w.Client], w)
	}
	for client, ws := range byClient {
		next := 0 // the first write not yet made before the current reset
		var live []*history.Write
		segment := int64(0) // since the replica last took a new file
		for _, r := range l.resets[client] {
			for ; next < len(ws) && ws[next].Return <= r.Call; next++ {
				live = append(live, ws[next])
			}
			acked := map[uint64]uint64{} // file → highest version acknowledged in this segment
			for _, a := range l.acks[client] {
				if a.at >= segment && a.at <= r.Call {
					acked[a.file] = max(acked[a.file], a.acked)
				}
			}
			// A write found synced is settled: no later reset touches it.
			var kept []*history.Write
			for _, w := range live {
				f := l.fates[w.ID]
				inc := f.last()
				// Unsynced: past the acknowledged cursor, and not in the
				// fresh copy (the client received its own changeset back
				// when the acknowledgement was lost: the reset knows the
				// server has it and does not replay it).
				unsynced := !inc.id.IsZero() && inc.id.Version > acked[inc.file] &&
					!slices.ContainsFunc(l.downloaded[client][inc.id], func(at int64) bool { return at >= inc.made && at <= r.Return })
				switch {
				case r.Outcome == history.ResetDiscarded && slices.Contains(r.DiscardedWrites, w.ID):
					f.end = BucketDiscarded
				case !unsynced:
				case r.Outcome == history.ResetDiscarded:
					f.unreported = r
				case r.Outcome == history.ResetManual:
					f.end = BucketPreserved
				case r.Outcome == history.ResetRecovered:
					f.incs = append(f.incs, &incarnation{write: w, id: r.RecoveredAs, ts: r.RecoveryTimestamp,
						file: cmp.Or(r.RecoveredAs.File, r.NewFile), maker: client, seen: r.Return, made: r.Return})
					kept = append(kept, w)
				default: // failed: still unsynced
					kept = append(kept, w)
				}
			}
			live = kept
			if r.Outcome == history.ResetRecovered || r.Outcome == history.ResetDiscarded {
				segment = r.Return
			}
		}
	}
}

// surely reports whether client had certainly integrated inc by time t: it
// made it, or received it before t (a changeset received at the very
// instant t may have been integrated just after what the client did at t).
//
// A manual reset deletes the replica: what it had integrated before does
// not count for the one the client opens after.
func (l *lineage) surely(client string, inc *incarnation, t int64) bool {
	return l.integrated(client, inc, t, false)
}

// integrated reports whether client made inc by t or received it before
// t (by t, if atT).
func (l *lineage) integrated(client string, inc *incarnation, t int64, atT bool) bool {
	floor := l.deletedBefore(client, t)
	if inc.maker == client && inc.made <= t && inc.made > floor {
		return true
	}
	if inc.id.IsZero() {
		return false
	}
	times := l.received[client][inc.id]
	i, _ := slices.BinarySearch(times, max(inc.made, floor+1))
	return i < len(times) && (times[i] < t || atT && times[i] == t)
}

// deletedBefore is when client's replica was last deleted by a manual
// reset before t (-1: never).
func (l *lineage) deletedBefore(client string, t int64) int64 {
	floor := int64(-1)
	for _, r := range l.resets[client] {
		if r.Outcome == history.ResetManual && r.Return < t {
			floor = max(floor, r.Return)
		}
	}
	return floor
}

// maybe reports whether client may have integrated inc by time t: surely,
// or through a server-made changeset (a snapshot of the state, origin file
// 0) that arrived after inc was made.
func (l *lineage) maybe(client string, inc *incarnation, t int64) bool {
	if l.integrated(client, inc, t, true) {
		return true
	}
	snaps := l.snaps[client]
	i, _ := slices.BinarySearch(snaps, max(inc.made, l.deletedBefore(client, t)+1))
	return i < len(snaps) && snaps[i] <= t
}

// snapBetween reports whether a server-made changeset reached client in
// (from, to].
func (l *lineage) snapBetween(client string, from, to int64) bool {
	snaps := l.snaps[client]
	i, _ := slices.BinarySearch(snaps, from+1)
	return i < len(snaps) && snaps[i] <= to
}

// surelyAfter reports whether b was certainly made on top of a; maybeAfter
// whether it may have been. Writes carried by one recovery changeset are
// ordered as they were made.
func (l *lineage) surelyAfter(b, a *incarnation) bool {
	if shared, after := sameCarrier(b, a); shared {
		return after
	}
	return l.surely(b.maker, a, b.seen)
}

func (l *lineage) maybeAfter(b, a *incarnation) bool {
	if shared, after := sameCarrier(b, a); shared {
		return after
	}
	return l.maybe(b.maker, a, b.seen)
}

// sameCarrier reports whether b and a are two writes carried by one
// changeset (a recovery's), and if so whether b's write came after a's.
func sameCarrier(b, a *incarnation) (shared, after bool) {
	if b.id != a.id || b.id.IsZero() || b.write == a.write {
		return false, false
	}
	return true, a.write.Call < b.write.Call || (a.write.Call == b.write.Call && a.write.ID < b.write.ID)
}

// surelyBefore reports whether b was certainly made before inc's write
// began: before its first incarnation (a recovery replays a write on a
// fresh copy that may already hold b, but b then still came after the
// write itself).
func (l *lineage) surelyBefore(b, inc *incarnation) bool {
	first := l.fates[inc.write.ID].incs[0]
	return l.surelyAfter(inc, b) && l.surelyAfter(first, b)
}

// outranks reports whether b's update wins over a's when they are
// concurrent: a non-default update beats a default one, then the higher
// discriminant wins.
func outranks(b *incarnation, bDefault bool, a *incarnation, aDefault bool) bool {
	if aDefault != bDefault {
		return aDefault
	}
	if b.ts != a.ts {
		return b.ts > a.ts
	}
	return b.file > a.file
}

// mayBeat reports whether update b may have overridden update a: made on
// top of it, or concurrent and outranking it. It over-approximates (the
// accounting's and read-your-writes' explanations); surelyBeats
// under-approximates (monotonic reads' violations).
func (l *lineage) mayBeat(b *history.FieldValue, bi *incarnation, a *history.FieldValue, ai *incarnation) bool {
	if l.maybeAfter(bi, ai) || l.rebuiltBetween(ai, bi) {
		return true
	}
	return !l.surelyAfter(ai, bi) && outranks(bi, b.Default, ai, a.Default)
}

func (l *lineage) surelyBeats(b *history.FieldValue, bi *incarnation, a *history.FieldValue, ai *incarnation) bool {
	if l.surelyAfter(bi, ai) {
		return true
	}
	return !l.maybeAfter(ai, bi) && !l.rebuiltBetween(bi, ai) && outranks(bi, b.Default, ai, a.Default)
}

// reached reports whether inc may have reached the server: acknowledged
// to its maker, received by some client, or carried by an UPLOAD that
// arrived at the server, after it was made (an upload whose reply was
// lost may have been integrated, and a reset may then report the write
// discarded although the server has it).
func (l *lineage) reached(inc *incarnation) bool {
	if r, ok := l.reaches[inc]; ok {
		return r
	}
	r := !inc.id.IsZero() && (l.evidence[inc.id] >= inc.made || l.acknowledged(inc) ||
		slices.ContainsFunc(l.arrived[inc.id], func(at int64) bool { return at >= inc.made }))
	l.reaches[inc] = r
	return r
}

// acknowledged reports whether the server acknowledged inc to its maker.
func (l *lineage) acknowledged(inc *incarnation) bool {
	if inc.id.IsZero() {
		return false
	}
	acks := l.acks[inc.maker]
	i, _ := slices.BinarySearchFunc(acks, inc.made, func(a ack, t int64) int { return cmp.Compare(a.at, t) })
	for _, a := range acks[i:] {
		if a.file == inc.file && a.acked >= inc.id.Version {
			return true
		}
	}
	return false
}

// reverted reports whether a compensating write reverted what inc did to
// object, reported by time t.
func (l *lineage) reverted(inc *incarnation, object string, t int64) bool {
	if inc.id.IsZero() {
		return false
	}
	for _, at := range l.reverts[inc.id][object] {
		if at >= inc.made && at <= t {
			return true
		}
	}
	return false
}

// rebuiltBetween reports whether a terminate and re-enable that rebuilt
// the realm's history as one server-made changeset came after a was made
// and before b reached the server: a's effects then live on only as the
// state that changeset builds, which b, merged after it, overrides.
func (l *lineage) rebuiltBetween(a, b *incarnation) bool {
	reached := b.made // b reached the server at its first arrival
	for _, at := range l.arrived[b.id] {
		if at >= b.made && (reached == b.made || at < reached) {
			reached = at
		}
	}
	es := epochStarts(l.h)
	for k, e := range es {
		if e.terminate && a.made <= e.at.t && e.at.t < reached && rebuiltAt(l.h, es, k+1) {
			return true
		}
	}
	return false
}
