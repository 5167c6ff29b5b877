package client

import (
	"errors"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/disk"
	"github.com/syncsim/syncsim/sim/network"
	"github.com/syncsim/syncsim/sim/rng"
)

// Fixed network timings, so that tests can predict when things happen.
const (
	latency        = 10 * time.Millisecond
	connectLatency = 20 * time.Millisecond
	detectDelay    = time.Second
)

// testNet is a simulated network of nodes on one virtual clock.
type testNet struct {
	t    require.TestingT
	clk  *clock.Clock
	net  *network.Network
	root *rng.Stream
}

func newTestNet(t require.TestingT) *testNet {
	return newFaultyNet(t, 1, network.Options{})
}

// newFaultyNet is a testNet whose network has the fault rates of faults
// (the timings are the fixed ones), drawing from seed.
func newFaultyNet(t require.TestingT, seed uint64, faults network.Options) *testNet {
	clk := clock.New()
	root := rng.New(seed)
	opts := faults
	opts.Latency, opts.ConnectLatency, opts.DetectDelay = network.Fixed(latency), network.Fixed(connectLatency), network.Fixed(detectDelay)
	n, err := network.New(clk, root.Fork("network"), nil, opts)
	require.NoError(t, err)
	return &testNet{t: t, clk: clk, net: n, root: root}
}

// now is the virtual time since the start.
func (n *testNet) now() time.Duration { return time.Duration(n.clk.Now()) }

// run runs the events of the next d.
func (n *testNet) run(d time.Duration) { n.clk.RunFor(d) }

// node is one client process's machine: its disk survives restarts.
type node struct {
	n     *testNet
	name  string
	disk  *disk.Disk
	tr    *dialLog
	rand  *rng.Stream
	host  *Host
	clock env.Clock
}

func (n *testNet) node(name string) *node {
	d, err := disk.New(n.root.Fork("disk/"+name), name, nil, nil, disk.Options{})
	require.NoError(n.t, err)
	nd := &node{n: n, name: name, disk: d, tr: &dialLog{Transport: n.net.Node(name), clk: n.clk},
		rand: n.root.Fork(name), clock: nodeClock{n.clk}}
	nd.start()
	return nd
}

// start starts the node's process (a new Host).
func (nd *node) start() {
	h, err := NewHost(nd.clock, nd.tr, nd.disk, nd.rand)
	require.NoError(nd.n.t, err)
	nd.host = h
}

// crash kills the process and cuts the power; start brings it back.
func (nd *node) crash() {
	nd.host.Kill()
	nd.n.net.Crash(nd.name)
	nd.disk.Crash()
}

func (nd *node) app(id string) *App {
	a, err := NewApp(nd.host, AppConfig{ID: id, BaseURL: "server", RequestTimeout: 30 * time.Second, BaseFilePath: "/data"})
	require.NoError(nd.n.t, err)
	return a
}

// nodeClock is a node's clock seam on the virtual clock.
type nodeClock struct{ c *clock.Clock }

func (c nodeClock) Now() env.Time { return env.Time(c.c.Now()) }

func (c nodeClock) AfterFunc(d time.Duration, fn func()) env.Timer { return c.c.AfterFunc(d, fn) }

// dialLog is a transport that records when it dials.
type dialLog struct {
	env.Transport
	clk   *clock.Clock
	dials []time.Duration
}

func (l *dialLog) Dial(addr string, h env.Handler) env.Conn {
	l.dials = append(l.dials, time.Duration(l.clk.Now()))
	return l.Transport.Dial(addr, h)
}

// logIn logs in with a token credential and runs until it completes,
// trying again after a timeout (on a faulty network).
func logIn(t require.TestingT, n *testNet, a *App, name string) *User {
	for range 10 {
		var user *User
		var err error
		done := false
		a.LogIn(ProviderToken, "user:"+name, func(u *User, e error) { user, err, done = u, e, true })
		for !done {
			n.run(100 * time.Millisecond)
		}
		if !errors.Is(err, ErrTimeout) {
			require.NoError(t, err)
			return user
		}
	}
	require.Fail(t, "login kept timing out")
	return nil
}

// open opens path with the given behaviour and returns the realm once
// ready (running the network until then).
func open(t require.TestingT, n *testNet, a *App, cfg RealmConfig) *Realm {
	var realm *Realm
	var err error
	done := false
	a.Open(cfg, func(r *Realm, e error) { realm, err, done = r, e, true })
	for range 36000 {
		if done {
			break
		}
		n.run(100 * time.Millisecond)
	}
	require.True(t, done, "open did not complete")
	require.NoError(t, err)
	return realm
}

var dogSchema = schema.Schema{Classes: []schema.Class{{Name: "Dog", PKKind: schema.Int, Props: []schema.Property{
	{Name: "name", Type: schema.PropType{Kind: schema.String, Nullable: true}},
	{Name: "age", Type: schema.PropType{Kind: schema.Int}},
}}}}

func config(path string, kind OpenKind) RealmConfig {
	return RealmConfig{Path: path, Schema: dogSchema, NewFile: OpenBehavior{Kind: kind}, ExistingFile: OpenBehavior{Kind: kind}}
}

// addDog writes a new dog.
func addDog(t require.TestingT, r *Realm, pk int64, name string) uint64 {
	v, err := r.Write(func(tx *replica.Tx) error {
		if err := tx.Create("Dog", changeset.IntPK(pk)); err != nil {
			return err
		}
		return tx.Set("Dog", changeset.IntPK(pk), "name", changeset.Value{Kind: schema.String, Str: name})
	})
	require.NoError(t, err)
	return v
}

// waitResult records a wait's outcome and when it came.
type waitResult struct {
	done bool
	err  error
	at   time.Duration
}

func (w *waitResult) cb(n *testNet) func(error) {
	return func(err error) {
		if w.done {
			panic("a wait completed twice")
		}
		w.done, w.err, w.at = true, err, n.now()
	}
}
