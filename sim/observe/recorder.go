// Package observe is the one recorder of a run: it turns what the clients
// of a world observed, did and were done to into a history.History, in the
// oracles' terms.
//
// A Recorder owns the history and its Wire. Wire reads the protocol
// messages crossing the simulated network, as a packet capture would, and
// turns them into the uploads, downloads, file idents and compensating
// writes of the history: it judges the server the way a Jepsen test judges
// a real system, from the outside, without reaching into engine state. A
// ClientLog (client.go, resets.go) records what one client process did
// locally — its writes, reads, waits and client resets — from the engine
// values the workload hands it; a Lifecycle (lifecycle.go) records the
// harness's own operations on a server's realm (backups, restores,
// terminate and re-enable, compaction). Faults and the final state go
// through the Recorder itself. plain.go converts the engine's states and
// changesets into the oracles' plain model.
//
// Where the recording must read the engine beyond what a client app sees
// (a reset's fresh copy, the unsynced changesets, a backup copy), it does
// so through the engine's read-only accessors named as such
// (Session.FreshState, Replica.Unsynced, Replica.PendingReset, ...).
package observe

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/sim/clock"
)

// ErrReset marks a client reset that broke a promise of its mode (a check
// the recording makes as it reads the reset).
var ErrReset = errors.New("client reset")

// Recorder records a run into its history.
type Recorder struct {
	clk  *clock.Clock
	h    *history.History
	wire *Wire
	fail func(error)
	// clients are the client logs by node name.
	clients map[string]*ClientLog
}

// NewRecorder returns a recorder of a new history, its wire tap naming
// the node server the server. fail reports a failure the recording finds
// (a reset that broke its mode's promise): the world's Fail.
func NewRecorder(clk *clock.Clock, server string, fail func(error)) *Recorder {
	r := &Recorder{clk: clk, h: &history.History{}, fail: fail, clients: map[string]*ClientLog{}}
	r.wire = NewWire(clk, server, r.h)
	r.wire.OnReset(r.resetAsked)
	return r
}

// History is the history recorded into.
func (r *Recorder) History() *history.History { return r.h }

// Wire is the network tap recording the clients' side of the history (to
// install with the network's SetTap).
func (r *Recorder) Wire() *Wire { return r.wire }

func (r *Recorder) now() int64 { return int64(r.clk.Now()) }

// Fault records a fault of kind ("fault.X" records as "X") striking node
// ("" for the network or the world: "all"), on realm if it acts on one.
// The attrs, as the trace shows them, are its detail.
func (r *Recorder) Fault(kind, node, realm string, attrs ...slog.Attr) {
	f := history.Fault{Kind: strings.TrimPrefix(kind, "fault."), Target: node, Realm: realm, At: r.now()}
	if f.Target == "" {
		f.Target = "all"
	}
	details := make([]string, len(attrs))
	for i, a := range attrs {
		details[i] = a.String()
	}
	f.Detail = strings.Join(details, " ")
	r.h.Faults = append(r.h.Faults, f)
}

// ReplicaState is a client's replica of a realm at the end of a run.
type ReplicaState struct {
	Client string
	State  *store.State
}

// Converged records the final state of realm: the server's, and the
// replicas that reached it (now), with the heal and the deadline.
func (r *Recorder) Converged(realm string, healAt, deadline clock.Time, server *store.State, replicas []ReplicaState) {
	now := r.now()
	conv := &history.Convergence{HealAt: int64(healAt), Deadline: int64(deadline),
		Servers: []history.ServerState{{Realm: realm, Hash: fmt.Sprintf("%x", server.Hash())}},
		Final:   []history.FinalState{{Realm: realm, PlainState: State(server)}}}
	for _, rs := range replicas {
		conv.Replicas = append(conv.Replicas, history.Replica{Client: rs.Client, Realm: realm,
			Hash: fmt.Sprintf("%x", rs.State.Hash()), Live: true, ReachedAt: now})
	}
	r.h.Convergence = conv
}
