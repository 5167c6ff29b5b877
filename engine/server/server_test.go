package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/sim/disk"
	"github.com/syncsim/syncsim/sim/rng"
)

func title(t *testing.T, w *world, path string, pk int64) string {
	st, ok := w.srv.State(path)
	require.True(t, ok)
	v, err := st.Get("Task", changeset.IntPK(pk), "title")
	require.NoError(t, err)
	return v.Str
}

func TestNewReplica_GetsIdentThenAnEmptyFirstDownload(t *testing.T) {
	w := newWorld(t)
	p := w.dial("a")
	u, tok := p.login("alice")
	r, d := p.open("/tasks", u, tok)
	assert.NotZero(t, r.ident)
	assert.Empty(t, d.Changesets)
	assert.Equal(t, protocol.UploadCursor{}, d.UploadCursor)
	assert.Equal(t, uint64(0), d.DownloadCursor.ServerVersion)
}

func TestUpload_IsAcknowledgedAndSentToOthersButNotBack(t *testing.T) {
	w := newWorld(t)
	a, b := w.dial("a"), w.dial("b")
	ua, ta := a.login("alice")
	ub, tb := b.login("bob")
	ra, _ := a.open("/tasks", ua, ta)
	rb, _ := b.open("/tasks", ub, tb)

	cs := ra.commit(10, append(schemaTask, create(1), setTitle(1, "hello"))...)
	a.upload(ra, cs)
	d := a.download()
	assert.Empty(t, d.Changesets, "a client never receives its own changesets back")
	assert.Equal(t, protocol.UploadCursor{ClientVersion: 1}, d.UploadCursor)
	assert.Equal(t, uint64(1), d.DownloadCursor.ServerVersion, "the cursor moves past it")
	assert.Equal(t, uint64(1), d.DownloadCursor.LastIntegratedClientVersion)

	db := b.download()
	require.Len(t, db.Changesets, 1)
	assert.Equal(t, uint64(1), db.Changesets[0].ServerVersion)
	assert.Equal(t, uint64(0), db.Changesets[0].LastIntegratedClientVersion)
	assert.Equal(t, ra.ident, db.Changesets[0].Changeset.OriginFileIdent)
	_ = rb
	assert.Equal(t, "hello", title(t, w, "/tasks", 1))
}

// TestUpload_ResentChangesetsAreIntegratedOnce: after a reconnect the
// client resends everything past the acknowledged cursor; the server
// integrates each client version exactly once.
func TestUpload_ResentChangesetsAreIntegratedOnce(t *testing.T) {
	w := newWorld(t)
	a := w.dial("a")
	u, tok := a.login("alice")
	r, _ := a.open("/tasks", u, tok)
	c1 := r.commit(1, append(schemaTask, create(1))...)
	c2 := r.commit(2, add(1, 5))
	a.upload(r, c1, c2)
	a.download()
	a.upload(r, c1, c2)
	a.upload(r, c2)
	st, _ := w.srv.State("/tasks")
	v, err := st.Get("Task", changeset.IntPK(1), "done")
	require.NoError(t, err)
	assert.Equal(t, int64(5), v.Int, "the add was applied once")
}

// TestConcurrentUpdates_HigherDiscriminantWinsOnTheServer, whichever
// arrives first.
func TestConcurrentUpdates_HigherDiscriminantWinsOnTheServer(t *testing.T) {
	for _, order := range []string{"later first", "earlier first"} {
		t.Run(order, func(t *testing.T) {
			w := newWorld(t)
			a, b := w.dial("a"), w.dial("b")
			ua, ta := a.login("alice")
			ub, tb := b.login("bob")
			ra, _ := a.open("/tasks", ua, ta)
			rb, _ := b.open("/tasks", ub, tb)
			a.upload(ra, ra.commit(1, append(schemaTask, create(1))...))
			a.take()
			d := b.download()
			rb.cursor = d.DownloadCursor
			ra.cursor.ServerVersion = 1
			early := ra.commit(100, setTitle(1, "early"))
			late := rb.commit(200, setTitle(1, "late"))
			if order == "later first" {
				b.upload(rb, late)
				a.upload(ra, early)
			} else {
				a.upload(ra, early)
				b.upload(rb, late)
			}
			assert.Equal(t, "late", title(t, w, "/tasks", 1))
		})
	}
}

