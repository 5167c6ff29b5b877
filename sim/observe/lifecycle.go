package observe

import (
	"time"

	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/history"
)

// Lifecycle runs and records the harness operations on one realm of a
// server, each numbered in the wire's sequence of events before it runs
// (what it makes the server send comes after it). The history records
// what the harness did and when, with the parameters it gave the server
// (the maximum offline time), never what the server made of it: the
// oracles derive that from the observed operations.
type Lifecycle struct {
	path string
	// ttl is the client maximum offline time the server compacts with.
	ttl  time.Duration
	h    *history.History
	wire *Wire
	now  func() int64

	backups []uint64 // the server backups taken, oldest first
}

// Lifecycle returns the recorder of the harness operations on realm path
// of a server compacting with maximum offline time ttl.
func (r *Recorder) Lifecycle(path string, ttl time.Duration) *Lifecycle {
	return &Lifecycle{path: path, ttl: ttl, h: r.h, wire: r.wire, now: r.now}
}

// Backup takes a backup of the realm at its latest server version.
func (l *Lifecycle) Backup(s *server.Server) error {
	seq := l.wire.Tick() // before anything the operation makes the server send
	n, err := s.Backup(l.path)
	if err != nil {
		return err
	}
	l.backups = append(l.backups, n)
	l.h.Backups = append(l.h.Backups, history.Backup{Realm: l.path, ID: int(n), Seq: seq, At: l.now()})
	return nil
}

// RestoreLatest restores the realm from the latest backup taken, if any.
func (l *Lifecycle) RestoreLatest(s *server.Server) error {
	if len(l.backups) == 0 {
		return nil
	}
	return l.Restore(s, l.backups[len(l.backups)-1])
}

// Restore restores the realm from backup n.
func (l *Lifecycle) Restore(s *server.Server, n uint64) error {
	r := history.Restore{Realm: l.path, Backup: int(n), At: l.now(), Seq: l.wire.Tick()}
	if err := s.Restore(l.path, n); err != nil {
		return err
	}
	l.h.Restores = append(l.h.Restores, r)
	return nil
}

// Enable turns the realm's sync on again after a Terminate: terminate and
// re-enable are one operation in the history, at the Enable (until then
// the old epoch stands, its sessions refused).
func (l *Lifecycle) Enable(s *server.Server) error {
	seq := l.wire.Tick()
	if err := s.Enable(l.path); err != nil {
		return err
	}
	l.h.Terminates = append(l.h.Terminates, history.Terminate{Realm: l.path, Seq: seq, At: l.now()})
	return nil
}

// Compact compacts the realm's history with the maximum offline time the
// server was given.
func (l *Lifecycle) Compact(s *server.Server) error {
	seq := l.wire.Tick()
	if err := s.Compact(l.path); err != nil {
		return err
	}
	l.h.Compactions = append(l.h.Compactions, history.Compact{Realm: l.path, At: l.now(), MaxOffline: int64(l.ttl), Seq: seq})
	return nil
}
