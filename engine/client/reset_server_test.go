package client

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/sim/disk"
	"github.com/syncsim/syncsim/sim/network"
)

// The reset tests against the real server (engine/server) provoke resets
// with its lifecycle operations.

// integrations counts the server's integrations per client file and
// version.
type integrations map[[2]uint64]int

func (c integrations) Integrated(_ string, _ uint64, file, version uint64) {
	c[[2]uint64{file, version}]++
}

// fromFile is how many changesets of file were integrated, and whether
// any was integrated twice.
func (c integrations) fromFile(file uint64) (n int, twice bool) {
	for k, times := range c {
		if k[0] == file {
			n++
			twice = twice || times > 1
		}
	}
	return n, twice
}

// resetWorld is a real server with clients that record their resets.
type resetWorld struct {
	t       *testing.T
	n       *testNet
	srv     *server.Server
	counted integrations
	clients []*resetClient
}

type resetClient struct {
	nd     *node
	realm  *Realm
	afters int
	manual []ManualReset
	errs   []error
}

// newResetWorld starts the server and a client per mode, each with the
// shared realm open.
func newResetWorld(t *testing.T, modes ...ClientResetMode) *resetWorld {
	n := newTestNet(t)
	w := &resetWorld{t: t, n: n, counted: integrations{}}
	d, err := disk.New(n.root.Fork("disk/server"), "server", nil, nil, disk.Options{})
	require.NoError(t, err)
	w.srv, err = server.New(nodeClock{n.clk}, n.net.Node("server"), d, server.Options{Address: "server", Observer: w.counted})
	require.NoError(t, err)
	require.NoError(t, w.srv.Start())
	for i, mode := range modes {
		c := &resetClient{nd: n.node(fmt.Sprintf("client/%d", i))}
		app := c.nd.app("app")
		logIn(t, n, app, fmt.Sprintf("user%d", i))
		cfg := RealmConfig{Path: "/shared", Schema: petSchema, ClientReset: ClientResetConfig{
			Mode:          mode,
			ManualHandler: func(m ManualReset) { c.manual = append(c.manual, m) },
			After:         func(_, _ *store.State, _ bool) { c.afters++ },
		}, ErrorHandler: func(_ *Session, err error) { c.errs = append(c.errs, err) }}
		c.realm = open(t, n, app, cfg)
		w.clients = append(w.clients, c)
	}
	return w
}

// pet writes Pet pk with a name.
func (c *resetClient) pet(t *testing.T, pk int64, name string) {
	_, err := c.realm.Write(func(tx *replica.Tx) error {
		return tx.Upsert("Pet", changeset.IntPK(pk), map[string]changeset.Value{"name": {Kind: schema.String, Str: name}})
	})
	require.NoError(t, err)
}

// settle waits for every client's uploads, then downloads, to complete.
func (w *resetWorld) settle() {
	for _, wait := range []func(s *Session, cb func(error)){
		func(s *Session, cb func(error)) { s.WaitForUpload(0, cb) },
		func(s *Session, cb func(error)) { s.WaitForDownload(0, cb) },
	} {
		results := make([]waitResult, len(w.clients))
		for i, c := range w.clients {
			wait(c.realm.Session(), results[i].cb(w.n))
		}
		w.n.run(5 * time.Minute)
		for i, r := range results {
			require.True(w.t, r.done, "client %d's wait", i)
			require.NoError(w.t, r.err, "client %d", i)
		}
	}
}

// petNames is a state's pets with their names.
func petNames(t *testing.T, s *store.State) map[int64]string {
	out := map[int64]string{}
	for _, pk := range s.Objects("Pet") {
		v, err := s.Get("Pet", pk, "name")
		require.NoError(t, err)
		out[pk.Int] = v.Str
	}
	return out
}

// converged checks that every client holds the server's state, want.
func (w *resetWorld) converged(want map[int64]string) {
	state, ok := w.srv.State("/shared")
	require.True(w.t, ok)
	assert.Equal(w.t, want, petNames(w.t, state))
	for i, c := range w.clients {
		assert.Equal(w.t, state.Hash(), c.realm.State().Hash(), "client %d\n%s\nserver\n%s", i, c.realm.State(), state)
	}
}

