package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
)

// setup is a node with an app logged in as "u" against a fake server.
func setup(t *testing.T) (*testNet, *fakeServer, *node, *App) {
	n := newTestNet(t)
	srv := newFakeServer(n, "server")
	nd := n.node("client")
	a := nd.app("app")
	logIn(t, n, a, "u")
	return n, srv, nd, a
}

func TestSessionSyncsBothWays(t *testing.T) {
	n, srv, _, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	addDog(t, r, 1, "Rex")
	srv.foreignDog("/p", 2)
	n.run(time.Second)
	assert.True(t, r.State().Exists("Dog", changeset.IntPK(2)), "downloaded")
	require.Len(t, srv.realm("/p").history, 3, "the schema changeset, the dog, the foreign dog")
	assert.Equal(t, uint64(2), r.Replica().Acked().ClientVersion, "uploaded and acknowledged")
}

func TestPauseStopsBothDirectionsAndResumeReconnectsAtOnce(t *testing.T) {
	n, srv, nd, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	s := r.Session()

	s.Pause()
	n.run(time.Second)
	assert.Equal(t, Paused, s.State())
	assert.Len(t, srv.received(protocol.TypeUnbind), 1, "pause unbinds the session on the server")
	uploads := len(srv.received(protocol.TypeUpload))
	addDog(t, r, 1, "local while paused")
	srv.foreignDog("/p", 2)
	n.run(time.Minute)
	assert.Len(t, srv.received(protocol.TypeUpload), uploads, "no upload while paused")
	assert.False(t, r.State().Exists("Dog", changeset.IntPK(2)), "no download while paused")

	// Put the connection in a long backoff: the server is unreachable for
	// a while.
	n.net.Isolate("server")
	s.Resume()
	n.run(3 * time.Minute)
	require.Greater(t, len(nd.tr.dials), 6)
	s.Pause()
	n.net.Rejoin("server")
	dials := len(nd.tr.dials)
	resumed := n.now()
	s.Resume()
	n.run(time.Second)
	require.Greater(t, len(nd.tr.dials), dials)
	assert.Equal(t, resumed, nd.tr.dials[dials], "resume dials at once, whatever the backoff was")
	assert.True(t, r.State().Exists("Dog", changeset.IntPK(2)), "downloads after resume")
	assert.Equal(t, r.Replica().Version(), r.Replica().Acked().ClientVersion, "uploads after resume")
}

func TestReconnectBackoffDoublesToFiveMinutesWithJitterAndResetsAfterSuccess(t *testing.T) {
	n, srv, nd, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	_ = srv
	n.net.Crash("server") // the server stops listening
	first := len(nd.tr.dials)
	// The client learns of the break after the detect delay, then retries
	// after each delay; a dial is refused after the connect latency.
	failed := n.now() + detectDelay
	n.run(30 * time.Minute)
	dials := nd.tr.dials[first:]
	require.Greater(t, len(dials), 12)
	nominal, jittered := time.Second, 0
	for i, at := range dials {
		gap := at - failed
		failed = at + connectLatency
		if gap < nominal {
			jittered++
		}
		assert.LessOrEqual(t, gap, nominal, "retry %d", i)
		assert.GreaterOrEqual(t, gap, nominal-nominal/4, "retry %d", i)
		nominal = min(2*nominal, 5*time.Minute)
	}
	assert.Equal(t, 5*time.Minute, nominal)
	assert.Greater(t, jittered, len(dials)/2, "the delays are jittered")

	// Back online: after a successful session, a break retries within a
	// second again.
	srv.listen()
	n.run(6 * time.Minute)
	require.Equal(t, Connected, r.Session().ConnectionState())
	n.net.Disconnect("client")
	broke := n.now()
	before := len(nd.tr.dials)
	n.run(5 * time.Second)
	require.Greater(t, len(nd.tr.dials), before)
	assert.LessOrEqual(t, nd.tr.dials[before]-broke, detectDelay+time.Second, "the backoff starts over")
}

func TestServerBackoffOverridesTheReconnectDelay(t *testing.T) {
	n, srv, nd, a := setup(t)
	open(t, n, a, config("/p", DownloadBeforeOpen))
	for _, conn := range []bool{false, true} {
		dials := len(nd.tr.dials)
		srv.sendError(conn, protocol.Transient, protocol.ActionRetry, 42*time.Second)
		sent := n.now()
		n.run(time.Minute)
		require.Greater(t, len(nd.tr.dials), dials, "connection-level %v", conn)
		assert.Equal(t, sent+latency+42*time.Second, nd.tr.dials[dials], "connection-level %v", conn)
	}
}
