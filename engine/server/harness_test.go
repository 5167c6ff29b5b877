package server_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/disk"
	"github.com/syncsim/syncsim/sim/network"
	"github.com/syncsim/syncsim/sim/rng"
)

// world is a server on the simulated network with scripted clients that
// speak the protocol message by message.
type world struct {
	t    *testing.T
	clk  *clock.Clock
	net  *network.Network
	disk *disk.Disk
	opts server.Options
	srv  *server.Server
}

type envClock struct{ c *clock.Clock }

func (e envClock) Now() env.Time { return env.Time(e.c.Now()) }
func (e envClock) AfterFunc(d time.Duration, fn func()) env.Timer {
	return e.c.AfterFunc(d, fn)
}

func newWorld(t *testing.T) *world { return newWorldWith(t, server.Options{}) }

// newWorldWith is newWorld with a server made with opts (its Address is
// set here).
func newWorldWith(t *testing.T, opts server.Options) *world {
	opts.Address = "server"
	clk := clock.New()
	r := rng.New(1)
	net, err := network.New(clk, r.Fork("net"), nil, network.Options{Latency: network.Fixed(time.Millisecond), ConnectLatency: network.Fixed(time.Millisecond)})
	require.NoError(t, err)
	d, err := disk.New(r.Fork("disk"), "server", nil, nil, disk.Options{})
	require.NoError(t, err)
	w := &world{t: t, clk: clk, net: net, disk: d, opts: opts}
	w.start()
	return w
}

func (w *world) start() {
	srv, err := server.New(envClock{w.clk}, w.net.Node("server"), w.disk, w.opts)
	require.NoError(w.t, err)
	require.NoError(w.t, srv.Start())
	w.srv = srv
}

// crash kills the server process and its unsynced disk writes, then
// starts a new one on the same disk.
func (w *world) crash() {
	w.net.Crash("server")
	w.disk.Crash()
	w.settle()
	w.start()
}

// crashIf crashes the server when crash is set: a test run both ways
// checks that what it did survives a crash and restart.
func (w *world) crashIf(crash bool) {
	if crash {
		w.crash()
	}
}

func (w *world) settle() { w.clk.RunFor(time.Second) }

// advance lets virtual time pass.
func (w *world) advance(d time.Duration) { w.clk.RunFor(d) }

// hash is the canonical hash of the server's state of path.
func (w *world) hash(path string) [32]byte {
	st, ok := w.srv.State(path)
	require.True(w.t, ok, "no realm %q", path)
	return st.Hash()
}

// peer is a scripted client connection.
type peer struct {
	w      *world
	conn   env.Conn
	got    []protocol.Message
	closed error
}

func (w *world) dial(name string) *peer {
	p := &peer{w: w}
	p.conn = w.net.Node(name).Dial("server", p)
	w.settle()
	return p
}

func (p *peer) OnOpen(env.Conn) {}
func (p *peer) OnMessage(_ env.Conn, b []byte) {
	m, err := protocol.Decode(b)
	require.NoError(p.w.t, err)
	p.got = append(p.got, m)
}
func (p *peer) OnClose(_ env.Conn, err error) {
	p.closed = err
	if err == nil {
		p.closed = errors.New("closed")
	}
}

// close closes the peer's connection (the server forgets its sessions).
func (p *peer) close() {
	p.conn.Close()
	p.w.settle()
}

func (p *peer) send(m protocol.Message) {
	require.NoError(p.w.t, p.conn.Send(protocol.Encode(m)))
	p.w.settle()
}

// take returns and forgets what arrived.
func (p *peer) take() []protocol.Message {
	got := p.got
	p.got = nil
	return got
}

func (p *peer) login(user string) (string, string) {
	p.send(&protocol.LogIn{RequestIdent: 1, Provider: "token", Credential: "user:" + user})
	res := p.take()
	require.Len(p.w.t, res, 1)
	r := res[0].(*protocol.LogInResult)
	require.Zero(p.w.t, r.Code)
	return r.User, r.AccessToken
}

// replica is the client-side bookkeeping a scripted client needs, with
// its state when the test keeps one.
type replica struct {
	session     uint64
	ident, salt uint64
	cursor      protocol.DownloadCursor
	epoch       uint64
	version     uint64
	state       *store.State
}

// open binds a new replica of path and returns it after the first DOWNLOAD.
func (p *peer) open(path, user, token string) (*replica, *protocol.Download) {
	r := &replica{session: 1}
	p.send(&protocol.Bind{SessionIdent: 1, Path: path, User: user, Token: token, NeedClientFileIdent: true})
	msgs := p.take()
	require.Len(p.w.t, msgs, 1, "%v", msgs)
	si := msgs[0].(*protocol.ServerIdent)
	r.ident, r.salt = si.ClientFileIdent, si.Salt
	p.send(&protocol.ClientIdent{SessionIdent: 1, ClientFileIdent: r.ident, ClientFileSalt: r.salt})
	d := p.download()
	r.epoch = d.ServerVersionSalt
	return r, d
}