func TestRestoreRecoversUnsyncedChangesUploadedExactlyOnceWithNoSecondReset(t *testing.T) {
	w := newResetWorld(t, RecoverUnsyncedChanges, RecoverUnsyncedChanges)
	a, b := w.clients[0], w.clients[1]
	a.pet(t, 1, "a")
	b.pet(t, 2, "b")
	w.settle()
	backup, err := w.srv.Backup("/shared")
	require.NoError(t, err)
	a.pet(t, 3, "acknowledged, then lost in the restore")
	w.settle()
	w.n.net.Isolate(a.nd.name)
	a.pet(t, 4, "offline")
	a.pet(t, 1, "renamed offline")

	require.NoError(t, w.srv.Restore("/shared", backup))
	w.n.run(time.Minute)
	require.Equal(t, 1, b.afters, "b resets (it has nothing to recover)")
	w.n.net.Rejoin(a.nd.name)
	w.n.run(time.Minute)
	require.Equal(t, 1, a.afters, "a resets and recovers")
	w.settle()
	w.converged(map[int64]string{1: "renamed offline", 2: "b", 4: "offline"})

	ident, _ := a.realm.Replica().Ident()
	n, twice := w.counted.fromFile(ident)
	assert.Equal(t, 1, n, "the recovered changes are one changeset")
	assert.False(t, twice)
	assert.Equal(t, 1, w.counted[[2]uint64{ident, 1}], "version 1 of the new file")

	w.n.net.Disconnect(a.nd.name)
	a.pet(t, 5, "after the reset")
	w.settle()
	n, twice = w.counted.fromFile(ident)
	assert.Equal(t, 2, n, "the recovered changeset is not uploaded again, the new write is")
	assert.False(t, twice)
	for i, c := range w.clients {
		assert.Equal(t, 1, c.afters, "client %d: no second reset", i)
		assert.Empty(t, c.errs, "client %d", i)
		assert.Empty(t, c.manual, "client %d", i)
		_, pending := c.realm.Replica().PendingReset()
		assert.False(t, pending, "client %d: the reset is over", i)
	}
}

func TestTerminateAndEnableResetsEveryClientAndKeepsTheData(t *testing.T) {
	w := newResetWorld(t, RecoverUnsyncedChanges, DiscardUnsyncedChanges)
	a, b := w.clients[0], w.clients[1]
	a.pet(t, 1, "a")
	b.pet(t, 2, "b")
	w.settle()
	require.NoError(t, w.srv.Terminate("/shared"))
	a.pet(t, 3, "recovered")
	b.pet(t, 4, "discarded")
	w.n.run(time.Minute)
	require.NoError(t, w.srv.Enable("/shared"))
	w.n.run(time.Minute)
	w.settle()
	w.converged(map[int64]string{1: "a", 2: "b", 3: "recovered"})
	assert.Equal(t, RecoverUnsyncedChanges, a.realm.Session().LastReset().Mode)
	assert.Equal(t, DiscardUnsyncedChanges, b.realm.Session().LastReset().Mode)
	assert.Len(t, b.realm.Session().LastReset().Discarded, 1)
}

func TestRecoveryDisabledOnTheServerGoesToManualOrDiscard(t *testing.T) {
	w := newResetWorld(t, RecoverUnsyncedChanges, RecoverOrDiscard)
	a, b := w.clients[0], w.clients[1]
	a.pet(t, 1, "a")
	w.settle()
	backup, err := w.srv.Backup("/shared")
	require.NoError(t, err)
	require.NoError(t, w.srv.SetRecoveryMode(false))
	for _, c := range w.clients {
		w.n.net.Isolate(c.nd.name)
	}
	a.pet(t, 2, "a offline")
	b.pet(t, 3, "b offline")
	require.NoError(t, w.srv.Restore("/shared", backup))
	for _, c := range w.clients {
		w.n.net.Rejoin(c.nd.name)
	}
	w.n.run(time.Minute)
	require.Len(t, a.manual, 1, "recover without recovery goes to the manual handler")
	assert.ErrorIs(t, a.manual[0].Reason, ErrRecoveryDisabled)
	assert.Equal(t, map[int64]string{1: "a", 2: "a offline"}, petNames(t, a.realm.State()), "nothing local is touched")
	assert.Equal(t, DiscardUnsyncedChanges, b.realm.Session().LastReset().Mode, "recoverOrDiscard discards")
	assert.Equal(t, map[int64]string{1: "a"}, petNames(t, b.realm.State()))
}

func TestBreakingSchemaChangeGoesToTheManualHandler(t *testing.T) {
	w := newResetWorld(t, RecoverUnsyncedChanges, DiscardUnsyncedChanges, RecoverOrDiscard)
	w.clients[0].pet(t, 1, "a")
	w.settle()
	retyped := schema.Schema{Classes: []schema.Class{{Name: "Pet", PKKind: schema.Int, Props: []schema.Property{
		{Name: "name", Type: schema.PropType{Kind: schema.Int}},
		{Name: "n", Type: schema.PropType{Kind: schema.Int}},
		{Name: "friends", Type: schema.PropType{Kind: schema.Link, Target: "Pet", List: true}},
	}}}}
	require.NoError(t, w.srv.ChangeSchema("/shared", retyped))
	w.n.run(time.Minute)
	for i, c := range w.clients {
		require.Len(t, c.manual, 1, "client %d", i)
		assert.ErrorIs(t, c.manual[0].Reason, ErrBreakingSchemaChange, "client %d", i)
		assert.Equal(t, map[int64]string{1: "a"}, petNames(t, c.realm.State()), "client %d: nothing local is touched", i)
	}
}