// TestCrash_LosesNothingAcknowledged: after a crash and restart the
// server has every acknowledged changeset, and the client's cursor is
// accepted.
func TestCrash_LosesNothingAcknowledged(t *testing.T) {
	w := newWorld(t)
	a := w.dial("a")
	u, tok := a.login("alice")
	r, _ := a.open("/tasks", u, tok)
	a.upload(r, r.commit(1, append(schemaTask, create(1), setTitle(1, "kept"))...))
	d := a.download()
	require.Equal(t, uint64(1), d.UploadCursor.ClientVersion)
	r.cursor = d.DownloadCursor
	r.epoch = d.ServerVersionSalt

	w.crash()
	assert.Equal(t, "kept", title(t, w, "/tasks", 1))
	a = w.dial("a")
	a.send(&protocol.Bind{SessionIdent: 1, Path: "/tasks", User: u, Token: tok})
	a.send(&protocol.ClientIdent{SessionIdent: 1, ClientFileIdent: r.ident, ClientFileSalt: r.salt, DownloadCursor: r.cursor, ServerVersionSalt: r.epoch})
	d = a.download()
	assert.Equal(t, protocol.UploadCursor{ClientVersion: 1}, d.UploadCursor, "the login token and the file survive too")
}

func TestMark_EchoedAfterEverythingBeforeItWasSent(t *testing.T) {
	w := newWorld(t)
	a, b := w.dial("a"), w.dial("b")
	ua, ta := a.login("alice")
	ub, tb := b.login("bob")
	ra, _ := a.open("/tasks", ua, ta)
	b.open("/tasks", ub, tb)
	a.upload(ra, ra.commit(1, append(schemaTask, create(1))...))
	a.take()
	b.send(&protocol.Mark{SessionIdent: 1, RequestIdent: 7})
	msgs := b.take()
	require.Len(t, msgs, 2)
	assert.IsType(t, &protocol.Download{}, msgs[0])
	assert.Equal(t, &protocol.Mark{SessionIdent: 1, RequestIdent: 7}, msgs[1])
}

// TestClientIdent_ChecksOfTheErrorTable: each condition answers its code
// and the action the server's error table gives it.
func TestClientIdent_ChecksOfTheErrorTable(t *testing.T) {
	w := newWorld(t)
	a := w.dial("a")
	u, tok := a.login("alice")
	r, _ := a.open("/tasks", u, tok)
	a.upload(r, r.commit(1, append(schemaTask, create(1))...))
	d := a.download()
	cases := []struct {
		name  string
		ident protocol.ClientIdent
		code  protocol.ErrorCode
	}{
		{"unknown client file ident", protocol.ClientIdent{ClientFileIdent: 99, ClientFileSalt: r.salt}, protocol.BadClientFileIdent},
		{"ident salt differs", protocol.ClientIdent{ClientFileIdent: r.ident, ClientFileSalt: r.salt + 1}, protocol.DivergingHistories},
		{"server version salt differs", protocol.ClientIdent{ClientFileIdent: r.ident, ClientFileSalt: r.salt,
			DownloadCursor: protocol.DownloadCursor{ServerVersion: 1}, ServerVersionSalt: d.ServerVersionSalt + 1}, protocol.DivergingHistories},
		{"download cursor ahead of the server", protocol.ClientIdent{ClientFileIdent: r.ident, ClientFileSalt: r.salt,
			DownloadCursor: protocol.DownloadCursor{ServerVersion: 5}, ServerVersionSalt: d.ServerVersionSalt}, protocol.BadServerVersion},
		{"client version too high", protocol.ClientIdent{ClientFileIdent: r.ident, ClientFileSalt: r.salt,
			DownloadCursor: protocol.DownloadCursor{ServerVersion: 1, LastIntegratedClientVersion: 3}, ServerVersionSalt: d.ServerVersionSalt}, protocol.BadClientVersion},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := w.dial("x")
			session := uint64(i + 2)
			p.send(&protocol.Bind{SessionIdent: session, Path: "/tasks", User: u, Token: tok})
			c.ident.SessionIdent = session
			p.send(&c.ident)
			msgs := p.take()
			require.Len(t, msgs, 1)
			e, ok := msgs[0].(*protocol.Error)
			require.True(t, ok, "%+v", msgs[0])
			assert.Equal(t, c.code, e.Code)
			assert.Equal(t, c.code.Action(), e.Action)
			assert.True(t, e.Action.Reset())
		})
	}
}

