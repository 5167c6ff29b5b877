package oracle

import (
	"fmt"
	"slices"

	"github.com/syncsim/syncsim/history"
)

// The sync-log model's steps: how each operation changes the state, or
// why it cannot.

func (s *syncState) upload(op *uploadOp, why *string) []*syncState {
	o := s.uploadResets(op.Upload)
	switch {
	case op.Outcome == history.OutcomeReset && op.Code.Judged() && !o.any():
		return reject(why, "spurious reset: %q where none was due", op.Code)
	case o.due != 0 && op.Outcome == history.OutcomeOK:
		return reject(why, "missed reset: acknowledged where the server owed %s", o.due)
	case o.due != 0:
		return []*syncState{s} // refused: nothing integrated
	case op.Outcome == history.OutcomeReset && op.Code.Judged():
		// Refused where a reset only may have been due: it was (any judged
		// code will do; the one named, or the only doubt, is settled).
		switch {
		case o.maybe.has(op.Code):
			return []*syncState{s.settled(o, op.Code, true)}
		case o.file == 0 || o.at == 0:
			return []*syncState{s.settled(o, "", true)}
		}
		return []*syncState{s}
	case op.Outcome == history.OutcomeOK:
		s = s.settled(o, "", false)
	}
	f := *s.file(op.File)
	fresh, follows := op.fresh(f.last)
	if op.Outcome == history.OutcomeOK {
		if follows < len(fresh) {
			return reject(why, "changeset %v acknowledged but the server's last of file %d is version %d: it skipped or repeated one",
				fresh[follows], f.ident, f.last)
		}
		return []*syncState{s.integrate(f, fresh, op.made)}
	}
	// Reply unseen, or refused with a code this model does not judge: the
	// server integrated some prefix of them, perhaps none.
	next := []*syncState{s}
	served := s.settled(o, "", false) // what integrating any means
	for k := 1; k <= follows; k++ {
		next = append(next, served.integrate(f, fresh[:k], op.made))
	}
	return next
}

// fresh returns the changesets of the upload past version last and how
// many of them, from the first, follow on each other in the order the
// client sent its changesets (so may be integrated next).
func (op *uploadOp) fresh(last uint64) ([]history.ChangesetID, int) {
	i := 0
	for i < len(op.IDs) && op.IDs[i].Version <= last {
		i++
	}
	fresh := op.IDs[i:]
	follows := 0
	for j := range fresh {
		before := last
		if j > 0 {
			before = fresh[j-1].Version
		}
		if op.prev[i+j] != before {
			break
		}
		follows++
	}
	return fresh, follows
}

// integrate appends ids to the log; made are the server-made changesets
// the history shows, each of which follows right after the changeset
// before it (a compensating write comes right after the changeset it
// reverts).
func (s *syncState) integrate(f fileRec, ids []history.ChangesetID, made *serverWrites) *syncState {
	if len(ids) == 0 {
		return s
	}
	f.last = ids[len(ids)-1].Version
	next := *s
	log := s.log
	for _, id := range ids {
		log = log.append(id)
		for made.has(s.epoch, log.len()+1) {
			log = log.append(history.ChangesetID{Version: log.len() + 1})
		}
	}
	next.log = log
	next.files = s.withFile(f)
	return &next
}

// serverWrites is the set of server-made changesets downloads delivered.
type serverWrites struct {
	at map[serverWrite]bool
}

// has reports whether the server made the changeset at version of epoch.
func (m *serverWrites) has(epoch int, version uint64) bool {
	if m == nil {
		return false
	}
	return m.at[serverWrite{epoch: epoch, version: version}]
}

func (s *syncState) download(d *history.Download, why *string) []*syncState {
	o := s.downloadResets(d)
	switch d.Outcome {
	case history.OutcomeUnknown:
		return []*syncState{s}
	case history.OutcomeReset:
		return s.resetAnswer(d.Code, o, why)
	}
	if o.due != 0 {
		return reject(why, "missed reset: a download from %d/%d where the server owed %s",
			d.From.ServerVersion, d.From.ClientVersion, o.due)
	}
	next := s.settled(o, "", false)
	switch {
	case s.salt == 0 && slices.Contains(s.past, d.Salt):
		return reject(why, "download of epoch salt %x, an earlier epoch's: the new epoch kept it", d.Salt)
	case s.salt == 0: // the epoch's first download: its salt is learnt here
		n := *next
		n.salt = d.Salt
		next = &n
	case d.Salt != s.salt:
		return reject(why, "download of epoch salt %x, the server's is %x", d.Salt, s.salt)
	}
	n := s.log.len()
	if d.Latest != n {
		return reject(why, "download says the latest server version is %d, the log holds %d", d.Latest, n)
	}
	if d.To.ServerVersion < d.From.ServerVersion || d.To.ServerVersion > n {
		return reject(why, "download cursor moves from %d to %d, the log holds %d", d.From.ServerVersion, d.To.ServerVersion, n)
	}
	i := 0
	for v := d.From.ServerVersion + 1; v <= d.To.ServerVersion; v++ {
		id := s.log.at(v)
		if id.File == d.File {
			continue // a client never receives its own changesets back
		}
		if i == len(d.Entries) || d.Entries[i] != (history.Entry{ServerVersion: v, ID: id}) {
			got := "nothing"
			if i < len(d.Entries) {
				got = fmt.Sprintf("%v at %d", d.Entries[i].ID, d.Entries[i].ServerVersion)
			}
			return reject(why, "at server version %d the log holds %v, the download has %s", v, id, got)
		}
		i++
	}
	if i < len(d.Entries) {
		e := d.Entries[i]
		return reject(why, "download entry %v at %d is not in the log's slice (%d, %d] without file %d",
			e.ID, e.ServerVersion, d.From.ServerVersion, d.To.ServerVersion, d.File)
	}
	f := s.file(d.File)
	if own := s.log.lastOf(f.ident, d.To.ServerVersion); d.To.ClientVersion != own {
		return reject(why, "download cursor says client version %d as of %d, the log says %d", d.To.ClientVersion, d.To.ServerVersion, own)
	}
	if d.Acked != f.last {
		return reject(why, "download acknowledges client version %d, the server integrated %d", d.Acked, f.last)
	}
	return []*syncState{next}
}

