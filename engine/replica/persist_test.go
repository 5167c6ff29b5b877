package replica

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/sim/disk"
)

var errPowerCut = errors.New("power cut")

// crashingStorage cuts the power (disk.Crash) at the limit-th mutating
// storage operation, which fails, as does everything after it.
type crashingStorage struct {
	d     *disk.Disk
	limit int
	n     int
}

func (s *crashingStorage) tick() error {
	if s.n >= s.limit {
		return errPowerCut
	}
	s.n++
	if s.n == s.limit {
		s.d.Crash()
		return errPowerCut
	}
	return nil
}

func (s *crashingStorage) crashed() bool { return s.n >= s.limit }

func (s *crashingStorage) Open(name string) (env.File, error) {
	if err := s.tick(); err != nil {
		return nil, err
	}
	f, err := s.d.Open(name)
	return &crashingFile{File: f, s: s}, err
}

func (s *crashingStorage) Remove(name string) error {
	if err := s.tick(); err != nil {
		return err
	}
	return s.d.Remove(name)
}

func (s *crashingStorage) Rename(oldName, newName string) error {
	if err := s.tick(); err != nil {
		return err
	}
	return s.d.Rename(oldName, newName)
}

func (s *crashingStorage) List(prefix string) ([]string, error) { return s.d.List(prefix) }

type crashingFile struct {
	env.File
	s *crashingStorage
}

func (f *crashingFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.s.tick(); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

func (f *crashingFile) Truncate(size int64) error {
	if err := f.s.tick(); err != nil {
		return err
	}
	return f.File.Truncate(size)
}

func (f *crashingFile) Sync() error {
	if err := f.s.tick(); err != nil {
		return err
	}
	return f.File.Sync()
}

// workload commits writes (creating objects again is a no-op) and integrates downloads until one fails; it
// returns the state after the last change that succeeded and, if a change
// failed, the state it would have made (which a crash may or may not keep).
func workload(r *Replica) (committed, pending *store.State) {
	committed = r.State().Clone()
	for i := range 60 {
		pk := changeset.IntPK(int64(i % 4)) // the history outgrows the state
		change := &changeset.Changeset{OriginFileIdent: 3, Instructions: []changeset.Instruction{
			{Op: changeset.CreateObject, Class: "Dog", PK: pk},
			{Op: changeset.Update, Class: "Dog", PK: pk, Field: "name", Value: str(fmt.Sprintf("dog %d with a longish name", i))}}}
		var err error
		if i%5 == 4 { // a download that acknowledges every upload
			v := r.Version()
			err = r.Integrate(&protocol.Download{SessionIdent: 1, ServerVersionSalt: 77,
				DownloadCursor: protocol.DownloadCursor{ServerVersion: uint64(i), LastIntegratedClientVersion: v},
				UploadCursor:   protocol.UploadCursor{ClientVersion: v},
				Changesets:     []protocol.ServerChangeset{{ServerVersion: uint64(i), LastIntegratedClientVersion: v, Changeset: *change}}})
		} else {
			_, err = r.Write(func(tx *Tx) error {
				for _, in := range change.Instructions {
					if err := tx.apply(in); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err != nil {
			pending = committed.Clone()
			_ = pending.Apply(change)
			return committed, pending
		}
		committed = r.State().Clone()
	}
	return committed, nil
}

func TestCrashAtAnyStorageOperationKeepsEveryCommittedChange(t *testing.T) {
	for limit := 1; ; limit++ {
		d := newDisk(t, uint64(limit))
		st := &crashingStorage{d: d, limit: limit}
		r, err := OpenWith(st, "realm", &stepClock{}, testSch, Options{CompactBytes: 1500})
		if err != nil {
			require.True(t, st.crashed(), "open failed without a crash: %v", err)
			continue
		}
		var committed, pending *store.State
		identErr := r.SetIdent(5, 6)
		if identErr == nil {
			committed, pending = workload(r)
		} else {
			committed = r.State().Clone()
		}
		if !st.crashed() {
			require.Nil(t, pending)
			require.Greater(t, limit, 50, "the workload should take many storage operations")
			return
		}
		require.ErrorIs(t, r.Err(), ErrBroken)
		again, err := Open(d, "realm", &stepClock{}, testSch)
		require.NoError(t, err, "crash at operation %d", limit)
		got := again.State()
		ok := committed.Equal(got) || (pending != nil && pending.Equal(got))
		require.True(t, ok, "crash at operation %d: reopened\n%s\nwant\n%s", limit, got, committed)
		if identErr == nil {
			ident, salt := again.Ident()
			assert.Equal(t, [2]uint64{5, 6}, [2]uint64{ident, salt})
		}
	}
}

func TestCompactionKeepsTheReplicaAsItWas(t *testing.T) {
	journalSize := func(compactBytes int64) (*disk.Disk, *Replica, *store.State) {
		d := newDisk(t, 1)
		r, err := OpenWith(d, "realm", &stepClock{}, testSch, Options{CompactBytes: compactBytes})
		require.NoError(t, err)
		require.NoError(t, r.SetIdent(5, 6))
		committed, pending := workload(r)
		require.Nil(t, pending)
		return d, r, committed
	}
	_, whole, _ := journalSize(1 << 30)
	d, r, committed := journalSize(1024)
	assert.Less(t, r.j.Size(), whole.j.Size()/2, "the journal was compacted")
	require.NoError(t, r.Close())

	again, err := Open(d, "realm", &stepClock{}, testSch)
	require.NoError(t, err)
	assert.True(t, committed.Equal(again.State()))
	assert.Equal(t, r.Version(), again.Version())
	assert.Equal(t, r.Unsynced(), again.Unsynced())
	assert.Equal(t, r.recip, again.recip)
	c1, e1 := r.DownloadCursor()
	c2, e2 := again.DownloadCursor()
	assert.Equal(t, c1, c2)
	assert.Equal(t, e1, e2)
}
