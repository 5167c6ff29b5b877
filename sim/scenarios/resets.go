package scenarios

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/sim"
)

// The server's lifecycle faults of the resets scenario.
const lifecycleKinds = 6

// lifecycleTTL is the client maximum offline time the resets scenario's
// server compacts with.
const lifecycleTTL = 3 * time.Minute

// lifecycleRoles: "limited" may not write people (its writes to them are
// reverted by compensating writes).
var lifecycleRoles = map[string]server.Role{
	"limited": {Name: "limited", Write: map[string]bool{"Person": false}},
}

var resetModes = []client.ClientResetMode{client.RecoverUnsyncedChanges, client.DiscardUnsyncedChanges,
	client.RecoverOrDiscard, client.Manual}

// lifecycleFault schedules server lifecycle fault k at at, undone at end.
func (run *syncRun) lifecycleFault(k int, at, end time.Duration, pick func() *syncClient) {
	w := run.w
	path := run.cfg.Path
	srv := func(fn func(s *server.Server) error) func() {
		return func() {
			if run.srv == nil {
				return // the server is down: the operation does not happen
			}
			if err := fn(run.srv); err != nil {
				w.Record(sim.ServerName, "fault.refused", slog.String("error", err.Error()))
			}
		}
	}
	switch k {
	case 0: // a backup now, a restore of the latest backup later
		run.at(at, sim.ServerName, "fault.backup", path, srv(run.backup))
		run.at(end, sim.ServerName, "fault.restore", path, srv(func(s *server.Server) error {
			if len(run.backups) == 0 {
				return nil
			}
			return run.restore(s, run.backups[len(run.backups)-1])
		}))
	case 1:
		run.at(at, sim.ServerName, "fault.terminate", path, srv(func(s *server.Server) error { return s.Terminate(path) }))
		run.at(min(at+30*time.Second, end), sim.ServerName, "fault.enable", path, srv(run.enable))
	case 2:
		run.at(at, sim.ServerName, "fault.compact", path, srv(run.compact))
	case 3:
		c := pick()
		run.at(at, c.node.Name, "fault.role", path, srv(func(s *server.Server) error { return s.SetRole(c.user, "limited") }))
		run.at(end, c.node.Name, "fault.role.end", path, srv(func(s *server.Server) error { return s.SetRole(c.user, "") }))
	case 4:
		run.at(at, sim.ServerName, "fault.recovery.off", path, srv(func(s *server.Server) error { return s.SetRecoveryMode(false) }))
		run.at(end, sim.ServerName, "fault.recovery.on", path, srv(func(s *server.Server) error { return s.SetRecoveryMode(true) }))
	case 5: // a long offline period, past the maximum offline time, and a compaction just before it ends
		c := pick()
		back := min(at+2*lifecycleTTL, end)
		run.at(at, c.node.Name, "fault.offline.long", "", func() { w.Net.Isolate(c.node.Name) })
		run.at(back-time.Second, sim.ServerName, "fault.compact", path, srv(run.compact))
		run.at(back, c.node.Name, "fault.online", "", func() { w.Net.Rejoin(c.node.Name) })
	}
}

// The harness operations on the realm, recorded in the history as the
// oracles define them, each numbered in the wire's sequence of events
// before it runs (what it makes the server send comes after it).

// The history records what the harness did and when, with the parameters
// it gave the server (the maximum offline time), never what the server
// made of it: the oracles derive that from the observed operations.

// backup takes a backup of the realm at its latest server version.
func (run *syncRun) backup(s *server.Server) error {
	seq := run.wire.Tick() // before anything the operation makes the server send
	n, err := s.Backup(run.cfg.Path)
	if err != nil {
		return err
	}
	run.backups = append(run.backups, n)
	run.h.Backups = append(run.h.Backups, history.Backup{Realm: run.cfg.Path, ID: int(n), Seq: seq, At: run.now()})
	return nil
}

// restore restores the realm from backup n.
func (run *syncRun) restore(s *server.Server, n uint64) error {
	r := history.Restore{Realm: run.cfg.Path, Backup: int(n), At: run.now(), Seq: run.wire.Tick()}
	if err := s.Restore(run.cfg.Path, n); err != nil {
		return err
	}
	run.h.Restores = append(run.h.Restores, r)
	return nil
}

// enable turns the realm's sync on again after a Terminate: terminate and
// re-enable are one operation in the history, at the Enable (until then
// the old epoch stands, its sessions refused).
func (run *syncRun) enable(s *server.Server) error {
	seq := run.wire.Tick()
	if err := s.Enable(run.cfg.Path); err != nil {
		return err
	}
	run.h.Terminates = append(run.h.Terminates, history.Terminate{Realm: run.cfg.Path, Seq: seq, At: run.now()})
	return nil
}

// compact compacts the realm's history with the maximum offline time the
// server was given (lifecycleTTL).
func (run *syncRun) compact(s *server.Server) error {
	seq := run.wire.Tick()
	if err := s.Compact(run.cfg.Path); err != nil {
		return err
	}
	run.h.Compactions = append(run.h.Compactions, history.Compact{Realm: run.cfg.Path, At: run.now(),
		MaxOffline: int64(lifecycleTTL), Seq: seq})
	return nil
}

// endLifecycle undoes what the lifecycle faults left in force at the heal:
// sync enabled, recovery on, default roles.
func (run *syncRun) endLifecycle() {
	if !run.cfg.Lifecycle || run.srv == nil {
		return
	}
	_ = run.enable(run.srv) // an error: it was not terminated
	_ = run.srv.SetRecoveryMode(true)
	for _, c := range run.clients {
		_ = run.srv.SetRole(c.user, "")
	}
}

// resetConfig is the client's reset configuration: its mode, and the
// callbacks that record each reset for the client-reset oracle.
func (c *syncClient) resetConfig(h *client.Host) client.ClientResetConfig {
	live := func() bool { return c.host == h && c.realm != nil }
	return client.ClientResetConfig{
		Mode: c.mode,
		Before: func(before *store.State) {
			if live() {
				c.resetBegins(before)
			}
		},
		After: func(_, after *store.State, recovered bool) {
			if live() {
				c.run.w.Record(c.node.Name, "reset.done", slog.Bool("recovered", recovered))
				c.resetEnds(after, recovered)
			}
		},
		ManualHandler: func(m client.ManualReset) {
			if live() {
				c.manual(h, m)
			}
		},
	}
}

// manual is the app's manual reset handler: it records the reset with its
// backup copy, then does what an app would — deletes the local file and
// opens the realm again, fresh.
func (c *syncClient) manual(h *client.Host, m client.ManualReset) {
	w := c.run.w
	w.Record(c.node.Name, "reset.manual", slog.String("reason", fmt.Sprint(m.Reason)))
	c.resetManual(m)
	realm := c.realm
	c.node.Clock().AfterFunc(time.Second, func() {
		if c.host != h || c.realm != realm {
			return
		}
		user := realm.Session().User()
		realm.Close()
		c.realm = nil
		if err := c.app.DeleteRealmFile(user, c.run.cfg.Path); err != nil {
			w.Fail(fmt.Errorf("%w: %s: deleting the realm file after a manual reset: %w", ErrReset, c.node.Name, err))
			return
		}
		// A new replica: nothing of the old one's is in it.
		c.seen, c.log.carried, c.log.unnamed = map[history.ChangesetID]bool{}, map[uint64][]history.WriteID{}, nil
		c.open()
	})
}

// ErrReset marks a client reset that broke a promise of its mode.
var ErrReset = errors.New("client reset")
