package replica

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

const (
	freshIdent = 9
	freshSalt  = 99
	freshEpoch = 5
)

// freshCopy opens a fresh copy on st that downloaded state at server
// version 3 under client file freshIdent.
func freshCopy(t *testing.T, st env.Storage, state *store.State) *Replica {
	f, err := Open(st, "realm.fresh", &stepClock{}, schema.Schema{})
	require.NoError(t, err)
	require.NoError(t, f.SetIdent(freshIdent, freshSalt))
	require.NoError(t, f.Integrate(&protocol.Download{SessionIdent: 1, ServerVersionSalt: freshEpoch, LatestServerVersion: 3,
		DownloadCursor: protocol.DownloadCursor{ServerVersion: 3},
		Changesets: []protocol.ServerChangeset{{ServerVersion: 3, Changeset: changeset.Changeset{
			Version: 1, OriginFileIdent: 77, Instructions: store.Rebuild(state)}}}}))
	return f
}

// dogs opens a replica with n dogs, synced as client file 5.
func dogs(t *testing.T, st env.Storage, clk env.Clock, n int) *Replica {
	r, err := OpenWith(st, "realm", clk, testSch, Options{CompactBytes: 1 << 30})
	require.NoError(t, err)
	require.NoError(t, r.SetIdent(5, 6))
	_, err = r.Write(func(tx *Tx) error {
		for i := range n {
			pk := changeset.IntPK(int64(i))
			if err := tx.Create("Dog", pk); err != nil {
				return err
			}
			if err := tx.Set("Dog", pk, "name", str(fmt.Sprintf("dog number %d", i))); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	return r
}

func TestPendingResetIsDurableUntilEnded(t *testing.T) {
	d := newDisk(t, 1)
	clk := &stepClock{now: 42}
	r, err := OpenWith(d, "realm", clk, testSch, Options{CompactBytes: 1024})
	require.NoError(t, err)
	_, ok := r.PendingReset()
	require.False(t, ok)
	require.NoError(t, r.BeginReset(ResetDiscard))
	require.NoError(t, r.BeginReset(ResetRecover), "a new record replaces the old")
	want := PendingReset{Mode: ResetRecover, At: 42}
	for i := range 40 { // past a compaction
		_, err := r.Write(func(tx *Tx) error {
			return tx.Upsert("Dog", changeset.IntPK(int64(i%3)), map[string]changeset.Value{"name": str(fmt.Sprint("a long enough name ", i))})
		})
		require.NoError(t, err)
	}
	d.Crash()
	r, err = Open(d, "realm", clk, testSch)
	require.NoError(t, err)
	p, ok := r.PendingReset()
	require.True(t, ok, "the record survives a crash and a compaction")
	assert.Equal(t, want, p)

	require.NoError(t, r.EndReset())
	d.Crash()
	r, err = Open(d, "realm", clk, testSch)
	require.NoError(t, err)
	_, ok = r.PendingReset()
	assert.False(t, ok, "ended for good")
	assert.Error(t, r.BeginReset(ResetMode(7)))
}

func TestAdoptTakesTheFreshCopyAndWritesOnlyTheDifference(t *testing.T) {
	d := newDisk(t, 1)
	clk := &stepClock{now: 100}
	r := dogs(t, d, clk, 200)
	require.NoError(t, r.BeginReset(ResetRecover))
	server := r.State().Clone()
	require.NoError(t, server.Apply(&changeset.Changeset{Instructions: []changeset.Instruction{
		{Op: changeset.Update, Class: "Dog", PK: rex, Field: "name", Value: str("server")}}}))
	fresh := freshCopy(t, d, server)
	recovered := []changeset.Instruction{{Op: changeset.Update, Class: "Dog", PK: rex, Field: "age", Value: num(4)}}
	target := server.Clone()
	require.NoError(t, target.Apply(&changeset.Changeset{Instructions: recovered}))

	before := r.j.Size()
	clk.now = 200
	require.NoError(t, r.Adopt(fresh, target, recovered))
	assert.Less(t, r.j.Size()-before, int64(200), "only the difference is written (the state is %d bytes)", len(server.Canonical()))
	check := func(r *Replica) {
		assert.True(t, r.State().Equal(target))
		ident, salt := r.Ident()
		assert.Equal(t, [2]uint64{freshIdent, freshSalt}, [2]uint64{ident, salt})
		cur, epoch := r.DownloadCursor()
		assert.Equal(t, protocol.DownloadCursor{ServerVersion: 3}, cur)
		assert.Equal(t, uint64(freshEpoch), epoch)
		assert.Equal(t, protocol.UploadCursor{}, r.Acked())
		assert.Equal(t, uint64(1), r.Version())
		require.Len(t, r.Unsynced(), 1)
		assert.Equal(t, &changeset.Changeset{Version: 1, LastIntegratedServerVersion: 3, OriginTimestamp: 200,
			OriginFileIdent: freshIdent, Instructions: recovered}, r.Unsynced()[0])
		p, ok := r.PendingReset()
		assert.True(t, ok)
		assert.Equal(t, PendingReset{Mode: ResetRecover, At: 100, Adopted: true, Upload: 1}, p)
	}
	check(r)
	d.Crash()
	again, err := Open(d, "realm", clk, testSch)
	require.NoError(t, err)
	check(again)
}

func TestAdoptWithNoLocalChangesLeavesTheStateAsItIs(t *testing.T) {
	d := newDisk(t, 1)
	r := dogs(t, d, &stepClock{}, 3)
	require.NoError(t, r.BeginReset(ResetDiscard))
	state := r.State()
	hash := state.Hash()
	fresh := freshCopy(t, d, state)
	before := r.j.Size()
	require.NoError(t, r.Adopt(fresh, fresh.State(), nil))
	assert.Same(t, state, r.State())
	assert.Equal(t, hash, r.State().Hash())
	ident, _ := r.Ident()
	assert.Equal(t, uint64(freshIdent), ident, "the new ident is adopted all the same")
	assert.Equal(t, uint64(0), r.Version())
	assert.Empty(t, r.Unsynced())
	_, ok := r.PendingReset()
	assert.False(t, ok, "with nothing to upload the reset is over")
	assert.Less(t, r.j.Size()-before, int64(64))
}

func TestAdoptRefusesWhatIsNotAFreshCopy(t *testing.T) {
	d := newDisk(t, 1)
	r := dogs(t, d, &stepClock{}, 1)
	noIdent, err := Open(d, "other", &stepClock{}, schema.Schema{})
	require.NoError(t, err)
	assert.Error(t, r.Adopt(noIdent, store.New(), nil))
	written, err := Open(d, "written", &stepClock{}, testSch)
	require.NoError(t, err)
	require.NoError(t, written.SetIdent(8, 8))
	assert.Error(t, r.Adopt(written, store.New(), nil), "a copy with local changes")
	assert.Error(t, r.Adopt(r, store.New(), nil), "the replica itself")
	assert.NoError(t, r.Err())
}

func TestAdoptIsAtomicAcrossPowerCuts(t *testing.T) {
	for limit := 1; ; limit++ {
		d := newDisk(t, uint64(limit))
		r := dogs(t, d, &stepClock{}, 20)
		require.NoError(t, r.BeginReset(ResetRecover))
		old := r.State().Clone()
		target := old.Clone()
		require.NoError(t, target.Apply(&changeset.Changeset{Instructions: []changeset.Instruction{
			{Op: changeset.EraseObject, Class: "Dog", PK: rex},
			{Op: changeset.CreateObject, Class: "Dog", PK: changeset.IntPK(50)}}}))
		fresh := freshCopy(t, d, target)
		require.NoError(t, r.Close())

		st := &crashingStorage{d: d, limit: limit}
		r, err := Open(st, "realm", &stepClock{}, testSch)
		if err == nil {
			err = r.Adopt(fresh, target, []changeset.Instruction{{Op: changeset.CreateObject, Class: "Dog", PK: changeset.IntPK(50)}})
		}
		if !st.crashed() {
			require.NoError(t, err)
			require.Greater(t, limit, 2)
			return
		}
		again, err := Open(d, "realm", &stepClock{}, testSch)
		require.NoError(t, err, "crash at operation %d", limit)
		ident, _ := again.Ident()
		p, ok := again.PendingReset()
		require.True(t, ok, "crash at operation %d: the record stays", limit)
		switch ident {
		case 5:
			assert.True(t, again.State().Equal(old), "crash at operation %d: not adopted, nothing changed", limit)
			assert.False(t, p.Adopted)
		case freshIdent:
			assert.True(t, again.State().Equal(target), "crash at operation %d: adopted whole", limit)
			assert.True(t, p.Adopted)
			assert.Equal(t, uint64(1), again.Version())
		default:
			require.Fail(t, "unexpected ident", "crash at operation %d: ident %d", limit, ident)
		}
	}
}
