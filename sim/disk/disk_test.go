package disk

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenCreatesMissingFileEmptyAndDurably(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	assert.Equal(t, int64(0), f.Size())
	d.Crash()
	names, err := d.List("")
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, names)
}

func TestOpenRefusesEmptyName(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	_, err := d.Open("")
	require.ErrorIs(t, err, fs.ErrInvalid)
}

func TestListIsSortedAndFilteredByPrefix(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	for _, name := range []string{"log/3", "b", "log/1", "a", "log/20", "lo"} {
		open(t, d, name)
	}
	all, err := d.List("")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "lo", "log/1", "log/20", "log/3"}, all)
	logs, err := d.List("log/")
	require.NoError(t, err)
	assert.Equal(t, []string{"log/1", "log/20", "log/3"}, logs)
	none, err := d.List("zzz")
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestRemoveIsDurable(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	write(t, f, 0, "data")
	require.NoError(t, f.Sync())
	require.NoError(t, d.Remove("a"))
	d.Crash()
	names, err := d.List("")
	require.NoError(t, err)
	assert.Empty(t, names)
	assert.Equal(t, "", fileContent(t, d, "a"), "a reopened removed file starts empty")
}

func TestRemoveMissingFileIsNotAnError(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	require.NoError(t, d.Remove("nothing"))
}

func TestRemovedFileStaysUsableThroughOpenHandle(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	write(t, f, 0, "old")
	require.NoError(t, d.Remove("a"))
	write(t, f, 3, "er")
	assert.Equal(t, "older", string(content(t, f)))
	assert.Equal(t, "", fileContent(t, d, "a"), "the name now opens a new empty file")
}

func TestRenameReplacesTargetAtomicallyAcrossCrash(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{TornWriteRate: 1})
	cur := open(t, d, "state")
	write(t, cur, 0, "version one")
	require.NoError(t, cur.Sync())

	tmp := open(t, d, "state.tmp")
	write(t, tmp, 0, "v2")
	require.NoError(t, tmp.Sync())
	require.NoError(t, d.Rename("state.tmp", "state"))
	d.Crash()

	names, err := d.List("")
	require.NoError(t, err)
	assert.Equal(t, []string{"state"}, names)
	assert.Equal(t, "v2", fileContent(t, d, "state"))
}

func TestRenameKeepsOnlyDurableContentOfRenamedFileAcrossCrash(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	tmp := open(t, d, "tmp")
	write(t, tmp, 0, "synced")
	require.NoError(t, tmp.Sync())
	write(t, tmp, 0, "UNSYNC")
	require.NoError(t, d.Rename("tmp", "final"))
	assert.Equal(t, "UNSYNC", fileContent(t, d, "final"), "the rename carries the current content")
	d.Crash()
	assert.Equal(t, "synced", fileContent(t, d, "final"))
}

func TestRenameHandlesFollowTheFile(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	require.NoError(t, d.Rename("a", "b"))
	write(t, f, 0, "x")
	require.NoError(t, f.Sync())
	assert.Equal(t, "x", fileContent(t, d, "b"))
}

func TestRenameRefusesMissingSourceAndEmptyTarget(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	require.ErrorIs(t, d.Rename("missing", "b"), fs.ErrNotExist)
	open(t, d, "a")
	require.ErrorIs(t, d.Rename("a", ""), fs.ErrInvalid)
	require.NoError(t, d.Rename("a", "a"), "renaming a file to itself does nothing")
	names, err := d.List("")
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, names)
}

func TestStatsCountSizesAndFaults(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{TornWriteRate: 0})
	a := open(t, d, "a")
	write(t, a, 0, "12345")
	require.NoError(t, a.Sync())
	write(t, a, 5, "678")
	b := open(t, d, "b")
	write(t, b, 2, "xy")
	require.NoError(t, b.Truncate(10))
	assert.Equal(t, Stats{Files: 2, Bytes: 8 + 10, DurableBytes: 5, UnsyncedBytes: 3 + 2}, d.Stats())
	d.Crash()
	assert.Equal(t, Stats{Files: 2, Bytes: 5, DurableBytes: 5, Crashes: 1}, d.Stats())
}
