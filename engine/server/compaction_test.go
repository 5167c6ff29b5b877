package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/server"
)

// TestHistoryTTL_ClientFileExpiredAndBadServerVersionBelowTheFloor: after
// a compaction, a file not seen for longer than the TTL gets
// ClientFileExpired; a file seen since whose cursor is in the trimmed
// history gets BadServerVersion, and so does an upload based there; a new
// client still syncs the whole realm.
func TestHistoryTTL_ClientFileExpiredAndBadServerVersionBelowTheFloor(t *testing.T) {
	bothWays(t, func(t *testing.T, crash bool) {
		w := newWorldWith(t, server.Options{HistoryTTL: time.Hour})
		wr, a, c := w.dial("w"), w.dial("a"), w.dial("c")
		uw, tw := wr.login("walt")
		ua, ta := a.login("alice")
		uc, tc := c.login("carol")
		rw, dw := wr.open("/tasks", uw, tw)
		rw.integrate(t, dw)
		wr.upload(rw, rw.local(t, rw.commit(1, append(schemaTask, create(1))...)))
		rw.integrate(t, wr.download())
		rc, dc := c.open("/tasks", uc, tc)
		rc.integrate(t, dc)
		require.Equal(t, uint64(1), rc.cursor.ServerVersion)
		c.close()
		wr.upload(rw, rw.local(t, rw.commit(2, setTitle(1, "two"))))
		rw.integrate(t, wr.download())
		ra, da := a.open("/tasks", ua, ta)
		ra.integrate(t, da)
		require.Equal(t, uint64(2), ra.cursor.ServerVersion)
		a.close()
		wr.close()

		// Carol comes back within the TTL but keeps her cursor (she never
		// integrated what she was sent).
		w.advance(50 * time.Minute)
		c = w.dial("c")
		expectDownload(t, c.resume(rc, "/tasks", uc, tc))
		c.close()
		w.advance(20 * time.Minute)
		x := w.dial("x")
		ux, tx := x.login("xavier")
		rx, dx := x.open("/tasks", ux, tx)
		rx.integrate(t, dx)
		x.upload(rx, rx.local(t, rx.commit(1, setTitle(1, "three"))))
		rx.integrate(t, x.download())

		require.NoError(t, w.srv.Compact("/tasks"))
		w.settle()
		assert.Empty(t, x.take(), "a live session is seen")
		w.crashIf(crash)

		a = w.dial("a")
		expectError(t, a.resume(ra, "/tasks", ua, ta), protocol.ClientFileExpired, protocol.ActionClientReset)
		c = w.dial("c")
		expectError(t, c.resume(rc, "/tasks", uc, tc), protocol.BadServerVersion, protocol.ActionClientReset)
		if crash {
			x = w.dial("x")
			rx.integrate(t, expectDownload(t, x.resume(rx, "/tasks", ux, tx)))
		}
		y := w.dial("y")
		uy, ty := y.login("yves")
		ry, _ := y.open("/tasks", uy, ty)
		ry.cursor.ServerVersion = 1 // it had downloaded version 1 only
		y.upload(ry, ry.commit(1, setTitle(1, "stale")))
		expectError(t, y.take(), protocol.BadServerVersion, protocol.ActionClientReset)

		n := w.dial("n")
		un, tn := n.login("nina")
		rn, dn := n.open("/tasks", un, tn)
		require.Len(t, dn.Changesets, 3, "a new file downloads the whole history")
		offline := rn.commit(100, setTitle(1, "offline")) // made before the download: based on version 0
		n.upload(rn, offline)
		assert.Equal(t, uint64(1), expectDownload(t, n.take()).UploadCursor.ClientVersion)
		assert.Equal(t, "offline", title(t, w, "/tasks", 1))
	})
}

// TestHistoryTTL_ZeroNeverCompacts: without a TTL nothing expires.
func TestHistoryTTL_ZeroNeverCompacts(t *testing.T) {
	w := newWorld(t)
	a := w.dial("a")
	u, tok := a.login("alice")
	r, d := a.open("/tasks", u, tok)
	r.integrate(t, d)
	a.upload(r, r.local(t, r.commit(1, append(schemaTask, create(1))...)))
	r.integrate(t, a.download())
	a.close()
	w.advance(1000 * time.Hour)
	require.NoError(t, w.srv.Compact("/tasks"))
	a = w.dial("a")
	expectDownload(t, a.resume(r, "/tasks", u, tok))
}
