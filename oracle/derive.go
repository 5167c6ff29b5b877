package oracle

import (
	"cmp"
	"slices"

	"github.com/syncsim/syncsim/history"
)

// What the server decided at the harness's operations, derived from the
// observed operations and the harness's own parameters (DESIGN §1): the
// history records only what the harness did and when (a backup, a restore
// of which backup, a terminate and re-enable, a compaction with its
// maximum offline time), never what the server made of it. Where the
// observations cannot decide, the derivation says so (an interval, a
// "maybe"), and the judges allow both.

// moment is a point in the history's order of events: a virtual time and
// the event's Seq within that instant (0: unknown, the instant's start for
// a call, its end for a return).
type moment struct {
	t   int64
	seq uint64
}

func compareMoments(a, b moment) int {
	if c := cmp.Compare(a.t, b.t); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// epochStart is a harness operation that begins a new epoch: a restore
// or a terminate and re-enable.
type epochStart struct {
	at        moment
	terminate bool
	backup    int // a restore's backup
}

// epochStarts lists h's restores and terminates in the order they
// happened: epoch k (k >= 1) is the one the k-th of them began; epoch 0 is
// the realm's first.
func epochStarts(h *history.History) []epochStart {
	var es []epochStart
	for _, r := range h.Restores {
		es = append(es, epochStart{at: moment{r.At, r.Seq}, backup: r.Backup})
	}
	for _, t := range h.Terminates {
		es = append(es, epochStart{at: moment{t.At, t.Seq}, terminate: true})
	}
	slices.SortStableFunc(es, func(a, b epochStart) int { return compareMoments(a.at, b.at) })
	return es
}

// epochAt is the epoch in force at m: how many epoch starts came before.
func epochAt(es []epochStart, m moment) int {
	n := 0
	for _, e := range es {
		if compareMoments(e.at, m) < 0 {
			n++
		}
	}
	return n
}

// span is what the observations say of when the server integrated a
// changeset: not before lo (the first arrival of an upload carrying it;
// 0: unknown), not after hi (the first acknowledgement covering it, the
// first DOWNLOAD that delivered it, or the first compensating write
// reported for it; Infinite: unknown).
type span struct{ lo, hi int64 }

// integrations derives the span of every client changeset of h.
func integrations(h *history.History) map[history.ChangesetID]span {
	spans := map[history.ChangesetID]span{}
	widen := func(id history.ChangesetID, lo, hi int64) {
		s, ok := spans[id]
		if !ok {
			s = span{lo: history.Infinite, hi: history.Infinite}
		}
		spans[id] = span{lo: min(s.lo, lo), hi: min(s.hi, hi)}
	}
	for _, u := range h.Uploads {
		hi := history.Infinite
		if u.Outcome == history.OutcomeOK {
			hi = u.Return
		}
		for _, id := range u.IDs {
			widen(id, u.Call, hi)
		}
	}
	// A compensating write reported for a changeset (the server reverted
	// it as it integrated it) says it was integrated by then, even where
	// the upload's reply was lost and nobody downloaded it in that epoch.
	for _, r := range h.Reverts {
		widen(r.Changeset, history.Infinite, r.At)
	}
	// An acknowledged upload cursor covers every changeset of the file up
	// to it: the changesets of the file the history names, by version.
	byFile := map[uint64][]uint64{}
	for _, u := range h.Uploads {
		for _, id := range u.IDs {
			byFile[id.File] = append(byFile[id.File], id.Version)
		}
	}
	for _, w := range h.Writes {
		byFile[w.Changeset.File] = append(byFile[w.Changeset.File], w.Changeset.Version)
	}
	for _, d := range h.Downloads {
		if d.Outcome != history.OutcomeOK {
			continue
		}
		for _, e := range d.Entries {
			if e.ID.File != 0 {
				widen(e.ID, history.Infinite, d.Call)
			}
		}
		for _, v := range byFile[d.File] {
			if v <= d.Acked {
				widen(history.ChangesetID{File: d.File, Version: v}, history.Infinite, d.Call)
			}
		}
	}
	for id, s := range spans {
		if s.lo == history.Infinite {
			spans[id] = span{lo: 0, hi: s.hi}
		}
	}
	return spans
}

// rolledBackBy derives, per changeset, the times of the restores that may
// have rolled it back: a restore rolls back what the server's history
// held just before it and the backup did not, i.e. what it integrated
// after the backup was taken and before the restore. A changeset whose
// span reaches past the backup (perhaps integrated after it) and begins
// before the restore counts: "maybe rolled back" is treated as rolled
// back, so no write is convicted for a loss a restore may explain.
func rolledBackBy(h *history.History) map[history.ChangesetID][]int64 {
	taken := map[int]int64{}
	for _, b := range h.Backups {
		taken[b.ID] = b.At
	}
	spans := integrations(h)
	ids := slices.SortedFunc(func(yield func(history.ChangesetID) bool) {
		for id := range spans {
			if !yield(id) {
				return
			}
		}
	}, history.CompareIDs)
	rolled := map[history.ChangesetID][]int64{}
	restores := slices.Clone(h.Restores)
	slices.SortStableFunc(restores, func(a, b history.Restore) int { return cmp.Compare(a.At, b.At) })
	for _, r := range restores {
		b, ok := taken[r.Backup]
		if !ok {
			continue
		}
		for _, id := range ids {
			if s := spans[id]; s.hi >= b && s.lo <= r.At {
				rolled[id] = append(rolled[id], r.At)
			}
		}
	}
	return rolled
}

// rebuiltAt reports whether the epoch a terminate and re-enable began
// (epoch k) may begin with a server-made changeset rebuilding the data:
// unless a download of that epoch showed server version 1 to be a
// client's changeset, it may.
func rebuiltAt(h *history.History, es []epochStart, k int) bool {
	for _, d := range h.Downloads {
		if d.Outcome != history.OutcomeOK || epochAt(es, moment{d.Call, d.CallSeq}) != k {
			continue
		}
		for _, e := range d.Entries {
			if e.ServerVersion == 1 {
				return e.ID.File == 0
			}
		}
	}
	return true
}

// contact is what the observations say of a client file's contacts with
// the server (a new ident, a CLIENT_IDENT accepted, an UPLOAD, an
// integration), all of which happen within a session the server holds
// bound to it, around a compaction at m with horizon H.
type contact uint8

const (
	// contactNone: no session of the file was possibly bound in [H, m]:
	// last seen before the horizon, and not live.
	contactNone contact = iota
	// contactMaybe: the observations cannot tell.
	contactMaybe
	// contactSure: a contact certainly fell in [H, m], or a session was
	// certainly bound at m.
	contactSure
)

// windows are the stretches of time whose contacts the server's state at
// m still reflects: back to the start of its epoch and, if a restore began
// it, before that only what the backup held (up to when it was taken), and
// so on; a terminate forgot every file before it.
func windows(h *history.History, es []epochStart, m moment) []span {
	taken := map[int]moment{}
	for _, b := range h.Backups {
		taken[b.ID] = moment{b.At, b.Seq}
	}
	var out []span
	end := m
	for range len(es) + 1 {
		k := epochAt(es, end)
		if k == 0 {
			return append(out, span{0, end.t})
		}
		e := es[k-1]
		out = append(out, span{e.at.t, end.t})
		b, ok := taken[e.backup]
		if e.terminate || !ok {
			return out
		}
		end = b
	}
	return out
}

// contacts derives, for a compaction, the contact class of every client
// file of h (a file missing from the map has none): only contacts the
// server's state then reflects count (see windows).
func contacts(h *history.History, c *history.Compact) map[uint64]contact {
	at := moment{c.At, c.Seq}
	horizon := c.Horizon()
	ws := windows(h, epochStarts(h), at)
	// may: [lo, hi] meets a window after the horizon; sure: it lies in one.
	may := func(lo, hi int64) bool {
		return slices.ContainsFunc(ws, func(w span) bool { return max(lo, w.lo, horizon) <= min(hi, w.hi) })
	}
	sure := func(lo, hi int64) bool {
		return lo >= horizon && slices.ContainsFunc(ws, func(w span) bool { return w.lo <= lo && hi <= w.hi })
	}
	out := map[uint64]contact{}
	raise := func(f uint64, k contact) { out[f] = max(out[f], k) }
	for _, b := range h.Bounds {
		if b.Begin > c.At || !may(b.Begin, b.End) {
			continue
		}
		raise(b.File, contactMaybe)
		if b.Accepted == 0 {
			continue
		}
		accepted := moment{b.Accepted, b.AcceptedSeq}
		end := moment{b.End, cmp.Or(b.EndSeq, 1<<63)}
		live := compareMoments(accepted, at) <= 0 && compareMoments(end, at) > 0 && b.Accepted >= ws[0].lo
		if live || (compareMoments(accepted, at) <= 0 && sure(b.Begin, b.Accepted)) {
			raise(b.File, contactSure)
		}
	}
	for _, u := range h.Uploads {
		if u.Outcome == history.OutcomeOK && compareMoments(moment{u.Call, u.CallSeq}, at) < 0 && sure(u.Call, u.Call) {
			raise(u.File, contactSure)
		}
	}
	for _, nf := range h.NewFiles {
		if compareMoments(moment{nf.Return, nf.ReturnSeq}, at) < 0 && sure(nf.Call, nf.Return) {
			raise(nf.File, contactSure)
		}
	}
	return out
}