func (s *syncState) newFile(nf *history.NewFile, why *string) []*syncState {
	if s.file(nf.File) != nil {
		return reject(why, "client file %d handed out while the server knows it", nf.File)
	}
	next := *s
	next.files = s.withFile(fileRec{ident: nf.File, salt: nf.Salt})
	return []*syncState{&next}
}

func (s *syncState) backup(b *history.Backup, _ *string) []*syncState {
	next := *s
	next.backups = &snapshot{id: b.ID, log: s.log, files: s.files, floor: s.floor, next: s.backups}
	return []*syncState{&next}
}

// newEpoch is s in a new epoch whose salt is not known yet.
func (s *syncState) newEpoch() syncState {
	next := *s
	next.epoch++
	next.salt = 0
	if s.salt != 0 {
		next.past = append(slices.Clip(s.past), s.salt)
	}
	return next
}

func (s *syncState) restore(r *restoreOp, why *string) []*syncState {
	b := s.backups
	for b != nil && b.id != r.Backup {
		b = b.next
	}
	if b == nil {
		return reject(why, "restore from backup %d, which was not taken", r.Backup)
	}
	next := s.newEpoch()
	next.log, next.files, next.floor = b.log, b.files, b.floor
	return []*syncState{&next}
}

func (s *syncState) terminate(t *terminateOp, _ *string) []*syncState {
	next := s.newEpoch()
	next.log, next.files, next.floor = s.log.truncate(0), nil, floor{}
	if t.made.has(next.epoch, 1) {
		next.log = next.log.append(history.ChangesetID{Version: 1})
	}
	return []*syncState{&next}
}

// serverWrite is a changeset the server made, at server version version
// of the epoch of salt salt. The log gets it where the rules put it (a
// compensating write right after the changeset it reverts, a rebuilt
// epoch's first changeset at the terminate); the operation checks it is
// there by the time a download delivered it.
type serverWrite struct {
	epoch   int
	version uint64
}

func (s *syncState) serverWrite(w *serverWrite, why *string) []*syncState {
	id := history.ChangesetID{Version: w.version}
	switch {
	case s.epoch != w.epoch:
		return reject(why, "a server-made changeset of epoch %d, the server's is %d", w.epoch, s.epoch)
	case w.version > s.log.len():
		return reject(why, "a server-made changeset at server version %d, the log holds %d", w.version, s.log.len())
	case s.log.at(w.version) != id:
		return reject(why, "a server-made changeset at server version %d, where the log holds %v", w.version, s.log.at(w.version))
	}
	return []*syncState{s}
}

func (s *syncState) compact(c *compactOp, _ *string) []*syncState {
	next := *s
	next.files = slices.Clone(s.files)
	for i := range next.files {
		f := &next.files[i]
		if f.expired == expYes {
			continue
		}
		switch c.contacts[f.ident] {
		case contactNone:
			f.expired = expYes
		case contactMaybe:
			if f.expired == expNo {
				f.expired = expMaybe
			}
		}
	}
	// The log's order is the order of integration: the leading entries
	// integrated before the horizon are those up to the last one surely
	// integrated before it, at least, and those before the first one
	// surely integrated at or after it, at most. The server's own
	// changesets carry no time of their own.
	horizon := c.Horizon()
	var lo uint64
	hi := s.log.len()
	for v := uint64(1); v <= s.log.len(); v++ {
		id := s.log.at(v)
		if id.File == 0 {
			continue
		}
		sp, ok := c.spans[id]
		if !ok {
			continue
		}
		if sp.hi < horizon {
			lo = v
		}
		if sp.lo >= horizon && hi == s.log.len() {
			hi = v - 1
		}
	}
	next.floor = floor{lo: max(s.floor.lo, lo), hi: max(s.floor.hi, hi, lo)}
	return []*syncState{&next}
}
