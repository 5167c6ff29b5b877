package disk

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSyncedDataSurvivesCrash(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{TornWriteRate: 1})
	f := open(t, d, "a")
	write(t, f, 0, "durable")
	require.NoError(t, f.Sync())
	d.Crash()
	assert.Equal(t, "durable", fileContent(t, d, "a"))
}

func TestUnsyncedDataIsLostWithoutTornWrites(t *testing.T) {
	d, rec, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	write(t, f, 0, "durable")
	require.NoError(t, f.Sync())
	write(t, f, 0, "OVERWRITE")
	require.NoError(t, f.Truncate(3))
	write(t, f, 10, "tail")
	d.Crash()
	assert.Equal(t, "durable", fileContent(t, d, "a"))
	assert.Empty(t, rec.ofKind("disk.torn"))
}

func TestTornWriteKeepsPrefixOfUnsyncedOperations(t *testing.T) {
	// With one unsynced write the cut is 0: a strict prefix of it survives.
	for seed := range uint64(20) {
		d, rec, _ := newDisk(t, seed, Options{TornWriteRate: 1})
		f := open(t, d, "a")
		write(t, f, 0, "0123456789")
		require.NoError(t, f.Sync())
		write(t, f, 4, "abcdefghij")
		d.Crash()
		torn := rec.ofKind("disk.torn")
		require.Len(t, torn, 1)
		kept := int(torn[0].attr("kept").Int64())
		require.Less(t, kept, 10)
		want := "0123" + "abcdefghij"[:kept]
		if len(want) < 10 {
			want += "0123456789"[len(want):]
		}
		assert.Equal(t, want, fileContent(t, d, "a"), "seed %d", seed)
	}
}

func TestCrashRecordsHaveStableAttributes(t *testing.T) {
	d, rec, now := newDisk(t, 3, Options{TornWriteRate: 1})
	a := open(t, d, "a")
	write(t, a, 0, "xyz")
	open(t, d, "b")
	*now = 42
	d.Crash()
	require.Len(t, rec.list, 2)
	keys := func(e event) string {
		var k []string
		for _, a := range e.attrs {
			k = append(k, a.Key)
		}
		return strings.Join(k, ",")
	}
	crash, torn := rec.list[0], rec.list[1]
	assert.Equal(t, "disk.crash", crash.kind)
	assert.Equal(t, int64(42), crash.t)
	assert.Equal(t, "n1", crash.node)
	assert.Equal(t, "files,unsynced,torn", keys(crash))
	assert.Equal(t, []slog.Attr{slog.Int("files", 2), slog.Int("unsynced", 1), slog.Int("torn", 1)}, crash.attrs)
	assert.Equal(t, "disk.torn", torn.kind)
	assert.Equal(t, "file,cut,ops,op,kept", keys(torn))
	assert.Equal(t, "a", torn.attr("file").String())
	assert.Equal(t, "write", torn.attr("op").String())
}

func TestOldHandlesFailAfterCrash(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	write(t, f, 0, "abc")
	require.NoError(t, f.Sync())
	d.Crash()
	_, err := f.ReadAt(make([]byte, 1), 0)
	assert.ErrorIs(t, err, ErrCrashed)
	_, err = f.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, ErrCrashed)
	assert.ErrorIs(t, f.Truncate(0), ErrCrashed)
	assert.ErrorIs(t, f.Sync(), ErrCrashed)
	assert.ErrorIs(t, f.Close(), ErrCrashed)
	assert.Equal(t, int64(0), f.Size())

	g := open(t, d, "a")
	assert.Equal(t, "abc", string(content(t, g)), "a handle opened after the crash works")
	d.Crash()
	_, err = g.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, ErrCrashed, "and dies at the next crash")
}

func TestRemovedOpenFileVanishesAtCrash(t *testing.T) {
	d, _, _ := newDisk(t, 1, Options{})
	f := open(t, d, "a")
	write(t, f, 0, "abc")
	require.NoError(t, f.Sync())
	require.NoError(t, d.Remove("a"))
	d.Crash()
	names, err := d.List("")
	require.NoError(t, err)
	assert.Empty(t, names)
}

func TestSameSeedSameOutcome(t *testing.T) {
	run := func(seed uint64) (string, []string) {
		opts := Options{ReadErrorRate: 0.2, WriteErrorRate: 0.2, SyncErrorRate: 0.3, TornWriteRate: 0.5}
		d, rec, now := newDisk(t, seed, opts)
		var b strings.Builder
		for round := range 5 {
			for i, name := range []string{"a", "b", "c"} {
				f := open(t, d, name)
				for j := range 4 {
					*now++
					_, err := f.WriteAt([]byte(strings.Repeat(name, 3+j)), int64(round*i+j))
					b.WriteString(errString(err))
					_, err = f.ReadAt(make([]byte, 2), 0)
					b.WriteString(errString(err))
				}
				if i != 1 {
					b.WriteString(errString(f.Sync()))
				}
			}
			d.Crash()
		}
		for _, name := range []string{"a", "b", "c"} {
			b.WriteString(fileContent(t, d, name))
		}
		var trace []string
		for _, e := range rec.list {
			trace = append(trace, e.String())
		}
		return b.String(), trace
	}
	out1, trace1 := run(7)
	out2, trace2 := run(7)
	assert.Equal(t, out1, out2)
	assert.Equal(t, trace1, trace2)
	require.NotEmpty(t, trace1)
	out3, trace3 := run(8)
	assert.False(t, out1 == out3 && strings.Join(trace1, "\n") == strings.Join(trace3, "\n"),
		"another seed should give another run")
}

func errString(err error) string {
	if err == nil {
		return "ok;"
	}
	return err.Error() + ";"
}
