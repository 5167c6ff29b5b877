package server_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/protocol"
)

// bothWays runs a test without and with a server crash and restart at the
// point the test chooses: every harness operation must survive one.
func bothWays(t *testing.T, test func(t *testing.T, crash bool)) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%v", crash), func(t *testing.T) { test(t, crash) })
	}
}

// TestRestore_DivergingHistoriesBadClientFileIdentBadClientVersion: after
// a restore from backup, a client whose cursor belongs to the old epoch
// gets DivergingHistories, a file made after the backup
// BadClientFileIdent, a client whose acknowledged upload the backup lacks
// BadClientVersion; a client entirely before the backup with cursor 0
// syncs on without a reset.
func TestRestore_DivergingHistoriesBadClientFileIdentBadClientVersion(t *testing.T) {
	bothWays(t, func(t *testing.T, crash bool) {
		w := newWorld(t)
		a, b, c, d := w.dial("a"), w.dial("b"), w.dial("c"), w.dial("d")
		ua, ta := a.login("alice")
		ub, tb := b.login("bob")
		uc, tc := c.login("carol")
		ud, td := d.login("dave")
		ra, da := a.open("/tasks", ua, ta)
		ra.integrate(t, da) // cursor 0, and it stays there
		rd, dd := d.open("/tasks", ud, td)
		rd.integrate(t, dd)
		rb, db := b.open("/tasks", ub, tb)
		rb.integrate(t, db)
		b.upload(rb, rb.local(t, rb.commit(1, append(schemaTask, create(1), setTitle(1, "before"))...)))
		rb.integrate(t, b.download())
		rd.integrate(t, d.download())
		require.Equal(t, protocol.DownloadCursor{ServerVersion: 1, LastIntegratedClientVersion: 1}, rb.cursor)
		before := w.hash("/tasks")

		n, err := w.srv.Backup("/tasks")
		require.NoError(t, err)
		w.crashIf(crash)
		if crash {
			a, b, c, d = w.dial("a"), w.dial("b"), w.dial("c"), w.dial("d")
		} else {
			// After the backup: dave's upload is acknowledged, carol's file is made.
			d.upload(rd, rd.local(t, rd.commit(2, setTitle(1, "after"))))
			rd.integrate(t, d.download())
			require.Equal(t, uint64(1), rd.cursor.LastIntegratedClientVersion)
		}
		rc, dc := c.open("/tasks", uc, tc)
		rc.integrate(t, dc)
		if crash {
			d.resume(rd, "/tasks", ud, td)
			d.upload(rd, rd.local(t, rd.commit(2, setTitle(1, "after"))))
			rd.integrate(t, d.download())
		}
		require.NotEqual(t, before, w.hash("/tasks"))

		require.Error(t, w.srv.Restore("/tasks", n+1), "no such backup")
		require.NoError(t, w.srv.Restore("/tasks", n))
		w.settle()
		bound := []*peer{c, d}
		if !crash {
			bound = append(bound, a, b)
		}
		for _, p := range bound {
			assert.Error(t, p.closed, "the restore closes every connection with a session of the realm")
		}
		assert.Equal(t, before, w.hash("/tasks"), "the state is the backup's")
		w.crashIf(crash)
		assert.Equal(t, before, w.hash("/tasks"), "the restore survives a restart")

		a, b, c, d = w.dial("a"), w.dial("b"), w.dial("c"), w.dial("d")
		got := expectDownload(t, a.resume(ra, "/tasks", ua, ta))
		assert.NotEqual(t, ra.epoch, got.ServerVersionSalt, "a new epoch")
		ra.integrate(t, got)
		assert.Equal(t, before, ra.state.Hash())
		expectError(t, b.resume(rb, "/tasks", ub, tb), protocol.DivergingHistories, protocol.ActionClientReset)
		expectError(t, c.resume(rc, "/tasks", uc, tc), protocol.BadClientFileIdent, protocol.ActionClientReset)
		expectError(t, d.resume(rd, "/tasks", ud, td), protocol.BadClientVersion, protocol.ActionClientReset)

		// A new file of the restored realm syncs; its ident is new.
		e := w.dial("e")
		ue, te := e.login("erin")
		re, de := e.open("/tasks", ue, te)
		re.integrate(t, de)
		assert.Greater(t, re.ident, rc.ident, "idents are never reused")
		assert.Equal(t, before, re.state.Hash())
	})
}

