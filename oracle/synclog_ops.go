package oracle

import (
	"cmp"
	"maps"
	"math"
	"slices"

	"github.com/anishathalye/porcupine"
	"github.com/syncsim/syncsim/history"
)

// From a realm's history to the sync-log model's porcupine operations:
// one per observed upload, download and new file, and per harness
// operation and server-made changeset, ordered within each instant.

// syncLogOps turns one realm's history into porcupine operations; lanes
// names the ClientIds (clients in order, then the harness).
func syncLogOps(h *history.History) (ops []porcupine.Operation, lanes []string) {
	lanes, lane := clientLanes(h)
	harness := len(lanes) - 1
	// The order in which each file's changesets were sent: the versions of
	// all its uploads.
	sent := map[uint64][]uint64{}
	for _, u := range h.Uploads {
		for _, id := range u.IDs {
			sent[id.File] = append(sent[id.File], id.Version)
		}
	}
	for f, vs := range sent {
		slices.Sort(vs)
		sent[f] = slices.Compact(vs)
	}
	writeOps, made := serverWriteOps(h, harness)
	for i := range h.Uploads {
		u := &h.Uploads[i]
		op := &uploadOp{Upload: u, prev: make([]uint64, len(u.IDs)), made: made}
		for j, id := range u.IDs {
			vs := sent[id.File]
			if k, _ := slices.BinarySearch(vs, id.Version); k > 0 {
				op.prev[j] = vs[k-1]
			}
		}
		ops = append(ops, porcupine.Operation{ClientId: lane[u.Client], Input: op, Call: u.Call, Return: u.Return})
	}
	for i := range h.Downloads {
		d := &h.Downloads[i]
		ops = append(ops, porcupine.Operation{ClientId: lane[d.Client], Input: d, Call: d.Call, Return: d.Return})
	}
	for i := range h.NewFiles {
		f := &h.NewFiles[i]
		ops = append(ops, porcupine.Operation{ClientId: lane[f.Client], Input: f, Call: f.Call, Return: f.Return})
	}
	instant := func(input any, at int64) {
		ops = append(ops, porcupine.Operation{ClientId: harness, Input: input, Call: at, Return: at})
	}
	for i := range h.Backups {
		instant(&h.Backups[i], h.Backups[i].At)
	}
	for i := range h.Restores {
		instant(&restoreOp{Restore: &h.Restores[i]}, h.Restores[i].At)
	}
	for i := range h.Terminates {
		instant(&terminateOp{Terminate: &h.Terminates[i], made: made}, h.Terminates[i].At)
	}
	spans := integrations(h)
	for i := range h.Compactions {
		c := &h.Compactions[i]
		instant(&compactOp{Compact: c, contacts: contacts(h, c), spans: spans}, c.At)
	}
	return orderWithinInstants(append(ops, writeOps...)), lanes
}

// instantSlots is how many distinct moments the sync-log check tells apart
// within one virtual nanosecond: its operations' times are t*instantSlots
// plus their rank within the instant (see orderWithinInstants).
const instantSlots = 1024

// orderWithinInstants spreads the operations' ends at the same virtual
// instant in the order their Seq gives (an unknown Call is the instant's
// start, an unknown Return its end): porcupine then need not try every
// order of, say, the DOWNLOADs a server sent to every client at one
// instant around an upload it integrated then. A time t becomes
// t*instantSlots + its rank within the instant (capped: the last ranks
// share a slot, which only makes them concurrent).
func orderWithinInstants(ops []porcupine.Operation) []porcupine.Operation {
	type point struct {
		t   int64
		seq uint64
	}
	seqOf := func(op porcupine.Operation) history.Seq {
		switch in := op.Input.(type) {
		case *uploadOp:
			return in.Seq
		case *history.Download:
			return in.Seq
		case *history.NewFile:
			return in.Seq
		case *history.Backup:
			return history.Seq{CallSeq: in.Seq, ReturnSeq: in.Seq}
		case *restoreOp:
			return history.Seq{CallSeq: in.Seq, ReturnSeq: in.Seq}
		case *terminateOp:
			return history.Seq{CallSeq: in.Seq, ReturnSeq: in.Seq}
		case *compactOp:
			return history.Seq{CallSeq: in.Seq, ReturnSeq: in.Seq}
		}
		return history.Seq{}
	}
	calls, rets := make([]point, len(ops)), make([]point, len(ops))
	points := make([]point, 0, 2*len(ops))
	for i, op := range ops {
		s := seqOf(op)
		calls[i] = point{op.Call, s.CallSeq}
		rets[i] = point{op.Return, s.ReturnSeq}
		if s.ReturnSeq == 0 {
			rets[i].seq = math.MaxUint64
		}
		points = append(points, calls[i], rets[i])
	}
	cmpPoint := func(a, b point) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	}
	slices.SortFunc(points, cmpPoint)
	points = slices.Compact(points)
	at := func(p point) int64 {
		if p.t == history.Infinite {
			return history.Infinite
		}
		i, _ := slices.BinarySearchFunc(points, p, cmpPoint)
		first, _ := slices.BinarySearchFunc(points, point{p.t, 0}, cmpPoint)
		return p.t*instantSlots + int64(min(i-first, instantSlots-1))
	}
	out := make([]porcupine.Operation, len(ops))
	for i, op := range ops {
		op.Call, op.Return = at(calls[i]), at(rets[i])
		out[i] = op
	}
	return out
}

