package workload

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/observe"
	"github.com/syncsim/syncsim/sim/rng"
)

// Client is one client process of the sync workload: its host, app and
// open realm on a client node. It implements faults.Session.
type Client struct {
	run    *SyncRun
	node   *sim.Node
	user   string
	host   *client.Host
	app    *client.App
	realm  *client.Realm
	dead   bool
	paused bool
	writes int
	// mode is the client's reset mode.
	mode client.ClientResetMode
	// reads draws the fields the client reads; log records what it does.
	reads *rng.Stream
	log   *observe.ClientLog
}

// Node is the client's node.
func (c *Client) Node() *sim.Node { return c.node }

// User is the client's user.
func (c *Client) User() string { return c.user }

// start starts the client process: a new host and app on the node's
// storage; it logs in if no user is cached, then opens the realm.
func (c *Client) start() {
	n := c.node
	mutants, err := c.run.w.Config.MutantSet()
	var h *client.Host
	if err == nil {
		h, err = client.NewHost(n.Clock(), n.Net, n.Storage(), n.Rand)
	}
	if err == nil {
		c.host = h
		c.app, err = client.NewApp(h, client.AppConfig{ID: "app", BaseURL: sim.ServerName, BaseFilePath: "app", Mutants: mutants})
	}
	if err != nil {
		c.run.w.Fail(fmt.Errorf("%w: %s: starting: %w", ErrSync, n.Name, err))
		return
	}
	c.dead = false
	if c.app.CurrentUser() != nil {
		c.open()
		return
	}
	c.logIn()
}

func (c *Client) logIn() {
	h := c.host
	c.app.LogIn(client.ProviderToken, "user:"+c.user, func(u *client.User, err error) {
		if c.host != h {
			return // an earlier incarnation's login
		}
		if err != nil {
			// Offline: try again later, like an app would.
			c.node.Clock().AfterFunc(10*time.Second, func() {
				if c.host == h && !c.dead {
					c.logIn()
				}
			})
			return
		}
		c.open()
	})
}

func (c *Client) open() {
	h := c.host
	cfg := client.RealmConfig{
		Path:         c.run.cfg.Path,
		Schema:       TaskSchema,
		NewFile:      client.OpenBehavior{Kind: client.OpenImmediately},
		ExistingFile: client.OpenBehavior{Kind: client.OpenImmediately},
		ErrorHandler: func(s *client.Session, err error) {
			var se *client.SyncError
			if c.host == h && !(c.run.cfg.Lifecycle && errors.As(err, &se) && !se.Fatal()) {
				c.run.w.Fail(fmt.Errorf("%w: %s: session error: %w", ErrSync, c.node.Name, err))
			}
		},
	}
	// Without lifecycle faults no reset is due: one is a session error
	// (ErrSync), not something to handle.
	if c.run.cfg.Lifecycle {
		cfg.ClientReset = c.resetConfig(h)
	}
	c.app.Open(cfg, func(r *client.Realm, err error) {
		if c.host != h {
			return
		}
		if err != nil {
			c.run.w.Fail(fmt.Errorf("%w: %s: open: %w", ErrSync, c.node.Name, err))
			return
		}
		c.realm = r
		r.Replica().AddObserver(c.log)
		if c.paused {
			r.Session().Pause()
		}
	})
}

func (c *Client) scheduleWrite() {
	c.node.Clock().AfterFunc(c.node.Rand.Exp(c.run.cfg.WriteEvery), func() {
		if c.run.healed || (c.run.cfg.MaxWrites > 0 && c.writes >= c.run.cfg.MaxWrites) {
			return
		}
		// No writes to a replica whose reset went to the manual handler:
		// the app is about to delete it.
		if !c.dead && c.realm != nil && c.realm.Session().ResetRequired() == nil {
			// A read after the write: at the same instant, the oracles
			// take the write to come first.
			c.write()
			if c.reads.Chance(0.5) {
				c.read()
			}
		}
		c.scheduleWrite()
	})
}

// write runs one random write transaction, recorded by the log.
func (c *Client) write() {
	var v uint64
	err := c.log.Write(func() (err error) {
		v, err = RandomTransaction(c.realm, c.node.Rand)
		return err
	})
	if err != nil {
		c.run.w.Record(c.node.Name, "sync.write.failed", slog.String("error", err.Error()))
		return
	}
	c.writes++
	c.run.w.Record(c.node.Name, "sync.write", slog.Uint64("version", v))
}

// readFields are the scalar and link fields the workload reads.
var readFields = []string{"title", "done", "prio", "owner"}

// read reads one field of a random object, recorded by the log.
func (c *Client) read() {
	r := c.reads
	class, pk, field := "Person", changeset.StrPK(fmt.Sprintf("p%d", r.IntN(personKeys))), "name"
	if r.Chance(0.8) {
		class, pk, field = "Task", changeset.IntPK(int64(r.IntN(taskKeys))), readFields[r.IntN(len(readFields))]
	}
	if _, _, err := c.Read(class, pk, field); err != nil {
		c.run.w.Fail(fmt.Errorf("%w: %w", ErrSync, err))
	}
}

// Crash crashes the client process and its disk; a reset under way fails.
func (c *Client) Crash() {
	if c.dead {
		return
	}
	c.log.NameWrites()
	c.log.ResetFailed()
	c.host.Kill()
	c.run.w.Net.Crash(c.node.Name)
	c.node.Disk.Crash()
	c.dead, c.realm, c.host, c.app = true, nil, nil, nil
}

// Restart starts a crashed client process again.
func (c *Client) Restart() {
	if c.dead {
		c.start()
	}
}

// Pause pauses (on) or resumes the client's sync session, now and in the
// realm it opens next.
func (c *Client) Pause(on bool) {
	c.paused = on
	if c.realm == nil {
		return
	}
	if on {
		c.realm.Session().Pause()
	} else {
		c.realm.Session().Resume()
	}
}

// waitUpload waits for c's upload completion, recorded by the log.
func (c *Client) waitUpload(done func(error)) {
	end := c.log.WaitUpload()
	c.realm.Session().WaitForUpload(0, func(err error) {
		end(err)
		done(err)
	})
}

// waitDownload waits for c's download completion, recorded by the log.
func (c *Client) waitDownload(done func(error)) {
	end := c.log.WaitDownload()
	c.realm.Session().WaitForDownload(0, func(err error) {
		end(err)
		done(err)
	})
}
