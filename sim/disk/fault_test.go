package disk

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInjectedErrorsAtRateOneAlwaysFail(t *testing.T) {
	d, rec, _ := newDisk(t, 1, Options{ReadErrorRate: 1, WriteErrorRate: 1, SyncErrorRate: 1})
	f := open(t, d, "a")
	for i := range 50 {
		_, err := f.ReadAt(make([]byte, 1), 0)
		require.ErrorIs(t, err, ErrInjected, "read %d", i)
		_, err = f.WriteAt([]byte("x"), int64(i))
		require.ErrorIs(t, err, ErrInjected, "write %d", i)
		require.ErrorIs(t, f.Truncate(int64(i+1)), ErrInjected, "truncate %d", i)
		require.ErrorIs(t, f.Sync(), ErrInjected, "sync %d", i)
	}
	assert.Equal(t, int64(0), f.Size(), "failed writes and truncates change nothing")
	st := d.Stats()
	assert.Equal(t, 50, st.ReadErrors)
	assert.Equal(t, 100, st.WriteErrors)
	assert.Equal(t, 50, st.SyncErrors)
	assert.Len(t, rec.ofKind("disk.error"), 200)
}

func TestInjectedErrorsAtRateZeroNeverFail(t *testing.T) {
	d, rec, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	for i := range 200 {
		write(t, f, int64(i), "x")
		_, err := f.ReadAt(make([]byte, 1), int64(i))
		require.NoError(t, err)
		require.NoError(t, f.Truncate(int64(i+1)))
		require.NoError(t, f.Sync())
	}
	assert.Empty(t, rec.list)
}

func TestInjectedErrorRecordNamesOperationAndPlace(t *testing.T) {
	d, rec, now := newDisk(t, 1, Options{WriteErrorRate: 1})
	f := open(t, d, "log")
	*now = 9
	_, err := f.WriteAt([]byte("abc"), 7)
	require.ErrorIs(t, err, ErrInjected)
	require.ErrorContains(t, err, `write "log" at offset 7 (3 bytes)`)
	require.Len(t, rec.list, 1)
	e := rec.list[0]
	assert.Equal(t, `9 n1 disk.error op=write file=log off=7 len=3`, e.String())
}

func TestFailedSyncLeavesDataUnsynced(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{SyncErrorRate: 1})
	f := open(t, d, "a")
	write(t, f, 0, "lost")
	require.ErrorIs(t, f.Sync(), ErrInjected)
	assert.Equal(t, "lost", string(content(t, f)), "the data is still readable")
	d.Crash()
	assert.Equal(t, "", fileContent(t, d, "a"))
}

func TestInjectedErrorsAtHalfRateSometimesFail(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{WriteErrorRate: 0.5})
	f := open(t, d, "a")
	failed := 0
	for i := range 200 {
		if _, err := f.WriteAt([]byte("x"), int64(i)); err != nil {
			require.ErrorIs(t, err, ErrInjected)
			failed++
		}
	}
	assert.InDelta(t, 100, failed, 40)
}
