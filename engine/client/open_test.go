package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
)

// openAt opens cfg and reports when ready was called, with what.
func openAt(n *testNet, a *App, cfg RealmConfig) (got *Realm, gotErr *error, at *time.Duration) {
	var r *Realm
	var err error
	when := time.Duration(-1)
	a.Open(cfg, func(x *Realm, e error) { r, err, when = x, e, n.now() })
	return r, &err, &when
}

func TestDownloadBeforeOpenWaitsForAllServerData(t *testing.T) {
	n, srv, _, a := setup(t)
	srv.batch = 1
	srv.delay = func(m protocol.Message) time.Duration {
		if m.Type() == protocol.TypeClientIdent {
			return 2 * time.Second
		}
		return 0
	}
	for pk := range int64(4) {
		srv.foreignDog("/p", pk)
	}
	var realm *Realm
	a.Open(config("/p", DownloadBeforeOpen), func(r *Realm, err error) {
		require.NoError(t, err)
		realm = r
		for pk := range int64(4) {
			assert.True(t, r.State().Exists("Dog", changeset.IntPK(pk)), "ready before dog %d arrived", pk)
		}
	})
	n.run(time.Second)
	assert.Nil(t, realm, "not ready while the server's data is on its way")
	n.run(5 * time.Second)
	require.NotNil(t, realm)
}

func TestOpenImmediatelyReturnsAtOnceOffline(t *testing.T) {
	n, _, _, a := setup(t)
	n.net.Isolate("client")
	r, err, at := openAt(n, a, config("/p", OpenImmediately))
	require.NoError(t, *err)
	require.NotNil(t, r, "ready was called before Open returned")
	assert.Equal(t, n.now(), *at)
	addDog(t, r, 1, "offline write")
	assert.True(t, r.State().Exists("Dog", changeset.IntPK(1)))
}

func TestOpenAfterTimeoutOpensAtTheTimeoutWhenTheServerIsUnreachable(t *testing.T) {
	n, _, _, a := setup(t)
	n.net.Isolate("client")
	cfg := config("/p", OpenAfterTimeout)
	cfg.NewFile.Timeout = 7 * time.Second
	start := n.now()
	r, err, at := openAt(n, a, cfg)
	assert.Nil(t, r)
	n.run(time.Minute)
	require.NoError(t, *err)
	assert.Equal(t, start+7*time.Second, *at)
}

func TestOpenAfterTimeoutOpensEarlierWhenTheDownloadCompletes(t *testing.T) {
	n, srv, _, a := setup(t)
	srv.foreignDog("/p", 1)
	cfg := config("/p", OpenAfterTimeout)
	cfg.NewFile.Timeout = 7 * time.Second
	start := n.now()
	var realm *Realm
	when := time.Duration(-1)
	a.Open(cfg, func(r *Realm, err error) {
		require.NoError(t, err)
		realm, when = r, n.now()
	})
	n.run(time.Minute)
	require.NotNil(t, realm)
	assert.Less(t, when, start+time.Second)
	assert.True(t, realm.State().Exists("Dog", changeset.IntPK(1)))
}

func TestExistingFileUsesTheExistingFileBehavior(t *testing.T) {
	n, _, nd, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	r.Close()
	n.run(time.Minute)
	require.Equal(t, Inactive, r.Session().State())
	n.net.Isolate("client")
	cfg := config("/p", DownloadBeforeOpen)
	cfg.ExistingFile = OpenBehavior{Kind: OpenImmediately}
	again, err, _ := openAt(n, a, cfg)
	require.NoError(t, *err)
	require.NotNil(t, again, "the file exists: open immediately")
	_ = nd
}

func TestOfflineOpenWithCachedUserAfterRestart(t *testing.T) {
	n, _, nd, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	addDog(t, r, 1, "Rex")
	nd.crash()
	n.net.Isolate("client")
	nd.start()
	a = nd.app("app")
	u := a.CurrentUser()
	require.NotNil(t, u, "the user is cached in the metadata")
	assert.Equal(t, "u", u.ID())
	again, err, _ := openAt(n, a, config("/p", OpenImmediately))
	require.NoError(t, *err)
	require.NotNil(t, again)
	assert.True(t, again.State().Exists("Dog", changeset.IntPK(1)), "the committed write survived the crash")
}

func TestOpenWithoutUserIsAnError(t *testing.T) {
	n := newTestNet(t)
	nd := n.node("client")
	a := nd.app("app")
	_, err, _ := openAt(n, a, config("/p", OpenImmediately))
	assert.ErrorIs(t, *err, ErrNoUser)
}

func TestFirstLoginOfflineFailsAfterTheRequestTimeout(t *testing.T) {
	n := newTestNet(t)
	newFakeServer(n, "server")
	nd := n.node("client")
	a := nd.app("app")
	n.net.Isolate("client")
	var err error
	when := time.Duration(-1)
	a.LogIn(ProviderAnonymous, "", func(u *User, e error) { err, when = e, n.now() })
	n.run(5 * time.Minute)
	assert.ErrorIs(t, err, ErrTimeout)
	assert.Equal(t, 30*time.Second, when)
	assert.Nil(t, a.CurrentUser())
}

func TestLoginRefusedIsALogInError(t *testing.T) {
	n := newTestNet(t)
	newFakeServer(n, "server")
	a := n.node("client").app("app")
	var err error
	a.LogIn(ProviderToken, "not a user", func(u *User, e error) { err = e })
	n.run(time.Second)
	var le *LogInError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, protocol.BadAuthentication, le.Code)
}
