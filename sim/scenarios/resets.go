package scenarios

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/engine/store"
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
		w.At(at, sim.ServerName, "fault.backup", srv(func(s *server.Server) error {
			n, err := s.Backup(path)
			if err == nil {
				run.backups = append(run.backups, n)
			}
			return err
		}))
		w.At(end, sim.ServerName, "fault.restore", srv(func(s *server.Server) error {
			if len(run.backups) == 0 {
				return nil
			}
			return s.Restore(path, run.backups[len(run.backups)-1])
		}))
	case 1:
		w.At(at, sim.ServerName, "fault.terminate", srv(func(s *server.Server) error { return s.Terminate(path) }))
		w.At(min(at+30*time.Second, end), sim.ServerName, "fault.enable", srv(func(s *server.Server) error { return s.Enable(path) }))
	case 2:
		w.At(at, sim.ServerName, "fault.compact", srv(func(s *server.Server) error { return s.Compact(path) }))
	case 3:
		c := pick()
		w.At(at, c.node.Name, "fault.role", srv(func(s *server.Server) error { return s.SetRole(c.user, "limited") }))
		w.At(end, c.node.Name, "fault.role.end", srv(func(s *server.Server) error { return s.SetRole(c.user, "") }))
	case 4:
		w.At(at, sim.ServerName, "fault.recovery.off", srv(func(s *server.Server) error { return s.SetRecoveryMode(false) }))
		w.At(end, sim.ServerName, "fault.recovery.on", srv(func(s *server.Server) error { return s.SetRecoveryMode(true) }))
	case 5: // a long offline period, past the maximum offline time
		c := pick()
		w.At(at, c.node.Name, "fault.offline.long", func() { w.Net.Isolate(c.node.Name) })
		w.At(min(at+2*lifecycleTTL, end), c.node.Name, "fault.online", func() { w.Net.Rejoin(c.node.Name) })
	}
}

// endLifecycle undoes what the lifecycle faults left in force at the heal:
// sync enabled, recovery on, default roles.
func (run *syncRun) endLifecycle() {
	if !run.cfg.Lifecycle || run.srv == nil {
		return
	}
	_ = run.srv.Enable(run.cfg.Path) // an error: it was not terminated
	_ = run.srv.SetRecoveryMode(true)
	for _, c := range run.clients {
		_ = run.srv.SetRole(c.user, "")
	}
}

// resetConfig is the client's reset configuration: its mode, and the
// checks of what each mode promises.
func (c *syncClient) resetConfig(h *client.Host) client.ClientResetConfig {
	live := func() bool { return c.host == h && c.realm != nil }
	return client.ClientResetConfig{
		Mode: c.mode,
		Before: func(*store.State) {
			if live() {
				c.unsynced = versionsOf(c.realm.Replica().Unsynced())
				c.oldIdent, _ = c.realm.Replica().Ident()
			}
		},
		After: func(_, _ *store.State, recovered bool) {
			if !live() {
				return
			}
			realm, want, old := c.realm, c.unsynced, c.oldIdent
			c.run.w.Record(c.node.Name, "reset.done", slog.Bool("recovered", recovered), slog.Int("unsynced", len(want)))
			c.node.Clock().AfterFunc(0, func() { c.checkDiscard(realm, want, old) })
		},
		ManualHandler: func(m client.ManualReset) {
			if live() {
				c.manual(h, m)
			}
		},
	}
}

// checkDiscard: a discard reports every unsynced changeset it deleted.
// An unsynced changeset the server had integrated (its acknowledgement was
// lost) is not deleted but kept in the fresh copy: the wire shows it
// downloaded to this client as a changeset of its old file.
func (c *syncClient) checkDiscard(realm *client.Realm, unsynced []uint64, oldIdent uint64) {
	lr := realm.Session().LastReset()
	if lr == nil || lr.Mode != client.DiscardUnsyncedChanges {
		return
	}
	got := versionsOf(lr.Discarded)
	for _, v := range got {
		if !slices.Contains(unsynced, v) {
			c.run.w.Fail(fmt.Errorf("%w: %s: a discard reported changeset %d, which was not unsynced (%v)", ErrReset, c.node.Name, v, unsynced))
		}
	}
	for _, v := range unsynced {
		if !slices.Contains(got, v) && !c.downloaded(oldIdent, v) {
			c.run.w.Fail(fmt.Errorf("%w: %s: unsynced changeset %d of file %d was neither reported discarded nor on the server", ErrReset, c.node.Name, v, oldIdent))
		}
	}
}

// downloaded reports whether the wire showed changeset (file, version)
// downloaded to this client.
func (c *syncClient) downloaded(file, version uint64) bool {
	for _, d := range c.run.h.Downloads {
		if d.Client != c.node.Name {
			continue
		}
		for _, e := range d.Entries {
			if e.ID.File == file && e.ID.Version == version {
				return true
			}
		}
	}
	return false
}

// manual is the app's manual reset handler: it checks that the backup copy
// holds every unsynced change, then does what an app would — deletes the
// local file and opens the realm again, fresh.
func (c *syncClient) manual(h *client.Host, m client.ManualReset) {
	w := c.run.w
	w.Record(c.node.Name, "reset.manual", slog.String("reason", fmt.Sprint(m.Reason)))
	realm := c.realm
	want := versionsOf(realm.Replica().Unsynced())
	if m.BackupPath == "" {
		w.Fail(fmt.Errorf("%w: %s: the manual handler got no backup copy: %v", ErrReset, c.node.Name, m.Reason))
	} else if b, err := replica.Open(c.node.Storage(), m.BackupPath, c.node.Clock(), schema.Schema{}); err != nil {
		w.Fail(fmt.Errorf("%w: %s: the backup copy %q does not open: %w", ErrReset, c.node.Name, m.BackupPath, err))
	} else {
		if got := versionsOf(b.Unsynced()); !slices.Equal(got, want) {
			w.Fail(fmt.Errorf("%w: %s: the backup copy holds unsynced changesets %v, the replica %v", ErrReset, c.node.Name, got, want))
		}
		_ = b.Close()
	}
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
		c.open()
	})
}

// ErrReset marks a client reset that broke a promise of its mode.
var ErrReset = errors.New("client reset")

func versionsOf(cs []*changeset.Changeset) []uint64 {
	out := make([]uint64, len(cs))
	for i, c := range cs {
		out[i] = c.Version
	}
	return out
}
