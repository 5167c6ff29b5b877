package workload

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/observe"
)

// The hooks below let a script (sim/script, sim/simtest) drive a client
// and the server step by step, recorded exactly like the random workload.

// ErrNotOpen is returned by a scripted step on a client whose realm is
// not open now (crashed, still opening, or reopening after a reset).
var ErrNotOpen = errors.New("the client's realm is not open")

// Realm is the client's open realm, or nil.
func (c *Client) Realm() *client.Realm { return c.realm }

// Dead reports whether the client process is crashed.
func (c *Client) Dead() bool { return c.dead }

// Mode is the client's reset mode.
func (c *Client) Mode() client.ClientResetMode { return c.mode }

// State is the client's replica state now, or nil if its realm is not
// open.
func (c *Client) State() *store.State {
	if c.realm == nil {
		return nil
	}
	return c.realm.State()
}

// Apply runs fn as one write transaction on the client's realm, recorded
// like a random write.
func (c *Client) Apply(fn func(tx *replica.Tx) error) error {
	if c.dead || c.realm == nil {
		return fmt.Errorf("%s: write: %w", c.node.Name, ErrNotOpen)
	}
	var v uint64
	err := c.log.Write(func() (err error) {
		v, err = c.realm.Write(fn)
		return err
	})
	if err != nil {
		c.run.w.Record(c.node.Name, "sync.write.failed", slog.String("error", err.Error()))
		return fmt.Errorf("%s: write: %w", c.node.Name, err)
	}
	c.writes++
	c.run.w.Record(c.node.Name, "sync.write", slog.Uint64("version", v))
	return nil
}

// WriteRandom runs one random transaction (RandomTransaction on the
// client's stream) if the realm is open and no reset is pending; it
// reports whether it wrote.
func (c *Client) WriteRandom() bool {
	if c.dead || c.realm == nil || c.realm.Session().ResetRequired() != nil {
		return false
	}
	c.write()
	return true
}

// Read reads field of object class/pk, recorded in the history, and
// returns the value and whether the object exists.
func (c *Client) Read(class string, pk changeset.PK, field string) (changeset.Value, bool, error) {
	if c.dead || c.realm == nil {
		return changeset.Value{}, false, fmt.Errorf("%s: read: %w", c.node.Name, ErrNotOpen)
	}
	st := c.realm.State()
	var v changeset.Value
	exists := st.Exists(class, pk)
	if exists {
		var err error
		if v, err = st.Get(class, pk, field); err != nil {
			return v, exists, fmt.Errorf("%s: reading %s.%s: %w", c.node.Name, observe.ObjectName(class, pk), field, err)
		}
	}
	c.log.Read(class, pk, field, v, exists)
	return v, exists, nil
}

// WaitUpload waits for the client's upload completion, recorded in the
// history; done gets the wait's outcome.
func (c *Client) WaitUpload(done func(error)) error {
	if c.dead || c.realm == nil {
		return fmt.Errorf("%s: wait upload: %w", c.node.Name, ErrNotOpen)
	}
	c.waitUpload(done)
	return nil
}

// WaitDownload waits for the client's download completion, recorded in
// the history; done gets the wait's outcome.
func (c *Client) WaitDownload(done func(error)) error {
	if c.dead || c.realm == nil {
		return fmt.Errorf("%s: wait download: %w", c.node.Name, ErrNotOpen)
	}
	c.waitDownload(done)
	return nil
}

// Healed reports whether the heal has begun.
func (run *SyncRun) Healed() bool { return run.healed }

// ConvergedAt is when every replica was found equal to the server's
// state after the heal (0: not yet).
func (run *SyncRun) ConvergedAt() clock.Time { return run.convergedAt }

// Path is the shared realm's path.
func (run *SyncRun) Path() string { return run.cfg.Path }

// Running reports whether the server process is up.
func (s *Server) Running() bool { return s.srv != nil }

// State is the server's state of the realm now (false: the server is
// down or has no such realm).
func (s *Server) State() (*store.State, bool) {
	if s.srv == nil {
		return nil, false
	}
	return s.srv.State(s.Path())
}

// Restore restores the realm from backup n (the engine's number: the
// first backup of a realm is 1).
func (s *Server) Restore(n uint64) error {
	return s.up(func(srv *server.Server) error { return s.life.Restore(srv, n) })
}

// ChangeSchema declares sch as the realm's schema on the server: an
// additive change applies at once, a breaking one terminates and
// re-enables sync (engine/server ChangeSchema).
func (s *Server) ChangeSchema(sch schema.Schema) error {
	return s.up(func(srv *server.Server) error { return srv.ChangeSchema(s.Path(), sch) })
}
