package workload_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/disk"
	"github.com/syncsim/syncsim/sim/workload"
)

// A script is a world driven step by step by a test: sim.World's server
// node (and any server added by hand) runs an engine server, each client
// node an app with the shared realm open in a client reset mode. The test
// writes, cuts clients off, operates the server, and runs the clock until
// what it waits for has happened.
//
// Not yet on sim/simtest: this harness runs servers with hand-picked
// server.Options (and servers added by hand), actors joining late with a
// realm config of their own, and records every reset callback's states;
// simtest runs the workload's processes. Moving it means giving simtest
// those seams first.
type script struct {
	t      *testing.T
	w      *sim.World
	server *scriptServer // the world's server node's
	actors []*actor
}

// scriptPath is the shared realm every actor opens.
const scriptPath = "/shared"

// scriptServer is a server process on a node.
type scriptServer struct {
	node *sim.Node
	srv  *server.Server
}

// actor is a client process: its app, its open realm, and what its reset
// callbacks and handlers were told.
type actor struct {
	s      *script
	node   *sim.Node
	user   string
	cfg    client.RealmConfig
	app    *client.App
	realm  *client.Realm
	before []*store.State  // each Before callback's state
	after  []resetCallback // each After callback
	manual []client.ManualReset
	errs   []error // the ErrorHandler's
	// onAfter, if set, runs at the end of each After callback, before the
	// session uploads the recovered changes.
	onAfter func()
}

// resetCallback is one After callback: copies of the states it was given.
type resetCallback struct {
	before, after *store.State
	recovered     bool
}

// resetRun is the world a scenario runs in: its seed and its network.
type resetRun struct {
	seed uint64
	net  netKind
}

func (r resetRun) String() string { return fmt.Sprintf("seed=%d,net=%s", r.seed, r.net) }

// netKind is how a world's network and clocks misbehave. A dropped
// message breaks its connection; a duplicated one may also be replayed
// on the next connection between the same nodes.
type netKind uint8

const (
	cleanNet  netKind = iota // no faults, clocks in step
	faultyNet                // 2% drops, 5% duplicates, client clocks skewed up to 2 minutes
	stressNet                // 8% drops, 20% duplicates, 10% refused dials, skewed clocks
)

func (k netKind) String() string { return [...]string{"clean", "faulty", "stress"}[k] }

// newScript starts a world for run with one client per mode: the server
// on the world's server node with opts, then each client logged in as
// u<i> with the realm open (downloaded) in its mode.
func newScript(t *testing.T, run resetRun, opts server.Options, modes ...client.ClientResetMode) *script {
	t.Helper()
	s := newWorld(t, run, len(modes), opts)
	for i, mode := range modes {
		s.join(i, sim.ServerName, mode)
	}
	return s
}

// newWorld starts a world for run with n client nodes and the server on
// the world's server node with opts; no client runs yet (see join).
func newWorld(t *testing.T, run resetRun, n int, opts server.Options) *script {
	t.Helper()
	cfg := sim.DefaultConfig(run.seed)
	cfg.Clients = n
	switch run.net {
	case faultyNet:
		cfg.MaxClockSkew = 2 * time.Minute
		cfg.Network.DropRate, cfg.Network.DuplicateRate = 0.02, 0.05
	case stressNet:
		cfg.MaxClockSkew = 2 * time.Minute
		cfg.Network.DropRate, cfg.Network.DuplicateRate, cfg.Network.RefuseRate = 0.08, 0.2, 0.1
	}
	w, err := sim.New(cfg, nil)
	require.NoError(t, err)
	s := &script{t: t, w: w}
	s.server = s.startServer(w.Server, opts)
	return s
}

// startServer starts a server process on node, listening at its name.
func (s *script) startServer(node *sim.Node, opts server.Options) *scriptServer {
	opts.Address = node.Name
	srv, err := server.New(node.Clock(), node.Net, node.Storage(), opts)
	require.NoError(s.t, err)
	require.NoError(s.t, srv.Start())
	return &scriptServer{node: node, srv: srv}
}

// addServer adds a second server node to the world by hand (the World
// has one): its own clock, network endpoint and disk, then starts a
// server on it.
func (s *script) addServer(name string, opts server.Options) *scriptServer {
	w := s.w
	d, err := disk.New(w.Rand.Fork("disk/"+name), name, func() int64 { return int64(w.Clock.Now()) }, w.Trace, w.Config.Disk)
	require.NoError(s.t, err)
	node := &sim.Node{Name: name, Local: w.Clock.NewLocal(0), Disk: d, Net: w.Net.Node(name), Rand: w.Rand.Fork(name)}
	return s.startServer(node, opts)
}