// TestBackup_NumbersIncreaseAndRestoreOfAnyOfThem: each backup keeps its
// own content, across restarts and restores.
func TestBackup_NumbersIncreaseAndRestoreOfAnyOfThem(t *testing.T) {
	w := newWorld(t)
	a := w.dial("a")
	u, tok := a.login("alice")
	r, _ := a.open("/tasks", u, tok)
	a.upload(r, r.commit(1, append(schemaTask, create(1), setTitle(1, "one"))...))
	r.cursor = a.download().DownloadCursor
	n1, err := w.srv.Backup("/tasks")
	require.NoError(t, err)
	a.upload(r, r.commit(2, setTitle(1, "two")))
	a.download()
	n2, err := w.srv.Backup("/tasks")
	require.NoError(t, err)
	assert.Greater(t, n2, n1)
	w.crash()
	require.NoError(t, w.srv.Restore("/tasks", n1))
	assert.Equal(t, "one", title(t, w, "/tasks", 1))
	require.NoError(t, w.srv.Restore("/tasks", n2))
	assert.Equal(t, "two", title(t, w, "/tasks", 1))
	n3, err := w.srv.Backup("/tasks")
	require.NoError(t, err)
	assert.Greater(t, n3, n2)
	w.crash()
	assert.Equal(t, "two", title(t, w, "/tasks", 1), "restores replay in order")
}

// TestTerminateEnable_BadClientFileIdentAndTheDataSurvives: terminating
// ends the sessions and refuses BINDs with a transient error; re-enabling
// forgets every client file, and a new client downloads the data as it was.
func TestTerminateEnable_BadClientFileIdentAndTheDataSurvives(t *testing.T) {
	bothWays(t, func(t *testing.T, crash bool) {
		w := newWorld(t)
		a := w.dial("a")
		u, tok := a.login("alice")
		ra, da := a.open("/tasks", u, tok)
		ra.integrate(t, da)
		a.upload(ra, ra.local(t, ra.commit(1, append(schemaTask, create(1), setTitle(1, "kept"), create(2), add(2, 3))...)))
		ra.integrate(t, a.download())
		want := w.hash("/tasks")

		require.Error(t, w.srv.Enable("/tasks"), "sync is on")
		require.NoError(t, w.srv.Terminate("/tasks"))
		w.settle()
		e := expectError(t, a.take(), protocol.Transient, protocol.ActionRetry)
		assert.Positive(t, e.Backoff)
		w.crashIf(crash)
		p := w.dial("p")
		p.send(&protocol.Bind{SessionIdent: 1, Path: "/tasks", User: u, Token: tok, NeedClientFileIdent: true})
		expectError(t, p.take(), protocol.Transient, protocol.ActionRetry)

		require.NoError(t, w.srv.Enable("/tasks"))
		w.crashIf(crash)
		assert.Equal(t, want, w.hash("/tasks"), "the data survives")
		a = w.dial("a")
		expectError(t, a.resume(ra, "/tasks", u, tok), protocol.BadClientFileIdent, protocol.ActionClientReset)

		n := w.dial("n")
		un, tn := n.login("nina")
		rn, dn := n.open("/tasks", un, tn)
		require.Len(t, dn.Changesets, 1, "the epoch begins with one changeset that creates the state")
		assert.Zero(t, dn.Changesets[0].Changeset.OriginFileIdent, "made by the server")
		assert.NotEqual(t, ra.epoch, dn.ServerVersionSalt)
		rn.integrate(t, dn)
		assert.Equal(t, want, rn.state.Hash())

		n.upload(rn, rn.local(t, rn.commit(5, setTitle(2, "new epoch"))))
		rn.integrate(t, n.download())
		assert.Equal(t, "new epoch", title(t, w, "/tasks", 2))
		assert.Equal(t, w.hash("/tasks"), rn.state.Hash())
	})
}