// resume binds an existing replica of path on p's connection and
// presents its identity and cursor; it returns what the server answered.
func (p *peer) resume(r *replica, path, user, token string) []protocol.Message {
	p.send(&protocol.Bind{SessionIdent: r.session, Path: path, User: user, Token: token})
	p.send(&protocol.ClientIdent{SessionIdent: r.session, ClientFileIdent: r.ident, ClientFileSalt: r.salt,
		DownloadCursor: r.cursor, ServerVersionSalt: r.epoch})
	return p.take()
}

// expectError checks that msgs is one ERROR with code and action.
func expectError(t *testing.T, msgs []protocol.Message, code protocol.ErrorCode, action protocol.Action) *protocol.Error {
	t.Helper()
	require.Len(t, msgs, 1, "%+v", msgs)
	e, ok := msgs[0].(*protocol.Error)
	require.True(t, ok, "got %T: %+v", msgs[0], msgs[0])
	assert.Equal(t, code, e.Code, "%s", e.Message)
	assert.Equal(t, action, e.Action, "%s", e.Message)
	return e
}

// expectDownload checks that msgs is one DOWNLOAD.
func expectDownload(t *testing.T, msgs []protocol.Message) *protocol.Download {
	t.Helper()
	require.Len(t, msgs, 1, "%+v", msgs)
	d, ok := msgs[0].(*protocol.Download)
	require.True(t, ok, "got %T: %+v", msgs[0], msgs[0])
	return d
}

// local applies a changeset the replica made to its state.
func (r *replica) local(t *testing.T, cs changeset.Changeset) changeset.Changeset {
	t.Helper()
	if r.state == nil {
		r.state = store.New()
	}
	require.NoError(t, r.state.Apply(&cs))
	return cs
}

// integrate applies a download to a replica that has no changesets the
// server has not integrated, and moves its cursor.
func (r *replica) integrate(t *testing.T, d *protocol.Download) {
	t.Helper()
	if r.state == nil {
		r.state = store.New()
	}
	for _, sc := range d.Changesets {
		require.LessOrEqual(t, r.version, sc.LastIntegratedClientVersion, "a changeset concurrent with one of the replica's")
		require.NoError(t, r.state.Apply(&sc.Changeset), "server version %d", sc.ServerVersion)
	}
	r.cursor, r.epoch = d.DownloadCursor, d.ServerVersionSalt
}

func (p *peer) download() *protocol.Download {
	msgs := p.take()
	require.Len(p.w.t, msgs, 1, "%v", msgs)
	d, ok := msgs[0].(*protocol.Download)
	require.True(p.w.t, ok, "got %T: %+v", msgs[0], msgs[0])
	return d
}

// commit makes a changeset of the replica at the given origin time.
func (r *replica) commit(ts int64, ins ...changeset.Instruction) changeset.Changeset {
	r.version++
	return changeset.Changeset{Version: r.version, LastIntegratedServerVersion: r.cursor.ServerVersion,
		OriginTimestamp: ts, OriginFileIdent: r.ident, Instructions: ins}
}

func (p *peer) upload(r *replica, cs ...changeset.Changeset) {
	last := cs[len(cs)-1]
	p.send(&protocol.Upload{SessionIdent: r.session, Changesets: cs, ServerVersionSalt: r.epoch,
		UploadCursor: protocol.UploadCursor{ClientVersion: last.Version, LastIntegratedServerVersion: last.LastIntegratedServerVersion}})
}

var (
	schemaTask = []changeset.Instruction{
		{Op: changeset.AddTable, Class: "Task", PKKind: schema.Int},
		{Op: changeset.AddColumn, Class: "Task", Field: "title", Type: schema.PropType{Kind: schema.String}},
		{Op: changeset.AddColumn, Class: "Task", Field: "done", Type: schema.PropType{Kind: schema.Int}},
	}
)

func create(pk int64) changeset.Instruction {
	return changeset.Instruction{Op: changeset.CreateObject, Class: "Task", PK: changeset.IntPK(pk)}
}

func setTitle(pk int64, s string) changeset.Instruction {
	return changeset.Instruction{Op: changeset.Update, Class: "Task", PK: changeset.IntPK(pk), Field: "title",
		Value: changeset.Value{Kind: schema.String, Str: s}}
}

func add(pk, d int64) changeset.Instruction {
	return changeset.Instruction{Op: changeset.AddInteger, Class: "Task", PK: changeset.IntPK(pk), Field: "done", Delta: d}
}