// inSlots puts annotations on the sync-log check's time scale.
func inSlots(anns []porcupine.Annotation) []porcupine.Annotation {
	for i := range anns {
		anns[i].Start *= instantSlots
		if anns[i].End != 0 {
			anns[i].End = anns[i].End*instantSlots + instantSlots - 1
		}
	}
	return anns
}

// serverWriteOps finds the server-made changesets the downloads delivered:
// one operation per (epoch, server version), from the epoch's start to the
// first download that delivered it. It returns them as a set too. A
// download's epoch is the one in force when the server sent it.
func serverWriteOps(h *history.History, lane int) ([]porcupine.Operation, *serverWrites) {
	es := epochStarts(h)
	spans := integrations(h)
	seen := map[serverWrite]int64{}
	after := map[serverWrite]history.ChangesetID{} // the client changeset right before it, if a download showed it
	var order []serverWrite
	for _, d := range h.Downloads {
		if d.Outcome != history.OutcomeOK {
			continue
		}
		k := epochAt(es, moment{d.Call, d.CallSeq})
		for i, e := range d.Entries {
			if e.ID.File != 0 {
				continue
			}
			w := serverWrite{epoch: k, version: e.ServerVersion}
			if i > 0 && d.Entries[i-1].ServerVersion == e.ServerVersion-1 {
				after[w] = d.Entries[i-1].ID
			}
			at, ok := seen[w]
			if !ok {
				order = append(order, w)
				at = d.Return
			}
			seen[w] = min(at, d.Return)
		}
	}
	inOrder := map[serverWrite]bool{}
	for _, w := range order {
		inOrder[w] = true
	}
	// A server-made changeset delivered in an epoch a restore began, at a
	// version the backup surely held, came with the backup: the backup's
	// epoch made it, at the same version (latest restore first: a backup
	// may be of a restored epoch). The backup surely held it if a download
	// of the backup's epoch sent before it counted that version, if it is
	// at version 1 (a restored epoch begins with the backup's history), or
	// if it follows a client changeset integrated before the backup (the
	// server makes one right after the changeset it answers).
	taken := map[int]moment{}
	for _, b := range h.Backups {
		taken[b.ID] = moment{b.At, b.Seq}
	}
	for k := len(es); k >= 1; k-- {
		e := es[k-1]
		b, ok := taken[e.backup]
		if e.terminate || !ok {
			continue
		}
		from := epochAt(es, b)
		var held uint64
		for _, d := range h.Downloads {
			if at := (moment{d.Call, d.CallSeq}); d.Outcome == history.OutcomeOK && compareMoments(at, b) < 0 && epochAt(es, at) == from {
				held = max(held, d.Latest)
			}
		}
		for _, w := range slices.Clone(order) {
			prev, ok := after[w]
			before := ok && prev.File != 0 && spans[prev].hi < b.t
			if w.epoch != k || (w.version > held && w.version != 1 && !before) {
				continue
			}
			v := serverWrite{epoch: from, version: w.version}
			if !inOrder[v] {
				inOrder[v] = true
				order = append(order, v)
				seen[v] = b.t
			}
			seen[v] = min(seen[v], b.t)
		}
	}
	made := &serverWrites{at: map[serverWrite]bool{}}
	ops := make([]porcupine.Operation, 0, len(order))
	start := func(k int) int64 {
		if k == 0 {
			return 0
		}
		return es[k-1].at.t
	}
	for _, w := range order {
		made.at[w] = true
		ops = append(ops, porcupine.Operation{ClientId: lane, Input: &w, Call: min(start(w.epoch), seen[w]), Return: seen[w]})
	}
	return ops, made
}

// clientLanes gives every client of a realm history a porcupine ClientId,
// in order of name, and the harness the last one.
func clientLanes(h *history.History) ([]string, map[string]int) {
	names := map[string]bool{}
	for _, u := range h.Uploads {
		names[u.Client] = true
	}
	for _, d := range h.Downloads {
		names[d.Client] = true
	}
	for _, f := range h.NewFiles {
		names[f.Client] = true
	}
	for _, w := range h.WaitUploads {
		names[w.Client] = true
	}
	for _, w := range h.WaitDownloads {
		names[w.Client] = true
	}
	for _, r := range h.Resets {
		names[r.Client] = true
	}
	lanes := append(slices.Sorted(maps.Keys(names)), "harness")
	lane := make(map[string]int, len(lanes))
	for i, n := range lanes {
		lane[n] = i
	}
	return lanes, lane
}
