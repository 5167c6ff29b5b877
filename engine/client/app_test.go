package client

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
)

func keyed(key []byte) AppConfig {
	return AppConfig{ID: "app", BaseURL: "server", BaseFilePath: "/data", MetadataEncryptionKey: key}
}

func TestMetadataEncryptionRoundTrip(t *testing.T) {
	n := newTestNet(t)
	newFakeServer(n, "server")
	nd := n.node("client")
	key := bytes.Repeat([]byte{7}, 32)
	a, err := NewApp(nd.host, keyed(key))
	require.NoError(t, err)
	logIn(t, n, a, "secret-user")

	raw, err := readFile(nd.disk, metadataFile(keyed(key)))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "secret-user", "the metadata is encrypted")

	nd.crash()
	nd.start()
	a, err = NewApp(nd.host, keyed(key))
	require.NoError(t, err)
	require.NotNil(t, a.CurrentUser())
	assert.Equal(t, "secret-user", a.CurrentUser().ID())
	assert.True(t, a.CurrentUser().LoggedIn())
}

func TestMetadataWithTheWrongKeyIsErrWrongKey(t *testing.T) {
	n := newTestNet(t)
	newFakeServer(n, "server")
	nd := n.node("client")
	a, err := NewApp(nd.host, keyed(bytes.Repeat([]byte{7}, 32)))
	require.NoError(t, err)
	logIn(t, n, a, "u")

	plain := n.node("plain")
	p, err := NewApp(plain.host, keyed(nil))
	require.NoError(t, err)
	logIn(t, n, p, "u")

	tests := []struct {
		name string
		nd   *node
		key  []byte
	}{
		{"another key", nd, bytes.Repeat([]byte{8}, 32)},
		{"no key for encrypted metadata", nd, nil},
		{"a key for plain metadata", plain, bytes.Repeat([]byte{7}, 16)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.nd.start() // a new process, so the app is loaded again
			_, err := NewApp(tc.nd.host, keyed(tc.key))
			assert.ErrorIs(t, err, ErrWrongKey)
		})
	}
	nd.start()
	_, err = NewApp(nd.host, keyed(bytes.Repeat([]byte{7}, 31)))
	assert.ErrorContains(t, err, "key", "a key of a bad size is refused")
}

func TestAppsWithTheSameIDShareOneConnection(t *testing.T) {
	n, srv, nd, a := setup(t)
	b := nd.app("app")
	other := nd.app("other")
	logIn(t, n, other, "v")
	accepts := srv.accepts
	open(t, n, a, config("/a", DownloadBeforeOpen))
	open(t, n, b, config("/b", DownloadBeforeOpen))
	assert.Equal(t, accepts+1, srv.accepts, "one connection for both apps of id \"app\"")
	assert.Equal(t, a.CurrentUser(), b.CurrentUser(), "they share users")
	open(t, n, other, config("/c", DownloadBeforeOpen))
	assert.Equal(t, accepts+2, srv.accepts, "another app id has its own connection")
	binds := srv.received(protocol.TypeBind)
	require.Len(t, binds, 3)
	assert.NotEqual(t, binds[0].(*protocol.Bind).SessionIdent, binds[1].(*protocol.Bind).SessionIdent)
}

func TestUpdateBaseURLPausesUntilLoginThenSyncsWithTheNewServer(t *testing.T) {
	n, _, nd, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	second := newFakeServer(n, "server2")
	require.NoError(t, a.UpdateBaseURL("server2"))
	assert.Equal(t, Paused, r.Session().State())
	assert.Nil(t, a.CurrentUser(), "the user must log in again")
	n.run(time.Minute)
	assert.Empty(t, second.log, "nothing reaches the new server before the login")

	var handled []error
	r.Session().cfg.ErrorHandler = func(_ *Session, err error) { handled = append(handled, err) }
	second.realm("/p").history = []fakeEntry{{origin: 999, clientVersion: 1, cs: changeset.Changeset{
		Version: 1, OriginTimestamp: 1, OriginFileIdent: 999, Instructions: schemaInstructions(dogSchema)}}}
	logIn(t, n, a, "u")
	n.run(time.Second)
	binds := second.received(protocol.TypeBind)
	require.Len(t, binds, 2, "the session binds on the new server, then the fresh copy of its client reset")
	assert.Equal(t, "tok-server2-u", binds[0].(*protocol.Bind).Token)
	assert.False(t, binds[0].(*protocol.Bind).NeedClientFileIdent)
	assert.True(t, binds[1].(*protocol.Bind).NeedClientFileIdent)
	// The new server does not know the replica: a client reset recovers.
	reset := r.Session().LastReset()
	require.NotNil(t, reset)
	assert.Equal(t, protocol.BadClientFileIdent, reset.Error.Code)
	assert.Equal(t, RecoverUnsyncedChanges, reset.Mode)
	assert.Equal(t, Active, r.Session().State())
	assert.Empty(t, handled, "an automatic reset is no error")
	ident, _ := r.Replica().Ident()
	assert.Equal(t, second.files, ident, "the replica took the new server's client file")
	assert.Equal(t, ident, a.ClientFileIdent("u", "/p"))

	// Another App instance with a changed base URL is the same update.
	_, err := NewApp(nd.host, AppConfig{ID: "app", BaseURL: "server"})
	require.NoError(t, err)
	assert.Equal(t, "server", a.BaseURL())
	assert.Nil(t, a.CurrentUser())
}

func TestHeartbeatPingsWhenIdleAndReconnectsWithoutPong(t *testing.T) {
	n, srv, nd, a := setup(t)
	open(t, n, a, config("/p", DownloadBeforeOpen))
	n.run(90 * time.Second)
	pings := srv.received(protocol.TypePing)
	require.Len(t, pings, 1, "one PING after 60 s idle")
	n.run(60 * time.Second)
	require.Len(t, srv.received(protocol.TypePing), 2, "and again after the PONG and 60 s more")

	srv.hold = func(m protocol.Message) bool { return m.Type() == protocol.TypePing }
	dials := len(nd.tr.dials)
	var last time.Duration
	for _, r := range srv.log {
		if r.msg.Type() == protocol.TypePing {
			last = r.at
		}
	}
	// The PONG reached the client one latency after the last PING arrived;
	// the next PING goes 60 s later, and gets no PONG.
	unanswered := last + latency + pingInterval
	n.run(unanswered + pongTimeout - n.now() - time.Millisecond)
	assert.Len(t, nd.tr.dials, dials, "still waiting for the PONG")
	n.run(time.Second)
	require.Greater(t, len(nd.tr.dials), dials, "no PONG within 2 minutes: reconnect")
	gap := nd.tr.dials[dials] - (unanswered + pongTimeout)
	assert.True(t, gap >= 750*time.Millisecond && gap <= time.Second, "reconnect after the first backoff delay, not %v", gap)
}
