package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// TestFreshState_IsTheFreshCopyInBeforeAndNilOtherwise: during a reset's
// Before callback FreshState is the server's state (not the local one with
// its unsynced change); with no reset under way it is nil.
func TestFreshState_IsTheFreshCopyInBeforeAndNilOtherwise(t *testing.T) {
	n, srv, _, a := setup(t)
	cfg := config("/p", DownloadBeforeOpen)
	var r *Realm
	var fresh *store.State
	cfg.ClientReset = ClientResetConfig{Before: func(*store.State) { fresh = r.Session().FreshState().Clone() }}
	r = open(t, n, a, cfg)
	addDog(t, r, 1, "Rex")
	n.run(time.Second)
	assert.Nil(t, r.Session().FreshState())

	srv.hold = func(m protocol.Message) bool { return m.Type() == protocol.TypeUpload }
	_, err := r.Write(func(tx *replica.Tx) error {
		return tx.Set("Dog", changeset.IntPK(1), "name", changeset.Value{Kind: schema.String, Str: "local"})
	})
	require.NoError(t, err)
	srv.foreignDog("/p", 2)
	n.run(time.Second)
	srv.hold = nil
	want := store.New()
	for _, e := range srv.realm("/p").history {
		require.NoError(t, want.Apply(&e.cs))
	}
	require.False(t, want.Equal(r.State()))

	srv.sendError(false, protocol.BadClientFileIdent, protocol.ActionClientReset, 0)
	n.run(time.Second)
	require.NotNil(t, fresh, "Before was called")
	assert.True(t, want.Equal(fresh), "fresh copy\n%s\nserver\n%s", fresh, want)
	assert.Nil(t, r.Session().FreshState(), "the reset is over")
}