// TestClientsConvergeThroughResets: clients in every mode writing
// through restores from backups, terminate/enable, recovery turned off
// and on, offline periods, pauses, connection drops and crashes (some in
// the middle of a reset) all end with the server's state; a client whose
// reset went to the manual handler deletes its realm file and opens it
// afresh, as an app would.
func TestClientsConvergeThroughResets(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		faults := network.Options{}
		if rapid.Bool().Draw(t, "faulty network") {
			faults = network.Options{DropRate: 0.05, RefuseRate: 0.1}
		}
		n := newFaultyNet(t, rapid.Uint64().Draw(t, "seed"), faults)
		srv := newRealServer(t, n)
		modes := []ClientResetMode{RecoverUnsyncedChanges, DiscardUnsyncedChanges, RecoverOrDiscard, Manual}
		var clients []*client
		cfgs := map[*client]RealmConfig{}
		openAs := func(c *client, kind OpenKind) {
			cfg := cfgs[c]
			cfg.NewFile.Kind, cfg.ExistingFile.Kind = kind, kind
			c.realm = open(t, n, c.app, cfg)
		}
		for i := range rapid.IntRange(2, 3).Draw(t, "clients") {
			c := &client{nd: n.node(fmt.Sprintf("client/%d", i))}
			c.app = c.nd.app("app")
			logIn(t, n, c.app, fmt.Sprintf("user%d", i))
			cfgs[c] = RealmConfig{Path: "/shared", Schema: petSchema,
				ClientReset: ClientResetConfig{Mode: rapid.SampledFrom(modes).Draw(t, "mode")}}
			openAs(c, DownloadBeforeOpen)
			clients = append(clients, c)
		}
		var backups []uint64
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			k := rapid.IntRange(0, len(clients)-1).Draw(t, "client")
			c := clients[k]
			switch rapid.IntRange(0, 13).Draw(t, "event") {
			case 0, 1, 2:
				randomWrite(t, c.realm, fmt.Sprintf("client %d", k))
			case 3:
				n.net.Isolate(c.nd.name)
			case 4:
				n.net.Rejoin(c.nd.name)
			case 5:
				c.nd.crash()
				c.nd.start()
				c.app = c.nd.app("app")
				openAs(c, OpenImmediately)
			case 6:
				b, err := srv.srv.Backup("/shared")
				require.NoError(t, err)
				backups = append(backups, b)
			case 7:
				if len(backups) > 0 {
					require.NoError(t, srv.srv.Restore("/shared", rapid.SampledFrom(backups).Draw(t, "backup")))
				}
			case 8:
				require.NoError(t, srv.srv.Terminate("/shared"))
				n.run(time.Duration(rapid.IntRange(0, 3000).Draw(t, "terminated ms")) * time.Millisecond)
				require.NoError(t, srv.srv.Enable("/shared"))
			case 9:
				c.realm.Session().Pause()
			case 10:
				c.realm.Session().Resume()
			case 11:
				require.NoError(t, srv.srv.SetRecoveryMode(rapid.Bool().Draw(t, "recovery")))
			default:
				n.run(time.Duration(rapid.IntRange(0, 3000).Draw(t, "ms")) * time.Millisecond)
			}
		}
		for _, c := range clients {
			n.net.Rejoin(c.nd.name)
			c.realm.Session().Resume()
		}
		n.run(time.Minute)
		for i, c := range clients {
			s := c.realm.Session()
			if s.State() != Inactive {
				continue
			}
			var m *ManualReset
			require.ErrorAs(t, s.Err(), &m, "client %d stopped", i)
			c.realm.Close()
			require.NoError(t, c.app.DeleteRealmFile(c.app.CurrentUser(), "/shared"))
			openAs(c, OpenImmediately)
		}
		settle := func(wait func(s *Session, cb func(error))) {
			results := make([]waitResult, len(clients))
			for i, c := range clients {
				wait(c.realm.Session(), results[i].cb(n))
			}
			n.run(15 * time.Minute)
			for i, r := range results {
				require.True(t, r.done, "client %d's wait did not complete", i)
				require.NoError(t, r.err, "client %d", i)
			}
		}
		settle(func(s *Session, cb func(error)) { s.WaitForUpload(0, cb) })
		settle(func(s *Session, cb func(error)) { s.WaitForDownload(0, cb) })
		want, ok := srv.srv.State("/shared")
		require.True(t, ok)
		for i, c := range clients {
			require.Equal(t, want.Hash(), c.realm.State().Hash(), "client %d\n%s\nserver\n%s", i, c.realm.State(), want)
		}
	})
}