// join starts a client process on client node i whose app talks to
// baseURL: it logs user u<i> in and opens the realm in mode with
// TaskSchema.
func (s *script) join(i int, baseURL string, mode client.ClientResetMode) *actor {
	node, user := s.w.Clients[i], fmt.Sprintf("u%d", i)
	a := &actor{s: s, node: node, user: user}
	a.cfg = client.RealmConfig{
		Path:         scriptPath,
		Schema:       workload.TaskSchema,
		ErrorHandler: func(_ *client.Session, err error) { a.errs = append(a.errs, err) },
		ClientReset: client.ClientResetConfig{
			Mode:          mode,
			ManualHandler: func(m client.ManualReset) { a.manual = append(a.manual, m) },
			Before:        func(before *store.State) { a.before = append(a.before, before.Clone()) },
			After: func(before, after *store.State, recovered bool) {
				a.after = append(a.after, resetCallback{before.Clone(), after.Clone(), recovered})
				if a.onAfter != nil {
					a.onAfter()
				}
			},
		},
	}
	host, err := client.NewHost(node.Clock(), node.Net, node.Storage(), node.Rand)
	require.NoError(s.t, err)
	a.app, err = client.NewApp(host, client.AppConfig{ID: "app", BaseURL: baseURL, BaseFilePath: "app"})
	require.NoError(s.t, err)
	a.logIn()
	a.open()
	s.actors = append(s.actors, a)
	return a
}

// logIn logs the actor's user in through the app's current server,
// trying again, as an app would, after a login that timed out.
func (a *actor) logIn() {
	done := false
	var try func()
	try = func() {
		a.app.LogIn(client.ProviderToken, "user:"+a.user, func(_ *client.User, err error) {
			if errors.Is(err, client.ErrTimeout) {
				try()
				return
			}
			require.NoError(a.s.t, err, "%s logs in", a.user)
			done = true
		})
	}
	try()
	a.s.until(a.user+" logged in", patience, func() bool { return done })
}

// open opens the realm (downloading what the server has first).
func (a *actor) open() {
	done := false
	a.app.Open(a.cfg, func(r *client.Realm, err error) {
		require.NoError(a.s.t, err, "%s opens %s", a.user, scriptPath)
		a.realm, done = r, true
	})
	a.s.until(a.user+" opened the realm", patience, func() bool { return done })
}

// reopenAfresh is what an app does after a manual client reset: it
// closes the realm, deletes the local file and opens it again with sch,
// downloading the server's state into a new client file.
func (a *actor) reopenAfresh(sch schema.Schema) {
	a.realm.Close()
	require.NoError(a.s.t, a.app.DeleteRealmFile(a.app.CurrentUser(), scriptPath))
	a.cfg.Schema = sch
	a.open()
}

// write commits a write transaction; it succeeds online or offline.
func (a *actor) write(fn func(tx *replica.Tx) error) {
	_, err := a.realm.Write(fn)
	require.NoError(a.s.t, err, "%s writes", a.user)
}

// offline cuts the actor off the network; online reconnects it.
func (a *actor) offline() { a.s.w.Net.Isolate(a.node.Name) }
func (a *actor) online()  { a.s.w.Net.Rejoin(a.node.Name) }

// state is the actor's replica's current state.
func (a *actor) state() *store.State { return a.realm.State() }

// session is the actor's sync session.
func (a *actor) session() *client.Session { return a.realm.Session() }

// unsynced is a copy of the actor's unsynced changesets.
func (a *actor) unsynced() []*changeset.Changeset {
	own := a.realm.Replica().Unsynced()
	out := make([]*changeset.Changeset, 0, len(own))
	for _, cs := range own {
		c := *cs
		c.Instructions = slices.Clone(cs.Instructions)
		out = append(out, &c)
	}
	return out
}

// patience bounds the virtual time a script waits for something: enough
// for many reconnects at the 5-minute backoff cap.
const patience = time.Hour

// until runs the world's events until cond holds, failing the test if it
// does not within limit of virtual time.
func (s *script) until(what string, limit time.Duration, cond func() bool) {
	s.t.Helper()
	deadline := s.w.Clock.Now().Add(limit)
	for !cond() {
		if s.w.Clock.NextAt() > deadline || !s.w.Clock.Step() {
			s.t.Fatalf("%s: not within %v (now %v)", what, limit, s.w.Clock.Now())
		}
	}
}

// run runs the world for d of virtual time.
func (s *script) run(d time.Duration) { s.w.Clock.RunFor(d) }

