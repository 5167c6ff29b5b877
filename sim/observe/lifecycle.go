package observe

import (
	"slices"
	"time"

	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/history"
)

// Lifecycle runs and records the harness operations on one realm of a
// server, as the oracles define them, each numbered in the wire's
// sequence of events before it runs (what it makes the server send comes
// after it).
type Lifecycle struct {
	path string
	// ttl is the client maximum offline time the server compacts with.
	ttl  time.Duration
	h    *history.History
	wire *Wire
	now  func() int64

	backups []uint64 // the server backups taken, oldest first
	// backupOf is what each backup holds; boots, per epoch salt, the
	// changesets an epoch's first, rebuilding changeset stands for.
	backupOf map[uint64]backupOf
	boots    map[uint64][]history.ChangesetID
}

// Lifecycle returns the recorder of the harness operations on realm path
// of a server compacting with maximum offline time ttl.
func (r *Recorder) Lifecycle(path string, ttl time.Duration) *Lifecycle {
	return &Lifecycle{path: path, ttl: ttl, h: r.h, wire: r.wire, now: r.now,
		backupOf: map[uint64]backupOf{}, boots: map[uint64][]history.ChangesetID{}}
}

// backupOf is what a backup holds: its epoch's salt and what carried said
// then.
type backupOf struct {
	salt uint64
	ids  []history.ChangesetID
}

// carried is the realm's epoch salt and the changesets its history holds
// now, in server order: each entry's, except that an epoch an Enable began
// starts with one server-made changeset rebuilding the state, which stands
// for the changesets the history held before the Enable.
func (l *Lifecycle) carried(s *server.Server) (uint64, []history.ChangesetID) {
	salt, origins, _ := s.History(l.path)
	boot, rebuilt := l.boots[salt]
	var ids []history.ChangesetID
	for i, o := range origins {
		if i == 0 && o.File == 0 && rebuilt {
			ids = append(ids, boot...)
			continue
		}
		ids = append(ids, history.ChangesetID{File: o.File, Version: o.Version})
	}
	return salt, ids
}

// Backup takes a backup of the realm at its latest server version.
func (l *Lifecycle) Backup(s *server.Server) error {
	seq := l.wire.Tick() // before anything the operation makes the server send
	n, err := s.Backup(l.path)
	if err != nil {
		return err
	}
	_, origins, _ := s.History(l.path)
	salt, ids := l.carried(s)
	l.backups = append(l.backups, n)
	l.backupOf[n] = backupOf{salt: salt, ids: ids}
	l.h.Backups = append(l.h.Backups, history.Backup{Realm: l.path, ID: int(n), Seq: seq,
		ServerVersion: uint64(len(origins)), At: l.now()})
	return nil
}

// RestoreLatest restores the realm from the latest backup taken, if any.
func (l *Lifecycle) RestoreLatest(s *server.Server) error {
	if len(l.backups) == 0 {
		return nil
	}
	return l.Restore(s, l.backups[len(l.backups)-1])
}

// Restore restores the realm from backup n. It rolls back the changesets
// the history held just before and the backup does not: those past the
// backup's server version, or, from a backup of an earlier epoch (a
// terminate and re-enable came between), all the later ones, including
// those the re-enabled epoch's first changeset stood for.
func (l *Lifecycle) Restore(s *server.Server, n uint64) error {
	_, ids := l.carried(s)
	b := l.backupOf[n]
	kept := make(map[history.ChangesetID]bool, len(b.ids))
	for _, id := range b.ids {
		kept[id] = true
	}
	r := history.Restore{Realm: l.path, Backup: int(n), At: l.now(), Seq: l.wire.Tick()}
	for _, id := range ids {
		if !kept[id] {
			r.RolledBack = append(r.RolledBack, id)
		}
	}
	if err := s.Restore(l.path, n); err != nil {
		return err
	}
	r.Salt, _, _ = s.History(l.path)
	if boot, ok := l.boots[b.salt]; ok {
		l.boots[r.Salt] = boot
	}
	l.h.Restores = append(l.h.Restores, r)
	return nil
}

// Enable turns the realm's sync on again after a Terminate: terminate and
// re-enable are one operation in the history, at the Enable (until then
// the old epoch stands, its sessions refused). The engine begins the new
// epoch with one server-made changeset that rebuilds the state (if there
// is any); the history says the old epoch's entries are not kept (Keep 0).
func (l *Lifecycle) Enable(s *server.Server) error {
	_, before := l.carried(s)
	seq := l.wire.Tick()
	if err := s.Enable(l.path); err != nil {
		return err
	}
	salt, origins, _ := s.History(l.path)
	l.boots[salt] = before
	l.h.Terminates = append(l.h.Terminates, history.Terminate{Realm: l.path, Salt: salt, Seq: seq,
		Rebuilt: len(origins) > 0 && origins[0].File == 0, At: l.now()})
	return nil
}

// Compact compacts the realm's history; the files it expired are those
// expired after it and not before, that the server handed out (a file
// whose SERVER_IDENT it never sent is known to no client, and to no
// operation of the history).
func (l *Lifecycle) Compact(s *server.Server) error {
	before := s.ExpiredFiles(l.path)
	seq := l.wire.Tick()
	if err := s.Compact(l.path); err != nil {
		return err
	}
	c := history.Compact{Realm: l.path, Horizon: l.now() - int64(l.ttl), Floor: s.Floor(l.path), At: l.now(), Seq: seq}
	for _, f := range s.ExpiredFiles(l.path) {
		handedOut := slices.ContainsFunc(l.h.NewFiles, func(n history.NewFile) bool { return n.Realm == l.path && n.File == f })
		if handedOut && !slices.Contains(before, f) {
			c.Expired = append(c.Expired, f)
		}
	}
	l.h.Compactions = append(l.h.Compactions, c)
	return nil
}
