package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/server"
)

// TestHistory_NamesEachChangesetAsDownloadsDoAndTheEpochSalt: History lists
// the history's changesets by origin in server order with the salt that
// downloads carry; a restore goes back to the backup's history under a new
// salt, and a re-enabled realm begins with one server-made changeset.
func TestHistory_NamesEachChangesetAsDownloadsDoAndTheEpochSalt(t *testing.T) {
	w := newWorld(t)
	_, _, ok := w.srv.History("/tasks")
	assert.False(t, ok, "no such realm yet")
	a, b := w.dial("a"), w.dial("b")
	ua, ta := a.login("alice")
	ub, tb := b.login("bob")
	ra, da := a.open("/tasks", ua, ta)
	ra.integrate(t, da)
	rb, db := b.open("/tasks", ub, tb)
	rb.integrate(t, db)
	a.upload(ra, ra.local(t, ra.commit(1, append(schemaTask, create(1))...)))
	ra.integrate(t, a.download())
	n, err := w.srv.Backup("/tasks")
	require.NoError(t, err)
	b.upload(rb, rb.commit(1, append(schemaTask, create(2))...))
	b.upload(rb, rb.commit(2, setTitle(2, "two")))
	got := a.take()
	require.NotEmpty(t, got)

	salt, origins, ok := w.srv.History("/tasks")
	require.True(t, ok)
	want := []server.Origin{{File: ra.ident, Version: 1}, {File: rb.ident, Version: 1}, {File: rb.ident, Version: 2}}
	assert.Equal(t, want, origins)
	for _, m := range got {
		d := m.(*protocol.Download)
		assert.Equal(t, d.ServerVersionSalt, salt)
		for _, c := range d.Changesets {
			assert.Equal(t, origins[c.ServerVersion-1], server.Origin{File: c.Changeset.OriginFileIdent, Version: c.Changeset.Version})
		}
	}

	require.NoError(t, w.srv.Restore("/tasks", n))
	restored, origins, _ := w.srv.History("/tasks")
	assert.NotEqual(t, salt, restored, "a new epoch")
	assert.Equal(t, want[:1], origins)

	require.NoError(t, w.srv.Terminate("/tasks"))
	require.NoError(t, w.srv.Enable("/tasks"))
	enabled, origins, _ := w.srv.History("/tasks")
	assert.NotEqual(t, restored, enabled)
	assert.Equal(t, []server.Origin{{File: 0, Version: 1}}, origins, "the state rebuilt by one server-made changeset")
}

// TestExpiredFiles_ListsWhatCompactionsExpired: a file not seen for longer
// than the TTL is listed once a compaction has expired it; a file still
// bound is not. The compaction's floor is past every entry older than the
// TTL.
func TestExpiredFiles_ListsWhatCompactionsExpired(t *testing.T) {
	w := newWorldWith(t, server.Options{HistoryTTL: time.Hour})
	a, b := w.dial("a"), w.dial("b")
	ua, ta := a.login("alice")
	ub, tb := b.login("bob")
	ra, da := a.open("/tasks", ua, ta)
	ra.integrate(t, da)
	b.open("/tasks", ub, tb)
	a.close()
	assert.Empty(t, w.srv.ExpiredFiles("/tasks"))
	w.advance(2 * time.Hour)
	assert.Empty(t, w.srv.ExpiredFiles("/tasks"), "only a compaction expires files")
	assert.Zero(t, w.srv.Floor("/tasks"), "not compacted yet")
	require.NoError(t, w.srv.Compact("/tasks"))
	assert.Equal(t, []uint64{ra.ident}, w.srv.ExpiredFiles("/tasks"))
	assert.Nil(t, w.srv.ExpiredFiles("/elsewhere"))
	_, origins, _ := w.srv.History("/tasks")
	assert.Equal(t, uint64(len(origins)), w.srv.Floor("/tasks"), "every entry is older than the TTL")
	assert.Zero(t, w.srv.Floor("/elsewhere"))
}
