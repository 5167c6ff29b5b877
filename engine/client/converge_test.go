package client

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/sim/disk"
	"github.com/syncsim/syncsim/sim/network"
)

// The converge tests run clients against the real server (engine/server).

var petSchema = schema.Schema{Classes: []schema.Class{{Name: "Pet", PKKind: schema.Int, Props: []schema.Property{
	{Name: "name", Type: schema.PropType{Kind: schema.String, Nullable: true}},
	{Name: "n", Type: schema.PropType{Kind: schema.Int}},
	{Name: "friends", Type: schema.PropType{Kind: schema.Link, Target: "Pet", List: true}},
}}}}

// realServer runs engine/server on its own node and disk.
type realServer struct {
	n    *testNet
	disk *disk.Disk
	srv  *server.Server
}

func newRealServer(t require.TestingT, n *testNet) *realServer {
	d, err := disk.New(n.root.Fork("disk/server"), "server", nil, nil, disk.Options{})
	require.NoError(t, err)
	s := &realServer{n: n, disk: d}
	s.start(t)
	return s
}

func (s *realServer) start(t require.TestingT) {
	srv, err := server.New(nodeClock{s.n.clk}, s.n.net.Node("server"), s.disk, server.Options{Address: "server"})
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	s.srv = srv
}

// client is a node with its app and its open realm.
type client struct {
	nd    *node
	app   *App
	realm *Realm
}

func (c *client) openRealm(t require.TestingT, n *testNet, kind OpenKind) {
	cfg := RealmConfig{Path: "/shared", Schema: petSchema, NewFile: OpenBehavior{Kind: kind}, ExistingFile: OpenBehavior{Kind: kind}}
	c.realm = open(t, n, c.app, cfg)
}

// randomWrite makes one random change through the Tx API.
func randomWrite(t *rapid.T, r *Realm, label string) {
	pk := changeset.IntPK(rapid.Int64Range(1, 4).Draw(t, label+" pet"))
	_, err := r.Write(func(tx *replica.Tx) error {
		st := tx.State()
		if !st.Exists("Pet", pk) {
			return tx.Create("Pet", pk)
		}
		switch rapid.IntRange(0, 6).Draw(t, label+" op") {
		case 0:
			return tx.Erase("Pet", pk)
		case 1:
			return tx.Set("Pet", pk, "name", changeset.Value{Kind: schema.String, Str: rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, label+" name")})
		case 2:
			return tx.Add("Pet", pk, "n", rapid.Int64Range(-2, 2).Draw(t, label+" delta"))
		}
		friends, err := st.List("Pet", pk, "friends")
		if err != nil {
			return err
		}
		to := changeset.Value{Kind: schema.Link, Class: "Pet", Target: changeset.IntPK(rapid.Int64Range(1, 4).Draw(t, label+" friend"))}
		if len(friends) == 0 || !st.Exists("Pet", to.Target) {
			if !st.Exists("Pet", to.Target) {
				return nil
			}
			return tx.ListInsert("Pet", pk, "friends", 0, to)
		}
		i := rapid.IntRange(0, len(friends)-1).Draw(t, label+" index")
		switch rapid.IntRange(0, 3).Draw(t, label+" list op") {
		case 0:
			return tx.ListInsert("Pet", pk, "friends", rapid.IntRange(0, len(friends)).Draw(t, label+" at"), to)
		case 1:
			return tx.ListErase("Pet", pk, "friends", i)
		case 2:
			return tx.ListMove("Pet", pk, "friends", i, rapid.IntRange(0, len(friends)-1).Draw(t, label+" to"))
		default:
			return tx.ListSet("Pet", pk, "friends", i, to)
		}
	})
	require.NoError(t, err)
}

// TestClientsConvergeWithTheServer: clients writing concurrently, going
// offline, pausing and crashing, all end with the server's state once the
// network heals and every upload, then every download, completes.
func TestClientsConvergeWithTheServer(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Connection drops and refused dials. (Not the stress mode's
		// duplicates and reordering: the protocol assumes in-order delivery,
		// and a replayed UPLOAD past a lost one is for the server to refuse.)
		faults := network.Options{}
		if rapid.Bool().Draw(t, "faulty network") {
			faults = network.Options{DropRate: 0.05, RefuseRate: 0.1}
		}
		n := newFaultyNet(t, rapid.Uint64().Draw(t, "seed"), faults)
		srv := newRealServer(t, n)
		var clients []*client
		for i := range rapid.IntRange(2, 3).Draw(t, "clients") {
			c := &client{nd: n.node(fmt.Sprintf("client/%d", i))}
			c.app = c.nd.app("app")
			logIn(t, n, c.app, fmt.Sprintf("user%d", i))
			c.openRealm(t, n, DownloadBeforeOpen)
			clients = append(clients, c)
		}
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			k := rapid.IntRange(0, len(clients)-1).Draw(t, "client")
			c := clients[k]
			label := fmt.Sprintf("client %d", k)
			switch rapid.IntRange(0, 9).Draw(t, "event") {
			case 0, 1, 2, 3:
				randomWrite(t, c.realm, label)
			case 4:
				n.net.Isolate(c.nd.name)
			case 5:
				n.net.Rejoin(c.nd.name)
			case 6:
				c.realm.Session().Pause()
			case 7:
				c.realm.Session().Resume()
			case 8:
				c.nd.crash()
				c.nd.start()
				c.app = c.nd.app("app")
				c.openRealm(t, n, OpenImmediately)
			case 9:
				n.run(time.Duration(rapid.IntRange(0, 3000).Draw(t, "ms")) * time.Millisecond)
			}
		}
		for _, c := range clients {
			n.net.Rejoin(c.nd.name)
			c.realm.Session().Resume()
		}
		settle := func(wait func(s *Session, cb func(error))) {
			results := make([]waitResult, len(clients))
			for i, c := range clients {
				wait(c.realm.Session(), results[i].cb(n))
			}
			n.run(15 * time.Minute)
			for i, r := range results {
				s := clients[i].realm.Session()
				require.True(t, r.done, "client %d's wait did not complete: session %v, connection %v, dials at %v",
					i, s.State(), s.ConnectionState(), clients[i].nd.tr.dials)
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
