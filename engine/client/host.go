package client

import (
	"errors"
	"slices"
	"time"

	"github.com/syncsim/syncsim/engine/env"
)

// Host is one client process's environment: its clock, network transport,
// storage and random source, and the process's App cache (App instances
// with the same app id share one connection and one configuration).
//
// A process crash is Kill: nothing of the host runs again (no timer fires,
// no connection event is handled) and its connections are closed, as the
// operating system closes a dead process's sockets. The restarted process
// is a new Host on the same Storage.
type Host struct {
	clk  env.Clock
	net  env.Transport
	st   env.Storage
	rand Rand
	apps map[string]*core
	dead bool
}

// NewHost returns the environment of one client process.
func NewHost(clk env.Clock, net env.Transport, st env.Storage, rand Rand) (*Host, error) {
	if clk == nil || net == nil || st == nil || rand == nil {
		return nil, errors.New("client: NewHost needs a clock, a transport, a storage and a random source")
	}
	return &Host{clk: clk, net: net, st: st, rand: rand, apps: map[string]*core{}}, nil
}

// Kill ends the process: see Host.
func (h *Host) Kill() {
	if h.dead {
		return
	}
	for _, c := range h.sortedApps() {
		c.conn.kill()
	}
	h.dead = true
}

// sortedApps returns the cached apps in app id order.
func (h *Host) sortedApps() []*core {
	ids := make([]string, 0, len(h.apps))
	for id := range h.apps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]*core, len(ids))
	for i, id := range ids {
		out[i] = h.apps[id]
	}
	return out
}

// after runs fn in d unless the process died meanwhile.
func (h *Host) after(d time.Duration, fn func()) env.Timer {
	return h.clk.AfterFunc(d, func() {
		if !h.dead {
			fn()
		}
	})
}

// stop stops t if it is set and returns nil, for "t = stop(t)".
func stop(t env.Timer) env.Timer {
	if t != nil {
		t.Stop()
	}
	return nil
}