func TestBind_RefusesATokenTheServerDidNotIssue(t *testing.T) {
	w := newWorld(t)
	a := w.dial("a")
	u, _ := a.login("alice")
	a.send(&protocol.Bind{SessionIdent: 1, Path: "/tasks", User: u, Token: "forged", NeedClientFileIdent: true})
	msgs := a.take()
	require.Len(t, msgs, 1)
	assert.Equal(t, protocol.BadAuthentication, msgs[0].(*protocol.Error).Code)
	assert.Equal(t, protocol.ActionLogIn, msgs[0].(*protocol.Error).Action)
}

func TestGarbage_IsABadSyntaxErrorAndACloseNotAPanic(t *testing.T) {
	w := newWorld(t)
	a := w.dial("a")
	require.NoError(t, a.conn.Send([]byte("not a message")))
	w.settle()
	w.settle()
	msgs := a.take()
	require.Len(t, msgs, 1)
	assert.Equal(t, protocol.BadSyntax, msgs[0].(*protocol.Error).Code)
	assert.Error(t, a.closed)
}

func TestUpload_ThatCannotBeIntegratedAsksForAResetWithoutRecovery(t *testing.T) {
	w := newWorld(t)
	a := w.dial("a")
	u, tok := a.login("alice")
	r, _ := a.open("/tasks", u, tok)
	bad := r.commit(1, changeset.Instruction{Op: changeset.Update, Class: "Nope", PK: changeset.IntPK(1), Field: "x",
		Value: changeset.Value{Kind: schema.Int, Int: 1}})
	a.upload(r, bad)
	msgs := a.take()
	require.Len(t, msgs, 1)
	e := msgs[0].(*protocol.Error)
	assert.Equal(t, protocol.BadChangeset, e.Code)
	assert.Equal(t, protocol.ActionClientResetNoRecovery, e.Action)
}

// TestUpload_WithAGapIsIgnoredUntilTheMissingVersionArrives: a stray copy
// of a later upload (a network can deliver one late, on a new connection)
// must not be integrated before the version it follows.
func TestUpload_WithAGapIsIgnoredUntilTheMissingVersionArrives(t *testing.T) {
	w := newWorld(t)
	a := w.dial("a")
	u, tok := a.login("alice")
	r, _ := a.open("/tasks", u, tok)
	c1 := r.commit(1, append(schemaTask, create(1))...)
	c2 := r.commit(2, setTitle(1, "two"))
	c3 := r.commit(3, setTitle(1, "three"))
	a.upload(r, c1)
	assert.Equal(t, uint64(1), a.download().UploadCursor.ClientVersion)
	a.upload(r, c3)
	assert.Empty(t, a.take(), "nothing acknowledged")
	assert.Equal(t, "", title(t, w, "/tasks", 1))
	a.upload(r, c2, c3)
	assert.Equal(t, uint64(3), a.download().UploadCursor.ClientVersion)
	assert.Equal(t, "three", title(t, w, "/tasks", 1))
}

// TestWipedServer_HandsOutOtherSalts: a server that lost its storage (or
// another server the client is pointed at) starts epochs and files under
// salts of its own, so a replica's old ident and cursor are refused with a
// reset instead of passing for ones it issued.
func TestWipedServer_HandsOutOtherSalts(t *testing.T) {
	w := newWorld(t)
	a := w.dial("a")
	u, tok := a.login("alice")
	r, d := a.open("/tasks", u, tok)
	a.upload(r, r.commit(1, append(schemaTask, create(1))...))
	d = a.download()

	w.net.Crash("server")
	w.clk.RunFor(time.Minute)
	fresh, err := disk.New(rng.New(2), "server", nil, nil, disk.Options{})
	require.NoError(t, err)
	w.disk = fresh
	w.start()
	b := w.dial("b")
	u2, tok2 := b.login("alice")
	r2, d2 := b.open("/tasks", u2, tok2)
	assert.Equal(t, r.ident, r2.ident, "the same ident number is handed out again")
	assert.NotEqual(t, r.salt, r2.salt)
	assert.NotEqual(t, d.ServerVersionSalt, d2.ServerVersionSalt)

	a = w.dial("a")
	a.send(&protocol.Bind{SessionIdent: 9, Path: "/tasks", User: u2, Token: tok2})
	a.send(&protocol.ClientIdent{SessionIdent: 9, ClientFileIdent: r.ident, ClientFileSalt: r.salt,
		DownloadCursor: d.DownloadCursor, ServerVersionSalt: d.ServerVersionSalt})
	msgs := a.take()
	require.Len(t, msgs, 1)
	e, ok := msgs[0].(*protocol.Error)
	require.True(t, ok, "%+v", msgs[0])
	assert.True(t, e.Action.Reset(), "%v", e)
}
