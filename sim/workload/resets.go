package workload

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/sim/observe"
)

// LifecycleTTL is the client maximum offline time the server of a
// lifecycle workload compacts with.
const LifecycleTTL = 3 * time.Minute

// lifecycleRoles: "limited" may not write people (its writes to them are
// reverted by compensating writes).
var lifecycleRoles = map[string]server.Role{
	"limited": {Name: "limited", Write: map[string]bool{"Person": false}},
}

var resetModes = []client.ClientResetMode{client.RecoverUnsyncedChanges, client.DiscardUnsyncedChanges,
	client.RecoverOrDiscard, client.Manual}

// resetConfig is the client's reset configuration: its mode, and the
// callbacks that record each reset for the client-reset oracle.
func (c *Client) resetConfig(h *client.Host) client.ClientResetConfig {
	live := func() bool { return c.host == h && c.realm != nil }
	return client.ClientResetConfig{
		Mode: c.mode,
		Before: func(before *store.State) {
			if live() {
				c.log.ResetBegins(before)
			}
		},
		After: func(_, after *store.State, recovered bool) {
			if live() {
				c.run.w.Record(c.node.Name, "reset.done", slog.Bool("recovered", recovered))
				c.log.ResetEnds(after, recovered)
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
func (c *Client) manual(h *client.Host, m client.ManualReset) {
	w := c.run.w
	w.Record(c.node.Name, "reset.manual", slog.String("reason", fmt.Sprint(m.Reason)))
	c.log.ResetManual(m)
	realm := c.realm
	c.node.Clock().AfterFunc(time.Second, func() {
		if c.host != h || c.realm != realm {
			return
		}
		user := realm.Session().User()
		realm.Close()
		c.realm = nil
		if err := c.app.DeleteRealmFile(user, c.run.cfg.Path); err != nil {
			w.Fail(fmt.Errorf("%w: %s: deleting the realm file after a manual reset: %w", observe.ErrReset, c.node.Name, err))
			return
		}
		// A new replica: nothing of the old one's is in it.
		c.log.NewReplica()
		c.open()
	})
}