// settle waits for the uploads, then the downloads, of every actor given
// (every actor if none is) to complete.
func (s *script) settle(as ...*actor) {
	s.t.Helper()
	if len(as) == 0 {
		as = s.actors
	}
	waits := []func(*client.Session, func(error)){
		func(ss *client.Session, cb func(error)) { ss.WaitForUpload(0, cb) },
		func(ss *client.Session, cb func(error)) { ss.WaitForDownload(0, cb) },
	}
	for _, wait := range waits {
		left := len(as)
		for _, a := range as {
			wait(a.session(), func(err error) {
				require.NoError(s.t, err, "%s's wait", a.user)
				left--
			})
		}
		s.until("every wait completed", patience, func() bool { return left == 0 })
	}
}

// converged checks that srv's state of the realm is want, object by
// object, and that every actor given holds exactly the server's state.
func (s *script) converged(srv *scriptServer, want map[string]string, as ...*actor) {
	s.t.Helper()
	st, ok := srv.srv.State(scriptPath)
	require.True(s.t, ok, "%s hosts the realm", srv.node.Name)
	require.Equal(s.t, want, objects(s.t, st), "%s's state", srv.node.Name)
	for _, a := range as {
		require.Equal(s.t, want, objects(s.t, a.state()), "%s holds the server's objects", a.user)
		require.Equal(s.t, st.Hash(), a.state().Hash(), "%s holds the server's state\n%s\nserver:\n%s", a.user, a.state(), st)
	}
}

// objects is a state's objects as an app reads them: "Class/pk" -> its
// fields, sorted by name, "name=value" separated by spaces.
func objects(t require.TestingT, st *store.State) map[string]string {
	out := map[string]string{}
	for _, name := range st.Classes() {
		c, _ := st.Class(name)
		props := slices.Clone(c.Props)
		slices.SortFunc(props, func(p, q schema.Property) int { return strings.Compare(p.Name, q.Name) })
		for _, pk := range st.Objects(name) {
			var fields []string
			for _, p := range props {
				if p.Type.List {
					l, err := st.List(name, pk, p.Name)
					require.NoError(t, err)
					fields = append(fields, p.Name+"="+formatList(l))
					continue
				}
				v, err := st.Get(name, pk, p.Name)
				require.NoError(t, err)
				fields = append(fields, p.Name+"="+formatValue(v))
			}
			out[name+"/"+formatPK(pk)] = strings.Join(fields, " ")
		}
	}
	return out
}

func formatPK(pk changeset.PK) string {
	if pk.Kind == schema.Int {
		return strconv.FormatInt(pk.Int, 10)
	}
	return pk.Str
}

func formatValue(v changeset.Value) string {
	switch v.Kind {
	case schema.Invalid:
		return "null"
	case schema.Int, schema.Timestamp:
		return strconv.FormatInt(v.Int, 10)
	case schema.Bool:
		return strconv.FormatBool(v.Bool)
	case schema.String:
		return strconv.Quote(v.Str)
	case schema.Double:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case schema.Link:
		return v.Class + "/" + formatPK(v.Target)
	}
	return fmt.Sprintf("%v?", v.Kind)
}

func formatList(l []changeset.Value) string {
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = formatValue(v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// task is the expected fields of a Task (TaskSchema), for want states.
type task struct {
	title    string
	done     int64
	prio     changeset.Value
	tags     []string
	owner    string // a Person's pk, "" for none
	watchers []string
}

// row is the task as objects shows it.
func (o task) row() string {
	tags := make([]changeset.Value, len(o.tags))
	for i, tag := range o.tags {
		tags[i] = strVal(tag)
	}
	watchers := make([]changeset.Value, len(o.watchers))
	for i, pk := range o.watchers {
		watchers[i] = personLink(pk)
	}
	owner := changeset.Value{}
	if o.owner != "" {
		owner = personLink(o.owner)
	}
	return fmt.Sprintf("done=%d owner=%s prio=%s tags=%s title=%s watchers=%s",
		o.done, formatValue(owner), formatValue(o.prio), formatList(tags), strconv.Quote(o.title), formatList(watchers))
}

// personRow is a Person with a name as objects shows it.
func personRow(name string) string { return "name=" + strconv.Quote(name) }

func strVal(s string) changeset.Value { return changeset.Value{Kind: schema.String, Str: s} }
func intVal(i int64) changeset.Value  { return changeset.Value{Kind: schema.Int, Int: i} }
func personLink(pk string) changeset.Value {
	return changeset.Value{Kind: schema.Link, Class: "Person", Target: changeset.StrPK(pk)}
}
func taskPK(i int64) changeset.PK { return changeset.IntPK(i) }
