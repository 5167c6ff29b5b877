package disk

import (
	"io"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadAtPastEndReturnsEOF(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	write(t, f, 0, "hello")
	p := make([]byte, 4)
	n, err := f.ReadAt(p, 3)
	assert.Equal(t, 2, n)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, "lo", string(p[:n]))
	n, err = f.ReadAt(p, 5)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)
	n, err = f.ReadAt(p, 1)
	assert.NoError(t, err)
	assert.Equal(t, "ello", string(p[:n]))
}

func TestSparseWriteFillsGapWithZeros(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	write(t, f, 3, "ab")
	assert.Equal(t, "\x00\x00\x00ab", string(content(t, f)))
	require.NoError(t, f.Sync())
	d.Crash()
	assert.Equal(t, "\x00\x00\x00ab", fileContent(t, d, "a"))
}

func TestTruncateThenGrowReadsZerosNotOldBytes(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	write(t, f, 0, "abcdef")
	require.NoError(t, f.Truncate(2))
	assert.Equal(t, int64(2), f.Size())
	require.NoError(t, f.Truncate(4))
	assert.Equal(t, "ab\x00\x00", string(content(t, f)))
	write(t, f, 5, "z")
	assert.Equal(t, "ab\x00\x00\x00z", string(content(t, f)))
	require.NoError(t, f.Sync())
	d.Crash()
	assert.Equal(t, "ab\x00\x00\x00z", fileContent(t, d, "a"))
}

func TestEmptyWriteDoesNothing(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	n, err := f.WriteAt(nil, 10)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	assert.Equal(t, int64(0), f.Size())
}

func TestNegativeOffsetsAndSizesAreRefused(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	_, err := f.ReadAt(make([]byte, 1), -1)
	assert.ErrorIs(t, err, fs.ErrInvalid)
	_, err = f.WriteAt([]byte("x"), -1)
	assert.ErrorIs(t, err, fs.ErrInvalid)
	assert.ErrorIs(t, f.Truncate(-1), fs.ErrInvalid)
}

func TestMaxFileSizeBoundsWritesTruncatesAndUnsyncedData(t *testing.T) {
	const max = 256
	d, _, _ := newDisk(t, 1, Options{MaxFileSize: max})
	f := open(t, d, "a")

	_, err := f.WriteAt([]byte("x"), max)
	require.ErrorIs(t, err, ErrTooLarge, "a write ending past the bound")
	_, err = f.WriteAt([]byte("x"), 1<<62)
	require.ErrorIs(t, err, ErrTooLarge, "a huge offset must not allocate")
	require.ErrorIs(t, f.Truncate(max+1), ErrTooLarge)
	assert.Equal(t, int64(0), f.Size(), "refused calls change nothing")

	// Unsynced writes of 100 bytes cost 164 each: the second passes 256.
	chunk := make([]byte, 100)
	_, err = f.WriteAt(chunk, 0)
	require.NoError(t, err)
	_, err = f.WriteAt(chunk, 0)
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorContains(t, err, "Sync first")
	require.NoError(t, f.Sync())
	_, err = f.WriteAt(chunk, 0)
	require.NoError(t, err, "Sync frees the unsynced budget")

	// Truncates cost 64 each, so they are bounded too.
	require.NoError(t, f.Sync())
	for i := range 4 {
		require.NoError(t, f.Truncate(int64(i%2)), "truncate %d", i)
	}
	require.ErrorIs(t, f.Truncate(0), ErrTooLarge)
	require.NoError(t, f.Truncate(1), "a truncate to the current size logs nothing")
}

func TestClosedHandleRefusesEveryCall(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	write(t, f, 0, "abc")
	require.NoError(t, f.Close())
	_, err := f.ReadAt(make([]byte, 1), 0)
	assert.ErrorIs(t, err, fs.ErrClosed)
	_, err = f.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, fs.ErrClosed)
	assert.ErrorIs(t, f.Truncate(0), fs.ErrClosed)
	assert.ErrorIs(t, f.Sync(), fs.ErrClosed)
	assert.ErrorIs(t, f.Close(), fs.ErrClosed)
	assert.Equal(t, int64(0), f.Size())
	assert.Equal(t, "abc", fileContent(t, d, "a"), "closing neither syncs nor loses data")
}
