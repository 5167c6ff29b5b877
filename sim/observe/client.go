package observe

import (
	"cmp"
	"slices"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/history"
)

// ClientLog records what one client process does locally, besides what
// the wire shows: its writes, reads and waits, and its client resets with
// what the client-reset oracle needs of each (resets.go). It is kept
// across the process's crashes (the replica's file survives them). As a
// replica.Observer of the client's open replica it sees the changesets
// the replica commits and integrates.
type ClientLog struct {
	rec   *Recorder
	name  string
	realm string
	mode  client.ClientResetMode
	// open is the client's realm open now (nil: none).
	open func() *client.Realm
	// storage and clk are the client node's, to read a backup copy back.
	storage env.Storage
	clk     env.Clock

	// writing: a write transaction runs, and committed is what it committed.
	writing   bool
	committed *changeset.Changeset
	// unnamed indexes the Writes committed before the replica had a client
	// file ident: their changesets take the ident it gets.
	unnamed []int
	// carried: for each local version of the replica's current file, the
	// writes its changeset carries (its own, or a recovery's).
	carried map[uint64][]history.WriteID
	// asked is the reset the server last asked for; resetting the
	// automatic reset whose Before has run and whose After has not.
	asked     *resetAsk
	resetting *resetBegun
	// adoptions counts the fresh copies the replica took over.
	adoptions int
	// seen holds the ids of the changesets downloaded into the replica, in
	// any incarnation (integration is durable before it is reported), and
	// after a client reset those the fresh copy downloaded.
	seen map[history.ChangesetID]bool
}

// ClientOptions describe a client process to its log.
type ClientOptions struct {
	// Name is the client's node; Realm the path of the realm it opens,
	// in Mode.
	Name  string
	Realm string
	Mode  client.ClientResetMode
	// Open returns the client's realm open now, nil if none (a crashed
	// process, a realm being reopened).
	Open func() *client.Realm
	// Storage and Clock are the client node's: a manual reset's backup
	// copy is read back from them.
	Storage env.Storage
	Clock   env.Clock
}

// Client returns a new log for a client process.
func (r *Recorder) Client(o ClientOptions) *ClientLog {
	l := &ClientLog{rec: r, name: o.Name, realm: o.Realm, mode: o.Mode, open: o.Open, storage: o.Storage, clk: o.Clock,
		carried: map[uint64][]history.WriteID{}, seen: map[history.ChangesetID]bool{}}
	r.clients[o.Name] = l
	return l
}

// Committed is the replica observer's: it catches the changeset a write
// transaction commits.
func (l *ClientLog) Committed(cs *changeset.Changeset) {
	if l.writing {
		l.committed = cs
	}
}

// Integrated records the ids of a download's changesets.
func (l *ClientLog) Integrated(d *protocol.Download) {
	for i := range d.Changesets {
		cs := &d.Changesets[i].Changeset
		l.seen[history.ChangesetID{File: cs.OriginFileIdent, Version: cs.Version}] = true
	}
}

// NewReplica forgets the replica's file: the app deleted it and opens a
// new one, which holds nothing of the old one's.
func (l *ClientLog) NewReplica() {
	l.seen, l.carried, l.unnamed = map[history.ChangesetID]bool{}, map[uint64][]history.WriteID{}, nil
}

// own names the replica's own changesets up to version.
func own(rep *replica.Replica, version uint64) []history.ChangesetID {
	ident, _ := rep.Ident()
	ids := make([]history.ChangesetID, 0, version)
	for v := uint64(1); v <= version; v++ {
		ids = append(ids, history.ChangesetID{File: ident, Version: v})
	}
	return ids
}

// integrated names every changeset in the replica rep, sorted.
func (l *ClientLog) integrated(rep *replica.Replica) []history.ChangesetID {
	ids := own(rep, rep.Version())
	for id := range l.seen {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b history.ChangesetID) int {
		if a.File != b.File {
			return cmp.Compare(a.File, b.File)
		}
		return cmp.Compare(a.Version, b.Version)
	})
	return ids
}

// Write runs tx, a write transaction on the open realm, and records what
// it committed (nothing if it changed nothing). An error of tx is
// returned, and nothing is recorded.
func (l *ClientLog) Write(tx func() error) error {
	call := l.rec.now()
	l.NameWrites()
	l.writing, l.committed = true, nil
	err := tx()
	l.writing = false
	if err != nil {
		return err
	}
	cs := l.committed
	if cs == nil {
		return nil // nothing changed: nothing committed
	}
	h := l.rec.h
	id := history.WriteID(len(h.Writes) + 1)
	h.Writes = append(h.Writes, history.Write{Client: l.name, Realm: l.realm, ID: id,
		Changeset: history.ChangesetID{File: cs.OriginFileIdent, Version: cs.Version}, Timestamp: cs.OriginTimestamp,
		Call: call, Return: l.rec.now(), Fields: Effects(cs)})
	if cs.OriginFileIdent == 0 {
		l.unnamed = append(l.unnamed, len(h.Writes)-1)
	}
	l.carried[cs.Version] = []history.WriteID{id}
	return nil
}

// NameWrites gives the writes committed before the replica had a client
// file ident the ident it has now, if any.
func (l *ClientLog) NameWrites() {
	realm := l.open()
	if len(l.unnamed) == 0 || realm == nil {
		return
	}
	ident, _ := realm.Replica().Ident()
	if ident == 0 {
		return
	}
	for _, i := range l.unnamed {
		l.rec.h.Writes[i].Changeset.File = ident
	}
	l.unnamed = nil
}

// Read records a read of field of object class/pk that found v, or
// nothing if the object does not exist.
func (l *ClientLog) Read(class string, pk changeset.PK, field string, v changeset.Value, exists bool) {
	value := ""
	if exists {
		value = Value(v).String()
	}
	now := l.rec.now()
	l.rec.h.Reads = append(l.rec.h.Reads, history.Read{Client: l.name, Realm: l.realm,
		Object: ObjectName(class, pk), Field: field, Value: value, Call: now, Return: now})
}

func waitOutcome(err error) history.WaitOutcome {
	if err != nil {
		return history.WaitFailed
	}
	return history.WaitCompleted
}

// WaitUpload records a wait for upload completion on the open realm
// beginning now; the wait calls the function returned when it ends. It
// covers the local changesets committed before it began, named by the
// replica's ident when it ended (it may have had none when it began); a
// client reset in between makes it wait for the recovered changeset
// instead, or nothing.
func (l *ClientLog) WaitUpload() func(err error) {
	op := history.WaitUpload{Client: l.name, Realm: l.realm, Call: l.rec.now()}
	rep, adoptions := l.open().Replica(), l.adoptions
	version := rep.Version()
	return func(err error) {
		op.Return, op.Outcome = l.rec.now(), waitOutcome(err)
		if l.adoptions != adoptions {
			version = rep.Version()
		}
		op.Covered = own(rep, version)
		l.rec.h.WaitUploads = append(l.rec.h.WaitUploads, op)
	}
}

// WaitDownload records a wait for download completion on the open realm
// beginning now; the wait calls the function returned when it ends.
func (l *ClientLog) WaitDownload() func(err error) {
	op := history.WaitDownload{Client: l.name, Realm: l.realm, Call: l.rec.now()}
	return func(err error) {
		op.Return, op.Outcome, op.Integrated = l.rec.now(), waitOutcome(err), l.integrated(l.open().Replica())
		l.rec.h.WaitDownloads = append(l.rec.h.WaitDownloads, op)
	}
}
